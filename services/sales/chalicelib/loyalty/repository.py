"""The only code that knows loyalty keys.

- the programme `T#<t>#LOYALTY` / `PROGRAM`;
- a member `T#<t>#LOYALTY_MEMBER#<con>` / `MEMBER`, its ledger in the same partition
  (`LEDGER#<at>#<entry>`), after which `MEMBER` sorts: the member and the first page of
  its history, newest first, are one Query;
  an earned entry is on the sparse DUE index (job `expire_points`) until it expires;
- what an order earned `T#<t>#LOYALTY_ORDER#<ord>` / `POINTS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import SERVICE
from chalicelib.loyalty.models import EntryItem, MemberItem, OrderPointsItem, ProgramItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import encode_cursor, query_page
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

EXPIRE_JOB = "expire_points"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def program_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "LOYALTY"), "PROGRAM"


def program(tenant_id: str) -> ProgramItem | None:
    try:
        return ProgramItem.get(*program_keys(tenant_id))
    except ProgramItem.DoesNotExist:
        return None


def new_program(tenant_id: str, doc: dict[str, Any]) -> ProgramItem:
    pk, sk = program_keys(tenant_id)
    return ProgramItem(PK=pk, SK=sk, tenant_id=tenant_id, doc=doc)


def member_pk(tenant_id: str, contact_id: str) -> str:
    return tenant_key(tenant_id, "LOYALTY_MEMBER", contact_id)


def member(tenant_id: str, contact_id: str, consistent: bool = True) -> MemberItem | None:
    try:
        return MemberItem.get(member_pk(tenant_id, contact_id), "MEMBER",
                              consistent_read=consistent)
    except MemberItem.DoesNotExist:
        return None


def new_member(tenant_id: str, contact_id: str, now: str) -> MemberItem:
    return MemberItem(PK=member_pk(tenant_id, contact_id), SK="MEMBER", contact_id=contact_id,
                      tenant_id=tenant_id, balance=0, lifetime=0, seq=0, joined_at=now)


def stage_member(uow: UnitOfWork, item: MemberItem, seen_seq: int | None) -> None:
    """Write the member's new balance, lifetime points and tier, only if no other ledger
    write happened since it was read (`seq`); a new member must not exist yet."""
    condition = MemberItem.PK.does_not_exist() if seen_seq is None else \
        MemberItem.seq == seen_seq
    uow.put(item, condition=condition, label="member")


def new_entry(tenant_id: str, contact_id: str, entry_id: str, at: str,
              **fields: Any) -> EntryItem:
    return EntryItem(PK=member_pk(tenant_id, contact_id), SK=f"LEDGER#{at}#{entry_id}",
                     entry_id=entry_id, contact_id=contact_id, tenant_id=tenant_id, at=at,
                     **fields)


def schedule_expiry(entry: EntryItem, when: datetime | None) -> None:
    due = due_fields(EXPIRE_JOB, when, entry.tenant_id, entry.entry_id) if when else {}
    entry.DUEPK, entry.DUESK = due.get("DUEPK"), due.get("DUESK")


def ledger(tenant_id: str, contact_id: str, limit: int,
           cursor: str | None) -> tuple[list[EntryItem], str | None]:
    """Newest first: one Query of the member's partition."""
    pk = member_pk(tenant_id, contact_id)
    return query_page(lambda **kw: EntryItem.query(pk, EntryItem.SK.startswith("LEDGER#"),
                                                   scan_index_forward=False, **kw),
                      f"{pk}:ledger", cursor, limit)


def member_and_ledger(tenant_id: str, contact_id: str,
                      limit: int) -> tuple[MemberItem | None, list[EntryItem], str | None]:
    """The member and the newest `limit` ledger entries: one consistent Query, backwards
    from `MEMBER` (the partition's last key) over the ledger. The cursor pages `ledger`."""
    pk = member_pk(tenant_id, contact_id)
    found = MemberItem._get_connection().query(
        pk, MemberItem.SK.between("LEDGER#", "MEMBER"), consistent_read=True,
        scan_index_forward=False, limit=limit + 1)
    raw = list(found.get("Items") or [])
    if not raw or raw[0]["SK"]["S"] != "MEMBER":
        return None, [], None
    entries = [EntryItem.from_raw_data(item) for item in raw[1:]]
    return (MemberItem.from_raw_data(raw[0]), entries,
            encode_cursor(found.get("LastEvaluatedKey"), f"{pk}:ledger"))


def all_entries(tenant_id: str, contact_id: str) -> list[EntryItem]:
    pk = member_pk(tenant_id, contact_id)
    return list(EntryItem.query(pk, EntryItem.SK.startswith("LEDGER#"), consistent_read=True))


def due_entries(limit: int = 100) -> list[EntryItem]:
    return due_items(EntryItem, EXPIRE_JOB, limit)


def order_points(tenant_id: str, order_id: str) -> OrderPointsItem | None:
    try:
        return OrderPointsItem.get(tenant_key(tenant_id, "LOYALTY_ORDER", order_id), "POINTS",
                                   consistent_read=True)
    except OrderPointsItem.DoesNotExist:
        return None


def new_order_points(tenant_id: str, order_id: str, contact_id: str,
                     points: int) -> OrderPointsItem:
    return OrderPointsItem(PK=tenant_key(tenant_id, "LOYALTY_ORDER", order_id), SK="POINTS",
                           order_id=order_id, contact_id=contact_id, points=points, reversed=0)
