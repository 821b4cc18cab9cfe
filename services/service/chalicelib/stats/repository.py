"""The only code that knows stats keys.

- a ticket's contributions: `T#<t>#TICKET#<tkt>` / `STATS`;
- aggregates: `T#<t>#STATS#<group>` / `<YYYY-MM-DD>#<value>` (group all, channel, type,
  team, agent): a date range of one group is one Query.
"""

from __future__ import annotations

from typing import Any

from chalicelib.stats.models import AggregateItem, TicketStatsItem
from crm_shared.dynamo import tenant_key
from crm_shared.unit_of_work import UnitOfWork

STATS = "STATS"


def ticket_state(tenant_id: str, ticket_id: str) -> TicketStatsItem:
    pk = tenant_key(tenant_id, "TICKET", ticket_id)
    try:
        return TicketStatsItem.get(pk, STATS, consistent_read=True)
    except TicketStatsItem.DoesNotExist:
        return TicketStatsItem(PK=pk, SK=STATS, version=0, contributions={})


def save_state(uow: UnitOfWork, item: TicketStatsItem, seen: int, revision: int) -> None:
    """Conditional on the revision read (an item written before revisions: on the version
    read): two deliveries of one ticket never both apply, and a survey answer and a ticket
    change never overwrite each other."""
    item.revision = revision + 1
    if revision:
        condition = TicketStatsItem.revision == revision
    elif seen:
        condition = TicketStatsItem.revision.does_not_exist() & (
            TicketStatsItem.version == seen)
    else:
        condition = TicketStatsItem.PK.does_not_exist()
    uow.put(item, condition=condition, label="ticket_stats")


def aggregate(tenant_id: str, group: str, day: str, value: str,
              counts: dict[str, int] | None = None) -> Any:
    """The aggregate of the group's value on the day, holding `counts`."""
    return AggregateItem(PK=tenant_key(tenant_id, STATS, group), SK=f"{day}#{value}",
                         **(counts or {}))


def add(uow: UnitOfWork, tenant_id: str, group: str, day: str, value: str,
        counts: dict[str, int]) -> None:
    item = aggregate(tenant_id, group, day, value)
    uow.update(item, [getattr(AggregateItem, name).add(n) for name, n in sorted(counts.items())],
               label="aggregate")


def read(tenant_id: str, group: str, start: str, end: str) -> list[Any]:
    """The group's aggregates of the days start..end: one Query (paged by PynamoDB)."""
    return list(AggregateItem.query(tenant_key(tenant_id, STATS, group),
                                    AggregateItem.SK.between(start, f"{end}~")))
