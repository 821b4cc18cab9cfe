"""The only place that knows report keys.

Aggregates: `T#<tenant>#AGG#<YYYY-MM>` / `<dimension>#<currency or ->#<value>` (funnel and
lead sources use `funnel#...` and `leadsource#...`), so a report reads one Query per month
whose size is the number of groups, never the number of deals.
Applied state: `T#<tenant>#APPLIED#<kind>#<id>` / `APPLIED`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib import SERVICE
from chalicelib.reports.domain import Contribution, Counts
from chalicelib.reports.models import AggregateItem, AppliedItem
from crm_shared.dynamo import tenant_key
from crm_shared.unit_of_work import UnitOfWork

APPLIED = "APPLIED"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def month_partition(tenant_id: str, month: str) -> str:
    return tenant_key(tenant_id, "AGG", month)


def applied(tenant_id: str, kind: str, record_id: str) -> AppliedItem:
    """The record's applied state (a fresh one when none was applied yet); strongly read,
    and written back under its revision, so two consumers never both apply from it."""
    pk = tenant_key(tenant_id, "APPLIED", kind, record_id)
    try:
        return AppliedItem.get(pk, APPLIED, consistent_read=True)
    except AppliedItem.DoesNotExist:
        return AppliedItem(PK=pk, SK=APPLIED, kind=kind)


def save_applied(uow: UnitOfWork, item: AppliedItem) -> None:
    uow.put(item, label="report_applied")


def add(uow: UnitOfWork, tenant_id: str, changes: Contribution) -> None:
    """One ADD update per aggregate item the change touches (it creates missing ones)."""
    for key, counts in sorted(changes.items()):
        month, sort_key = key.split("|", 1)
        item = AggregateItem(PK=month_partition(tenant_id, month), SK=sort_key)
        actions = [getattr(AggregateItem, name).add(value) for name, value in counts.items()]
        uow.update(item, actions, label="report_aggregate")


@dataclass
class Read:
    """Aggregates read for one report, and how many items that took (the answer's plan)."""

    rows: dict[str, dict[str, Counts]] = field(default_factory=dict)
    items_read: int = 0
    queries: int = 0


def read(tenant_id: str, months: list[str], prefix: str, into: Read | None = None) -> Read:
    """Per month, every aggregate whose sort key starts with `prefix`: month -> key -> counts."""
    out = into or Read()
    for month in months:
        found = out.rows.setdefault(month, {})
        out.queries += 1
        for item in AggregateItem.query(month_partition(tenant_id, month),
                                        AggregateItem.SK.startswith(prefix)):
            out.items_read += 1
            found[item.SK] = item.counts()
    return out
