"""The only code that knows assignment keys.

- the ordered rules: `T#<t>#ASSIGNMENT` / `RULES`;
- open leads per rep: `T#<t>#ASSIGN_LOAD` / `<usr>` (one Query reads a team's loads);
- a team rule's round-robin pointer: `T#<t>#ASSIGN_RR` / `<rule_id>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import SERVICE
from chalicelib.assignment.models import LoadItem, PointerItem, RulesItem
from crm_shared.dynamo import tenant_key
from crm_shared.unit_of_work import UnitOfWork

MAX_REPS = 1000


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def rules_item(tenant_id: str, consistent: bool = False) -> RulesItem:
    try:
        return RulesItem.get(tenant_key(tenant_id, "ASSIGNMENT"), "RULES",
                             consistent_read=consistent)
    except RulesItem.DoesNotExist:
        return RulesItem(PK=tenant_key(tenant_id, "ASSIGNMENT"), SK="RULES", rules=[])


def loads(tenant_id: str) -> dict[str, int]:
    """Every rep's open-lead count: one Query (strongly read: caps are checked on it)."""
    return {i.user_id: int(i.open_leads or 0) for i in LoadItem.query(
        tenant_key(tenant_id, "ASSIGN_LOAD"), consistent_read=True, limit=MAX_REPS)}


@dataclass(frozen=True)
class Guard:
    """Commit only if the rep still has `seen` open leads (so no two picks share a slot)."""

    user_id: str
    seen: int


def adjust(uow: UnitOfWork, tenant_id: str, user_id: str, delta: int,
           guard: Guard | None = None) -> None:
    """Add `delta` to the rep's open-lead count in `uow`, conditioned on `guard`."""
    item = LoadItem(PK=tenant_key(tenant_id, "ASSIGN_LOAD"), SK=user_id)
    condition = None
    if guard is not None:
        condition = LoadItem.open_leads == guard.seen
        if guard.seen == 0:
            condition = condition | LoadItem.PK.does_not_exist()
    uow.update(item, [LoadItem.user_id.set(user_id), LoadItem.open_leads.add(delta)],
               condition=condition, label="assign_load")


def pointer(tenant_id: str, rule_id: str) -> int | None:
    try:
        return int(PointerItem.get(tenant_key(tenant_id, "ASSIGN_RR"), rule_id,
                                   consistent_read=True).position)
    except PointerItem.DoesNotExist:
        return None


def move_pointer(uow: UnitOfWork, tenant_id: str, rule_id: str, seen: int | None,
                 position: int) -> None:
    item = PointerItem(PK=tenant_key(tenant_id, "ASSIGN_RR"), SK=rule_id, position=position)
    condition = PointerItem.PK.does_not_exist() if seen is None else \
        PointerItem.position == seen
    uow.put(item, condition=condition, label="assign_pointer")
