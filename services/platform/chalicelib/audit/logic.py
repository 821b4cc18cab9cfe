"""Use cases of the audit log: append entries, query them, set retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.audit import domain
from chalicelib.audit import repository as repo
from chalicelib.audit.models import AuditEntryItem, AuditSettingsItem
from crm_shared import clock
from crm_shared.errors import BadRequest, NotFound, PreconditionRequired
from crm_shared.unit_of_work import UnitOfWork

EXPORT_GRACE = timedelta(minutes=10)  # late events of a day still make its file
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def parse_time(raw: str) -> datetime:
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def retention_days(tenant_id: str) -> int:
    item = repo.get_settings_item(tenant_id)
    return int(item.retention_days) if item is not None else domain.DEFAULT_RETENTION_DAYS


def append(uow: UnitOfWork, *, tenant_id: str, occurred_at: str, actor: str, action: str,
           entity_type: str, entity_id: str, event_type: str, event_id: str,
           correlation_id: str | None, source_ip: str | None, user_agent: str | None,
           changes: domain.Changes | None = None, service: str | None = None,
           route: str | None = None, retention: int | None = None,
           mark_day: bool = True) -> AuditEntryItem:
    """Add one entry (and, unless told, its day's export marker: once per transaction)
    to `uow`; never replaces an entry."""
    at = parse_time(occurred_at)
    now = clock.now()
    entry = repo.new_entry(
        entry_id=domain.entry_id(at), tenant_id=tenant_id, occurred_at=occurred_at,
        recorded_at=clock.iso(now), actor=actor, action=action, entity_type=entity_type,
        entity_id=entity_id, event_type=event_type, event_id=event_id,
        correlation_id=correlation_id, source_ip=source_ip, user_agent=user_agent,
        service=service, route=route,
        changes=domain.encoded(changes) if changes is not None else None,
        expires_at=domain.expires(at, retention or retention_days(tenant_id)))
    uow.put(entry, condition=repo.is_new(), label="audit_entry")
    if not mark_day:
        return entry
    day = at.astimezone(UTC).date()
    day_end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    uow.put(repo.day_marker(tenant_id, day.isoformat(), max(day_end, now) + EXPORT_GRACE),
            label="audit_day")
    return entry


def get(tenant_id: str, entry_id: str) -> AuditEntryItem:
    entry = repo.get_entry(tenant_id, entry_id) if entry_id.startswith("aud_") else None
    if entry is None:
        raise NotFound(f"no audit entry {entry_id}")
    return entry


def search(tenant_id: str, query: dict[str, str], limit: int,
           cursor: str | None) -> tuple[list[AuditEntryItem], str | None]:
    """By entity (entity_type + entity_id), by actor, or the whole log; each within
    `from`..`to` (default: everything up to now), newest first, one Query a page."""
    low = domain.id_bound(_time(query, "from", EPOCH), upper=False)
    high = domain.id_bound(_time(query, "to", clock.now() + timedelta(minutes=5)), upper=True)
    if low > high:
        raise BadRequest.for_field("from", "must not be after `to`")
    entity_type, entity_id = query.get("entity_type"), query.get("entity_id")
    actor = query.get("actor")
    if bool(entity_type) != bool(entity_id):
        missing = "entity_id" if entity_type else "entity_type"
        raise BadRequest.for_field(missing, "is required with the other entity parameter")
    if entity_type and actor:
        raise BadRequest.for_field("actor", "query by entity or by actor, not both")
    for name in ("entity_type", "entity_id", "actor"):
        value = query.get(name)
        if value is not None and not (0 < len(value) <= 200 and "#" not in value):
            raise BadRequest.for_field(name, "must be 1 to 200 characters without '#'")
    # bound to the window as asked: an open `to` moves with the clock between pages
    scope = f"{query.get('from', '')}:{query.get('to', '')}"
    if entity_type and entity_id:
        return repo.page_by_entity(tenant_id, entity_type, entity_id, low, high, limit, cursor,
                                   scope)
    if actor:
        return repo.page_by_actor(tenant_id, actor, low, high, limit, cursor, scope)
    return repo.page_by_time(tenant_id, low, high, limit, cursor, scope)


def _time(query: dict[str, str], name: str, default: datetime) -> datetime:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = parse_time(raw)
    except ValueError:
        raise BadRequest.for_field(name, "must be an ISO 8601 time") from None
    if not EPOCH <= value <= datetime(9999, 1, 1, tzinfo=UTC):
        raise BadRequest.for_field(name, "is out of range")
    return value


# -- retention ------------------------------------------------------------------

def settings(tenant_id: str) -> tuple[int, int, str | None]:
    item = repo.get_settings_item(tenant_id, consistent=True)
    if item is None:
        return domain.DEFAULT_RETENTION_DAYS, 0, None
    return int(item.retention_days), int(item.version), item.updated_at


def set_retention(tenant_id: str, actor: str, days: int, if_match: int | None,
                  correlation_id: str | None, source_ip: str | None,
                  user_agent: str | None) -> AuditSettingsItem:
    """Change the retention of entries written from now on; the change is itself audited
    in the same transaction (the platform owns the log: no event round trip)."""
    if if_match is None:
        raise PreconditionRequired.for_field("If-Match", "send the ETag of GET /audit/settings")
    before, _, _ = settings(tenant_id)
    now = clock.iso()
    item = repo.new_settings(tenant_id, retention_days=days, version=if_match + 1,
                             updated_at=now, updated_by=actor)
    with repo.unit_of_work() as uow:
        uow.put(item, condition=repo.at_version(if_match), label="version")
        append(uow, tenant_id=tenant_id, occurred_at=now, actor=actor, action="update",
               entity_type="audit_settings", entity_id=tenant_id,
               event_type="AuditSettingsChanged", event_id=f"settings-{if_match + 1}",
               correlation_id=correlation_id, source_ip=source_ip, user_agent=user_agent,
               changes={"retention_days": {"before": before, "after": days}},
               service="platform", route="PUT /audit/settings", retention=days)
    return item


def entry_view(entry: AuditEntryItem) -> dict[str, Any]:
    import json

    return {
        "entry_id": entry.entry_id, "occurred_at": entry.occurred_at,
        "recorded_at": entry.recorded_at, "actor": entry.actor, "action": entry.action,
        "entity_type": entry.entity_type, "entity_id": entry.entity_id,
        "event_type": entry.event_type, "event_id": entry.event_id,
        "correlation_id": entry.correlation_id, "source_ip": entry.source_ip,
        "user_agent": entry.user_agent, "service": entry.service, "route": entry.route,
        "changes": json.loads(entry.changes) if entry.changes else None,
        "expires_at": clock.iso(entry.expires_at) if entry.expires_at else None,
    }
