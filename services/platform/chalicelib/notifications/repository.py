"""The only code that knows the notification key shapes.

- a notice: `T#<t>#INBOX#<user>` / `<notification id>` (ULIDs: a Query is time order);
  while unread on GSI1 `T#<t>#INBOX#<user>#UNREAD`, once read on GSI2
  `T#<t>#INBOX#<user>#READ` (both sorted by id), and always on GSI3
  `T#<t>#INBOX#<user>#CHANGES` / `<updated_at>#<id>` (the delta feed, tombstones too);
- the user's preferences: `T#<t>#INBOX#<user>` / `PREFS`, on the DUE index when a digest
  is wanted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import SERVICE
from chalicelib.notifications.models import NotificationItem, PreferencesItem
from crm_shared import clock
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import change_page, query_page
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

KEEP = timedelta(days=90)
TOMBSTONE_KEEP = timedelta(days=30)
DIGEST_JOB = "notification_digest"
PREFIX = "ntf_"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def _inbox(tenant_id: str, user_id: str, *suffix: str) -> str:
    return tenant_key(tenant_id, "INBOX", user_id, *suffix)


def _place(item: NotificationItem) -> None:
    """Index attributes for the notice's state (unread, read, tombstone) and its change."""
    tenant_id, user_id = item.tenant_id, item.user_id
    item.GSI1PK = item.GSI1SK = item.GSI2PK = item.GSI2SK = None
    if not item.deleted:
        if item.read_at:
            item.GSI2PK, item.GSI2SK = _inbox(tenant_id, user_id, "READ"), item.notification_id
        else:
            item.GSI1PK, item.GSI1SK = _inbox(tenant_id, user_id, "UNREAD"), item.notification_id
    item.GSI3PK = _inbox(tenant_id, user_id, "CHANGES")
    item.GSI3SK = f"{item.updated_at}#{item.notification_id}"


def new_notification(tenant_id: str, user_id: str, notification_id: str,
                     **fields: Any) -> NotificationItem:
    item = NotificationItem(PK=_inbox(tenant_id, user_id), SK=notification_id,
                            notification_id=notification_id, tenant_id=tenant_id,
                            user_id=user_id, expires_at=clock.now() + KEEP, **fields)
    _place(item)
    return item


def add(uow: UnitOfWork, item: NotificationItem) -> None:
    """A notice is written once per event and recipient."""
    uow.put(item, condition=NotificationItem.PK.does_not_exist(), label="notification")


def get(tenant_id: str, user_id: str, notification_id: str) -> NotificationItem | None:
    try:
        item = NotificationItem.get(_inbox(tenant_id, user_id), notification_id,
                                    consistent_read=True)
    except NotificationItem.DoesNotExist:
        return None
    return None if item.deleted else item


def save(uow: UnitOfWork, item: NotificationItem, expected_updated_at: str) -> None:
    """Write a changed notice unless someone changed it meanwhile (label `notification`)."""
    _place(item)
    if item.deleted:
        item.expires_at = clock.now() + TOMBSTONE_KEEP
    uow.put(item, condition=NotificationItem.updated_at == expected_updated_at,
            label="notification")


def page(tenant_id: str, user_id: str, status: str, limit: int,
         cursor: str | None) -> tuple[list[NotificationItem], str | None]:
    """Newest first: unread (GSI1), read (GSI2) or all live ones (the inbox partition)."""
    scope = f"{tenant_id}:inbox:{user_id}:{status}"
    if status == "unread":
        def query(**kw: Any) -> Any:
            return NotificationItem.gsi1.query(_inbox(tenant_id, user_id, "UNREAD"),
                                               scan_index_forward=False, **kw)
    elif status == "read":
        def query(**kw: Any) -> Any:
            return NotificationItem.gsi2.query(_inbox(tenant_id, user_id, "READ"),
                                               scan_index_forward=False, **kw)
    else:
        def query(**kw: Any) -> Any:
            return NotificationItem.query(
                _inbox(tenant_id, user_id), NotificationItem.SK.startswith(PREFIX),
                filter_condition=NotificationItem.deleted == False,  # noqa: E712
                scan_index_forward=False, **kw)
    return query_page(query, scope, cursor, limit)


def changes(tenant_id: str, user_id: str, since: str | None,
            limit: int) -> tuple[list[NotificationItem], str | None, bool]:
    return change_page(NotificationItem.gsi3, _inbox(tenant_id, user_id, "CHANGES"),
                       NotificationItem.GSI3SK, f"{tenant_id}:inbox:{user_id}:changes", since,
                       limit, lambda item: item.GSI3SK)


def preferences(tenant_id: str, user_id: str) -> PreferencesItem:
    try:
        return PreferencesItem.get(_inbox(tenant_id, user_id), "PREFS")
    except PreferencesItem.DoesNotExist:
        return PreferencesItem(PK=_inbox(tenant_id, user_id), SK="PREFS",
                               tenant_id=tenant_id, user_id=user_id, types={})


def preferences_of(tenant_id: str, user_ids: list[str]) -> dict[str, PreferencesItem]:
    """Several recipients' preferences in one BatchGetItem (absent: the defaults)."""
    found = {p.user_id: p for p in PreferencesItem.batch_get(
        [(_inbox(tenant_id, u), "PREFS") for u in user_ids])} if user_ids else {}
    return {u: found.get(u) or PreferencesItem(PK=_inbox(tenant_id, u), SK="PREFS",
                                               tenant_id=tenant_id, user_id=u, types={})
            for u in user_ids}


def save_preferences(item: PreferencesItem, digest_due: datetime | None) -> None:
    """Store the choices; a wanted digest puts the item on the DUE index."""
    if digest_due is None:
        item.DUEPK = item.DUESK = None
    else:
        fields = due_fields(DIGEST_JOB, digest_due, item.tenant_id, item.user_id)
        item.DUEPK, item.DUESK = fields["DUEPK"], fields["DUESK"]
    item.save()


def due_digests(limit: int) -> list[PreferencesItem]:
    return due_items(PreferencesItem, DIGEST_JOB, limit)
