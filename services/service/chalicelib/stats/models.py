"""Stats items: what each ticket contributes, and the daily aggregates the API reads."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models import ServiceItem

BUCKETS = (300, 900, 1800, 3600, 7200, 14400, 28800, 57600, 86400, 172800, 345600, 604800)
HISTOGRAMS = ("fr", "res")  # first response, resolution: business seconds
# survey answers (SurveyResponded): CSAT 1-5 (satisfied >= 4), NPS 0-10 (promoter >= 9,
# detractor <= 6)
SURVEY_COUNTERS: tuple[str, ...] = ("csat_count", "csat_sum", "csat_satisfied", "nps_count",
                                    "nps_promoters", "nps_detractors")
COUNTERS: tuple[str, ...] = (
    "created", "open", "fr_count", "fr_sum", "resolved", "res_sum", "sla_fr_total",
    "sla_fr_met", "sla_res_total", "sla_res_met", "fcr", "reopened", *SURVEY_COUNTERS)
METRICS = COUNTERS + tuple(f"{h}_h{i}" for h in HISTOGRAMS for i in range(len(BUCKETS) + 1))


class TicketStatsItem(ServiceItem):
    """The newest ticket version the aggregates reflect and what it added to which
    aggregate: an event of an older version changes nothing, a newer one moves the
    difference (order-safe, and with the consumer's marker applied once).

    `surveys` are the counts of the survey answers about the ticket, part of every
    contribution (so they move with the ticket's team or agent); `day` is the ticket's
    creation day; `revision` goes up with every write, which each write is conditioned on
    (a survey answer and a ticket change never overwrite each other)."""

    version = NumberAttribute(default=0)
    contributions = JSONAttribute(default=dict)
    surveys = JSONAttribute(default=dict)
    day = UnicodeAttribute(null=True)
    revision = NumberAttribute(default=0)


# One number attribute per metric, so a change is an atomic ADD (no read, no conflict).
AggregateItem: Any = type("AggregateItem", (ServiceItem,), {
    name: NumberAttribute(null=True) for name in METRICS})
