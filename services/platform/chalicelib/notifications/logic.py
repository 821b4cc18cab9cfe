"""Inbox use cases: notices from events (once per recipient), reading, the delta feed,
preferences and the daily digest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.notifications import domain, repository
from chalicelib.notifications.models import NotificationItem, PreferencesItem
from chalicelib.notifications.schemas import PreferencesIn
from crm_shared import clock
from crm_shared.errors import BadRequest, Conflict, NotFound
from crm_shared.events.consumer import EventContext
from crm_shared.ids import is_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

STATUSES = ("unread", "read", "all")
READ_ALL_BATCH = 50  # updates per transaction
READ_ALL_ROUNDS = 10


def notify(uow: UnitOfWork, ctx: EventContext, data: dict[str, Any]) -> int:
    """Add the event's notices to its transaction: one per recipient who wants it."""
    data = _with_team_manager(ctx.tenant_id, ctx.detail_type, data)
    made = domain.notices(ctx.detail_type, data, ctx.actor)
    if made is None:
        return 0
    notice, recipients = made
    prefs = repository.preferences_of(ctx.tenant_id, recipients)
    now = clock.iso()
    count = 0
    for user_id in recipients:
        if not domain.wants(dict(prefs[user_id].types or {}), notice.type):
            continue
        repository.add(uow, repository.new_notification(
            ctx.tenant_id, user_id, domain.notification_id_for(ctx.event_id), type=notice.type,
            title=notice.title, body=notice.body, link=notice.link, event_id=ctx.event_id,
            event_type=ctx.detail_type, actor=ctx.actor, created_at=now, updated_at=now))
        count += 1
    return count


def _with_team_manager(tenant_id: str, detail_type: str,
                       data: dict[str, Any]) -> dict[str, Any]:
    """An unassigned ticket at risk notifies its team's manager: look the team up (one
    GetItem of the platform's own directory)."""
    if detail_type != "TicketSlaAtRisk" or data.get("assignee_id") or not data.get("team_id"):
        return data
    from chalicelib import repository as directory  # deferred: this event only

    team = directory.get_team(tenant_id, str(data["team_id"]))
    return {**data, "team_manager_id": team.manager_id if team is not None else None}


def get(tenant_id: str, user_id: str, notification_id: str) -> NotificationItem:
    item = repository.get(tenant_id, user_id, notification_id) \
        if is_id(notification_id, "ntf") else None
    if item is None:
        raise NotFound("no such notification")
    return item


def _update(item: NotificationItem, **changes: Any) -> NotificationItem:
    before = item.updated_at
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = max(clock.iso(), before)
    uow = repository.unit_of_work()
    repository.save(uow, item, before)
    try:
        uow.commit()
    except TransactionConflict:
        raise Conflict.for_field("notification_id", "changed meanwhile; retry",
                                 code="conflict") from None
    return item


def mark_read(tenant_id: str, user_id: str, notification_id: str) -> NotificationItem:
    item = get(tenant_id, user_id, notification_id)
    return item if item.read_at else _update(item, read_at=clock.iso())


def delete(tenant_id: str, user_id: str, notification_id: str) -> None:
    """Keep a tombstone, so offline clients learn of the deletion from the delta feed."""
    _update(get(tenant_id, user_id, notification_id), deleted=True)


def read_all(tenant_id: str, user_id: str) -> tuple[int, bool]:
    """Mark unread notices read, a transaction per 50; `remaining` if more were left."""
    marked = 0
    for _ in range(READ_ALL_ROUNDS):
        items, cursor = repository.page(tenant_id, user_id, "unread", READ_ALL_BATCH, None)
        if not items:
            return marked, False
        now = clock.iso()
        uow = repository.unit_of_work()
        for item in items:
            before = item.updated_at
            item.read_at, item.updated_at = now, max(now, before)
            repository.save(uow, item, before)
        try:
            uow.commit()
        except TransactionConflict:
            continue  # one changed meanwhile: read the page again
        marked += len(items)
        if cursor is None:
            return marked, False
    return marked, True


def page(tenant_id: str, user_id: str, status: str | None, limit: int,
         cursor: str | None) -> tuple[list[NotificationItem], str | None]:
    status = status or "all"
    if status not in STATUSES:
        raise BadRequest.for_field("status", f"must be one of {list(STATUSES)}")
    return repository.page(tenant_id, user_id, status, limit, cursor)


def changes(tenant_id: str, user_id: str, since: str | None,
            limit: int) -> tuple[list[NotificationItem], str | None, bool]:
    return repository.changes(tenant_id, user_id, since, limit)


def preferences(tenant_id: str, user_id: str) -> PreferencesItem:
    return repository.preferences(tenant_id, user_id)


def save_preferences(tenant_id: str, user_id: str, cmd: PreferencesIn) -> PreferencesItem:
    item = repository.preferences(tenant_id, user_id)
    item.types = {name: pref.model_dump() for name, pref in cmd.types.items()}
    item.digest = cmd.digest
    item.updated_at = clock.iso()
    due = clock.now() + timedelta(days=1) if cmd.digest else None
    repository.save_preferences(item, due)
    return item


# -- the daily digest ------------------------------------------------------------

DIGEST_SIZE = 20


def _digest_text(items: list[NotificationItem]) -> str:
    lines = [f"- {i.title}" + (f": {i.body}" if i.body else "") for i in items]
    return "Unread in your CRM inbox:\n\n" + "\n".join(lines) + "\n"


def send_digests(limit: int = 100) -> int:
    """Email each due user their unread notices since the last digest, once a day, through
    marketing's transactional messages (crm_shared.messaging); returns how many were sent."""
    from chalicelib import repository as platform  # deferred: the schedule only
    from crm_shared.messaging import MessageCommand, send_message_command

    sent = 0
    for prefs in repository.due_digests(limit):
        now = clock.now()
        since = prefs.last_digest_at or ""
        unread, _ = repository.page(prefs.tenant_id, prefs.user_id, "unread", DIGEST_SIZE, None)
        fresh = [i for i in unread if i.created_at > since
                 and domain.wants(dict(prefs.types or {}), i.type, "digest")]
        user = platform.get_user(prefs.tenant_id, prefs.user_id)
        if fresh and user is not None and user.status != "disabled":
            send_message_command(MessageCommand(
                tenant_id=prefs.tenant_id, channel="email", to_address=user.email,
                idempotency_key=f"digest-{prefs.user_id}-{clock.iso(now)[:10]}",
                subject=f"{len(fresh)} unread notification(s)", text=_digest_text(fresh),
                requested_by="platform"))
            sent += 1
        prefs.last_digest_at = clock.iso(now)
        repository.save_preferences(prefs, now + timedelta(days=1) if prefs.digest else None)
    return sent
