"""Stats items: what each ticket contributes, and the daily aggregates the API reads."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute

from chalicelib.models import ServiceItem

BUCKETS = (300, 900, 1800, 3600, 7200, 14400, 28800, 57600, 86400, 172800, 345600, 604800)
HISTOGRAMS = ("fr", "res")  # first response, resolution: business seconds
COUNTERS = ("created", "open", "fr_count", "fr_sum", "resolved", "res_sum", "sla_fr_total",
            "sla_fr_met", "sla_res_total", "sla_res_met", "fcr", "reopened")
METRICS = COUNTERS + tuple(f"{h}_h{i}" for h in HISTOGRAMS for i in range(len(BUCKETS) + 1))


class TicketStatsItem(ServiceItem):
    """The newest ticket version the aggregates reflect and what it added to which
    aggregate: an event of an older version changes nothing, a newer one moves the
    difference (order-safe, and with the consumer's marker applied once)."""

    version = NumberAttribute(default=0)
    contributions = JSONAttribute(default=dict)


# One number attribute per metric, so a change is an atomic ADD (no read, no conflict).
AggregateItem: Any = type("AggregateItem", (ServiceItem,), {
    name: NumberAttribute(null=True) for name in METRICS})
