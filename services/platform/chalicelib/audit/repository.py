"""The only code that knows the audit log's key shapes.

Entries: `T#<t>#AUDIT` / `<entry_id>` (ids sort by time, so a time range is one Query on
the base table); by entity on GSI1 `T#<t>#AUDIT#ENT#<type>#<id>`; by actor on GSI2
`T#<t>#AUDIT#ACT#<actor>`. A tenant-day with entries is on the DUE index for the export.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib import SERVICE
from chalicelib.audit.models import AuditDayItem, AuditEntryItem, AuditSettingsItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

EXPORT_JOB = "audit_export"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def new_entry(**fields: Any) -> AuditEntryItem:
    tenant_id = fields["tenant_id"]
    return AuditEntryItem(
        PK=tenant_key(tenant_id, "AUDIT"), SK=fields["entry_id"],
        GSI1PK=tenant_key(tenant_id, "AUDIT", "ENT", fields["entity_type"],
                          fields["entity_id"]),
        GSI1SK=fields["entry_id"],
        GSI2PK=tenant_key(tenant_id, "AUDIT", "ACT", fields["actor"]), GSI2SK=fields["entry_id"],
        **fields)


def is_new() -> Condition:
    """Entries are append-only: a write that would replace one fails."""
    return AuditEntryItem.PK.does_not_exist()


def get_entry(tenant_id: str, entry_id: str) -> AuditEntryItem | None:
    try:
        return AuditEntryItem.get(tenant_key(tenant_id, "AUDIT"), entry_id)
    except AuditEntryItem.DoesNotExist:
        return None


def page_by_time(tenant_id: str, low: str, high: str, limit: int, cursor: str | None,
                 scope: str) -> tuple[list[AuditEntryItem], str | None]:
    def query(**kw: Any) -> Any:
        return AuditEntryItem.query(tenant_key(tenant_id, "AUDIT"),
                                    AuditEntryItem.SK.between(low, high),
                                    scan_index_forward=False, **kw)
    return query_page(query, f"{tenant_id}:audit:time:{scope}", cursor, limit)


def page_by_entity(tenant_id: str, entity_type: str, entity_id: str, low: str, high: str,
                   limit: int, cursor: str | None,
                   scope: str) -> tuple[list[AuditEntryItem], str | None]:
    partition = tenant_key(tenant_id, "AUDIT", "ENT", entity_type, entity_id)

    def query(**kw: Any) -> Any:
        return AuditEntryItem.gsi1.query(partition, AuditEntryItem.GSI1SK.between(low, high),
                                         scan_index_forward=False, **kw)
    return query_page(query, f"{tenant_id}:audit:{partition}:{scope}", cursor, limit)


def page_by_actor(tenant_id: str, actor: str, low: str, high: str, limit: int,
                  cursor: str | None, scope: str) -> tuple[list[AuditEntryItem], str | None]:
    partition = tenant_key(tenant_id, "AUDIT", "ACT", actor)

    def query(**kw: Any) -> Any:
        return AuditEntryItem.gsi2.query(partition, AuditEntryItem.GSI2SK.between(low, high),
                                         scan_index_forward=False, **kw)
    return query_page(query, f"{tenant_id}:audit:{partition}:{scope}", cursor, limit)


def entries_between(tenant_id: str, low: str, high: str) -> Any:
    """Every entry in an id range, oldest first, page by page (the export job)."""
    return AuditEntryItem.query(tenant_key(tenant_id, "AUDIT"),
                                AuditEntryItem.SK.between(low, high), page_size=500)


# -- settings -----------------------------------------------------------------

def settings_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "AUDITSETTINGS"), "AUDITSETTINGS"


def get_settings_item(tenant_id: str, consistent: bool = False) -> AuditSettingsItem | None:
    try:
        return AuditSettingsItem.get(*settings_keys(tenant_id), consistent_read=consistent)
    except AuditSettingsItem.DoesNotExist:
        return None


def new_settings(tenant_id: str, **fields: Any) -> AuditSettingsItem:
    pk, sk = settings_keys(tenant_id)
    return AuditSettingsItem(PK=pk, SK=sk, tenant_id=tenant_id, **fields)


def at_version(version: int) -> Condition:
    """The stored settings are still at `version` (0: none stored yet)."""
    if version == 0:
        return AuditSettingsItem.PK.does_not_exist()
    return AuditSettingsItem.version == version


# -- the daily export ---------------------------------------------------------

def day_marker(tenant_id: str, day: str, due_at: datetime) -> AuditDayItem:
    return AuditDayItem(PK=tenant_key(tenant_id, "AUDITDAY", day), SK="AUDITDAY",
                        tenant_id=tenant_id, day=day,
                        **due_fields(EXPORT_JOB, due_at, tenant_id, day))


def due_days(limit: int, now: datetime) -> list[AuditDayItem]:
    return due_items(AuditDayItem, EXPORT_JOB, limit=limit, now=now)


def exported(marker: AuditDayItem) -> None:
    """Off the DUE index, unless an entry for that day arrived meanwhile (it moved DUESK)."""
    from pynamodb.exceptions import UpdateError

    try:
        marker.update(actions=[AuditDayItem.DUEPK.remove(), AuditDayItem.DUESK.remove()],
                      condition=AuditDayItem.DUESK == marker.DUESK)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
