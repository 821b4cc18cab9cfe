"""The only code that knows the privacy key shapes.

- consent, one partition per contact `T#<t>#CONSENT#<contact_id>`:
  the current statement per channel `CURRENT#<channel>` (at most five: one Query reads
  them all) and its history `HISTORY#<channel>#<changed_at>#<change_id>` (a page of it is
  one Query, newest first). Merge, erasure and export read the partition, never a Scan;
- the erasure audit trail, one partition per tenant `T#<t>#PRIVACY_AUDIT` /
  `ERASE#<erased_at>#<contact_id>` (chronological; erasures are rare, so never hot).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib import SERVICE
from chalicelib.privacy.models import (
    ConsentHistoryItem,
    ConsentItem,
    ConsentRecord,
    ErasureAuditItem,
)
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import MAX_ITEMS, UnitOfWork

CURRENT = "CURRENT#"
HISTORY = "HISTORY#"
MAX_CHANNELS = 10  # more than the five channels: a Query Limit, not a rule


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def consent_pk(tenant_id: str, contact_id: str) -> str:
    return tenant_key(tenant_id, "CONSENT", contact_id)


def new_current(tenant_id: str, contact_id: str, channel: str, version: int | None,
                **fields: Any) -> ConsentItem:
    """The current statement; `version` is the one it replaces (None: the first)."""
    item = ConsentItem(PK=consent_pk(tenant_id, contact_id), SK=f"{CURRENT}{channel}",
                       contact_id=contact_id, channel=channel, **fields)
    if version is not None:
        item.version = version
    return item


def new_history(tenant_id: str, contact_id: str, channel: str, changed_at: str, change_id: str,
                **fields: Any) -> ConsentHistoryItem:
    return ConsentHistoryItem(
        PK=consent_pk(tenant_id, contact_id), SK=f"{HISTORY}{channel}#{changed_at}#{change_id}",
        contact_id=contact_id, channel=channel, changed_at=changed_at, change_id=change_id,
        **fields)


def moved_history(item: ConsentHistoryItem, tenant_id: str, to_id: str) -> ConsentHistoryItem:
    """The same history entry under the survivor (same sort key: moving twice is a no-op)."""
    fields = {name: getattr(item, name) for name in ConsentRecord.get_attributes()
              if name not in {"PK", "SK", "contact_id"} and getattr(item, name) is not None}
    return ConsentHistoryItem(PK=consent_pk(tenant_id, to_id), SK=item.SK, contact_id=to_id,
                              **fields, moved_from=item.moved_from or item.contact_id)


def get_current(tenant_id: str, contact_id: str, channel: str) -> ConsentItem | None:
    """One consistent GetItem: writes compare against what is really there."""
    try:
        return ConsentItem.get(consent_pk(tenant_id, contact_id), f"{CURRENT}{channel}",
                               consistent_read=True)
    except ConsentItem.DoesNotExist:
        return None


def currents(tenant_id: str, contact_id: str, consistent: bool = False) -> list[ConsentItem]:
    """Every channel's current statement: one Query."""
    return list(ConsentItem.query(consent_pk(tenant_id, contact_id),
                                  ConsentItem.SK.startswith(CURRENT), limit=MAX_CHANNELS,
                                  consistent_read=consistent))


def history_page(tenant_id: str, contact_id: str, channel: str, limit: int,
                 cursor: str | None) -> tuple[list[ConsentHistoryItem], str | None]:
    """A page of the channel's history, newest first: one Query with Limit = the page."""
    return query_page(lambda **kw: ConsentHistoryItem.query(
        consent_pk(tenant_id, contact_id), ConsentHistoryItem.SK.startswith(
            f"{HISTORY}{channel}#"), scan_index_forward=False, **kw),
        f"{tenant_id}:consent-history:{contact_id}:{channel}", cursor, limit)


def first_history(tenant_id: str, contact_id: str, limit: int) -> list[ConsentHistoryItem]:
    """The oldest `limit` history entries of every channel (a mover drains them this way)."""
    return list(ConsentHistoryItem.query(
        consent_pk(tenant_id, contact_id), ConsentHistoryItem.SK.startswith(HISTORY),
        limit=limit, page_size=limit, consistent_read=True))


def all_history(tenant_id: str, contact_id: str) -> Iterator[ConsentHistoryItem]:
    """Every history entry, page after page (export: the person's data, however long)."""
    return ConsentHistoryItem.query(consent_pk(tenant_id, contact_id),
                                    ConsentHistoryItem.SK.startswith(HISTORY),
                                    page_size=MAX_ITEMS)


def delete_partition(tenant_id: str, contact_id: str) -> int:
    """Delete every consent item of the contact, current and history; returns how many."""
    pk = consent_pk(tenant_id, contact_id)
    count = 0
    with ConsentHistoryItem.batch_write() as batch:
        for item in ConsentHistoryItem.query(pk, consistent_read=True, page_size=MAX_ITEMS,
                                             attributes_to_get=["PK", "SK"]):
            batch.delete(ConsentHistoryItem(PK=item.PK, SK=item.SK))
            count += 1
    return count


def audit_item(tenant_id: str, contact_id: str, at: str, actor: str,
               counts: dict[str, int]) -> ErasureAuditItem:
    return ErasureAuditItem(PK=tenant_key(tenant_id, "PRIVACY_AUDIT"),
                            SK=f"ERASE#{at}#{contact_id}", contact_id=contact_id,
                            action="erase", actor=actor, at=at, counts=counts)
