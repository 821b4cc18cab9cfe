"""Report items: per-month aggregates (ADD-only counters) and each record's applied state."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import SalesItem

METRICS = (
    "created", "won", "lost", "cycle_days", "cycled", "won_amount", "open_count",
    "open_amount", "weighted_amount", "commit_amount", "best_case_amount",
    "entered", "advanced", "leads", "converted",
)


class AggregateItem(SalesItem):
    """One group of one dimension in one month (and currency, for amounts): counters only,
    changed by ADD, so concurrent events never overwrite each other."""

    created = NumberAttribute(null=True)
    won = NumberAttribute(null=True)
    lost = NumberAttribute(null=True)
    cycle_days = NumberAttribute(null=True)
    cycled = NumberAttribute(null=True)
    won_amount = NumberAttribute(null=True)
    open_count = NumberAttribute(null=True)
    open_amount = NumberAttribute(null=True)
    weighted_amount = NumberAttribute(null=True)
    commit_amount = NumberAttribute(null=True)
    best_case_amount = NumberAttribute(null=True)
    entered = NumberAttribute(null=True)
    advanced = NumberAttribute(null=True)
    leads = NumberAttribute(null=True)
    converted = NumberAttribute(null=True)

    def counts(self) -> dict[str, int]:
        return {name: int(getattr(self, name) or 0) for name in METRICS}


class AppliedItem(SalesItem):
    """What one opportunity or lead currently contributes, and the newest version applied.

    Deltas are computed against `contribution`, never against an event's `previous`, so a
    skipped or reordered event still converges. `revision` guards concurrent consumers.
    """

    record_version = NumberAttribute(default=0)
    deleted = BooleanAttribute(default=False)
    converted = BooleanAttribute(default=False)
    contribution = JSONAttribute(default=dict)
    entries = JSONAttribute(default=dict)
    funnel = JSONAttribute(default=dict)
    kind = UnicodeAttribute()
    revision = VersionAttribute()
