"""Routes of /notifications: the caller's own inbox, never anyone else's."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.notifications import logic
from chalicelib.notifications.models import NotificationItem, PreferencesItem
from chalicelib.notifications.schemas import (
    NotificationChange,
    NotificationChanges,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
    TypePreference,
)
from crm_shared.auth.roles import ALL_ROLES
from crm_shared.http import ApiRequest, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "notifications")


def out(item: NotificationItem) -> NotificationOut:
    return NotificationOut(
        notification_id=item.notification_id, type=item.type, title=item.title,
        body=item.body, link=item.link, event_type=item.event_type, actor=item.actor,
        read=item.read_at is not None, read_at=item.read_at, created_at=item.created_at,
        updated_at=item.updated_at)


def prefs_out(item: PreferencesItem) -> PreferencesOut:
    types = {name: TypePreference.model_validate((item.types or {}).get(name) or {})
             for name in logic.domain.TYPES}
    return PreferencesOut(types=types, digest=bool(item.digest))


# literal paths before /notifications/{notification_id}
@api.route("/notifications/changes", "GET", roles=ALL_ROLES, api_keys=False,
           response=NotificationChanges)
def notification_changes(req: ApiRequest) -> NotificationChanges:
    """What changed in the caller's inbox after `since` (upserts and tombstones, in order)."""
    items, since, more = logic.changes(req.tenant_id, req.principal.subject,
                                       req.query.get("since"),
                                       parse_limit(req.query.get("limit")))
    return NotificationChanges(items=[NotificationChange(
        notification_id=i.notification_id, deleted=bool(i.deleted),
        notification=None if i.deleted else out(i)) for i in items],
        next_since=since, has_more=more)


@api.route("/notifications/preferences", "GET", roles=ALL_ROLES, api_keys=False,
           response=PreferencesOut)
def get_notification_preferences(req: ApiRequest) -> PreferencesOut:
    """The caller's choices per notification type, and the daily digest."""
    return prefs_out(logic.preferences(req.tenant_id, req.principal.subject))


@api.route("/notifications/preferences", "PUT", roles=ALL_ROLES, api_keys=False,
           body=PreferencesIn, response=PreferencesOut)
def put_notification_preferences(req: ApiRequest) -> PreferencesOut:
    """Turn types on or off in the inbox and the digest; turn the daily digest on or off."""
    return prefs_out(logic.save_preferences(req.tenant_id, req.principal.subject, req.body))


@api.route("/notifications/read-all", "POST", roles=ALL_ROLES, api_keys=False,
           response=ReadAllOut)
def read_all_notifications(req: ApiRequest) -> ReadAllOut:
    """Mark the caller's unread notifications read (`remaining`: call again for more)."""
    marked, remaining = logic.read_all(req.tenant_id, req.principal.subject)
    return ReadAllOut(marked=marked, remaining=remaining)


@api.route("/notifications", "GET", roles=ALL_ROLES, api_keys=False,
           response=NotificationPage)
def list_notifications(req: ApiRequest) -> NotificationPage:
    """A page of the caller's notifications, newest first (`status`: unread, read, all)."""
    items, cursor = logic.page(req.tenant_id, req.principal.subject, req.query.get("status"),
                               parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return NotificationPage(items=[out(i) for i in items], next_cursor=cursor)


@api.route("/notifications/{notification_id}", "GET", roles=ALL_ROLES, api_keys=False,
           response=NotificationOut)
def get_notification(req: ApiRequest, notification_id: str) -> NotificationOut:
    """One of the caller's notifications."""
    return out(logic.get(req.tenant_id, req.principal.subject, notification_id))


@api.route("/notifications/{notification_id}/read", "POST", roles=ALL_ROLES, api_keys=False,
           response=NotificationOut)
def read_notification(req: ApiRequest, notification_id: str) -> NotificationOut:
    """Mark one notification read (again is a no-op)."""
    return out(logic.mark_read(req.tenant_id, req.principal.subject, notification_id))


@api.route("/notifications/{notification_id}", "DELETE", roles=ALL_ROLES, api_keys=False,
           status=204)
def delete_notification(req: ApiRequest, notification_id: str) -> None:
    """Remove a notification (the delta feed shows a tombstone)."""
    logic.delete(req.tenant_id, req.principal.subject, notification_id)
