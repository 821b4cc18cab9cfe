"""What a ticket contributes to the metrics, in plain Python.

A ticket counts on the day it was created (a cohort): in the tenant's total and under its
channel, type, team and agent. Times are the business seconds the SLA clock ran. A survey
answer about a ticket counts with it (its cohort and groups); one about no ticket (NPS)
counts on the day it was given, in the total and under `none` of each grouping.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date
from typing import Any

from chalicelib.stats.models import BUCKETS, COUNTERS, HISTOGRAMS

GROUPS = {"all": None, "channel": "channel", "type": "type", "team": "team_id",
          "agent": "assignee_id"}
UNRESOLVED = frozenset({"new", "open", "pending", "on_hold"})
AGES = (("0-1d", 1), ("1-3d", 3), ("3-7d", 7), ("7d+", None))
SATISFIED, PROMOTER, DETRACTOR = 4, 9, 6  # CSAT >= 4; NPS >= 9 and <= 6


def bucket(seconds: int) -> int:
    return bisect_left(BUCKETS, seconds)


def metrics(ticket: dict[str, Any]) -> dict[str, int]:
    """The ticket's own counts (the same under each of its groups)."""
    out: dict[str, int] = {"created": 1}
    status = ticket.get("status")
    times = ticket.get("metrics") or {}
    sla = ticket.get("sla") or {}
    if status in UNRESOLVED:
        out["open"] = 1
    first = times.get("first_response_seconds")
    if first is not None:
        out.update(fr_count=1, fr_sum=int(first))
        out[f"fr_h{bucket(int(first))}"] = 1
    resolution = times.get("resolution_seconds")
    resolved = status not in UNRESOLVED and resolution is not None
    if resolution is not None and resolved:
        out.update(resolved=1, res_sum=int(resolution))
        out[f"res_h{bucket(int(resolution))}"] = 1
        if int(ticket.get("public_reply_count") or 0) <= 1 and not ticket.get("reopen_count"):
            out["fcr"] = 1
    if ticket.get("reopen_count"):
        out["reopened"] = 1
    if sla.get("first_response_target_minutes") is not None and (
            ticket.get("first_response_at") or sla.get("first_response_breached")):
        out["sla_fr_total"] = 1
        out["sla_fr_met"] = 0 if sla.get("first_response_breached") else 1
    if sla.get("resolution_target_minutes") is not None and (
            resolved or sla.get("resolution_breached")):
        out["sla_res_total"] = 1
        out["sla_res_met"] = 0 if sla.get("resolution_breached") else 1
    return {k: v for k, v in out.items() if v}


def survey_metrics(kind: str, score: int) -> dict[str, int]:
    """What one survey answer adds (nothing for a kind the metrics do not know)."""
    if kind == "csat":
        return {k: v for k, v in (("csat_count", 1), ("csat_sum", score),
                                  ("csat_satisfied", int(score >= SATISFIED))) if v}
    if kind == "nps":
        return {k: v for k, v in (("nps_count", 1), ("nps_promoters", int(score >= PROMOTER)),
                                  ("nps_detractors", int(score <= DETRACTOR))) if v}
    return {}


def plus(counts: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {n: counts.get(n, 0) + more.get(n, 0) for n in set(counts) | set(more)}


def keys(ticket: dict[str, Any]) -> list[str]:
    """The aggregates `<group>|<value>` the ticket counts in (`{}`: a survey about none)."""
    return [f"{group}|{'all' if field is None else str(ticket.get(field) or 'none')}"
            for group, field in GROUPS.items()]


def contributions(ticket: dict[str, Any],
                  surveys: dict[str, int] | None = None) -> dict[str, dict[str, int]]:
    """`{"<group>|<value>": metrics}` for the ticket's creation day, with the counts of
    the survey answers about it."""
    counts = plus(metrics(ticket), surveys or {})
    return {key: counts for key in keys(ticket)}


def difference(old: dict[str, dict[str, int]],
               new: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Per aggregate, what to add to go from `old` to `new` (zeros left out)."""
    out = {}
    for key in set(old) | set(new):
        names = set(old.get(key, {})) | set(new.get(key, {}))
        moved = {n: new.get(key, {}).get(n, 0) - old.get(key, {}).get(n, 0) for n in names}
        moved = {n: v for n, v in moved.items() if v}
        if moved:
            out[key] = moved
    return out


def p90(histogram: list[int]) -> int | None:
    """The upper bound of the bucket holding the 90th percentile (the last bound for the
    overflow bucket); None without data."""
    total = sum(histogram)
    if not total:
        return None
    needed, seen = 0.9 * total, 0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= needed:
            return BUCKETS[min(index, len(BUCKETS) - 1)]
    return BUCKETS[-1]


def summary(rows: list[tuple[str, dict[str, int]]], today: str) -> dict[str, Any]:
    """The metrics of aggregate rows `(day, counts)` of one group value."""
    total = {name: 0 for name in COUNTERS}
    hist = {h: [0] * (len(BUCKETS) + 1) for h in HISTOGRAMS}
    backlog = {label: 0 for label, _ in AGES}
    for day, counts in rows:
        for name in COUNTERS:
            total[name] += counts.get(name, 0)
        for h in HISTOGRAMS:
            for i in range(len(BUCKETS) + 1):
                hist[h][i] += counts.get(f"{h}_h{i}", 0)
        age = (date.fromisoformat(today) - date.fromisoformat(day)).days
        label = next(lbl for lbl, limit in AGES if limit is None or age < limit)
        backlog[label] += counts.get("open", 0)

    def ratio(part: int, whole: int, digits: int = 4) -> float | None:
        return round(part / whole, digits) if whole else None

    def percent(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 2) if whole else None

    sla_total = total["sla_fr_total"] + total["sla_res_total"]
    return {
        "volume": total["created"],
        "open": total["open"],
        "resolved": total["resolved"],
        "first_response": {"count": total["fr_count"],
                           "average_seconds": ratio(total["fr_sum"], total["fr_count"]),
                           "p90_seconds": p90(hist["fr"])},
        "resolution": {"count": total["resolved"],
                       "average_seconds": ratio(total["res_sum"], total["resolved"]),
                       "p90_seconds": p90(hist["res"])},
        "sla_attainment": {
            "first_response": ratio(total["sla_fr_met"], total["sla_fr_total"]),
            "resolution": ratio(total["sla_res_met"], total["sla_res_total"]),
            "overall": ratio(total["sla_fr_met"] + total["sla_res_met"], sla_total)},
        "first_contact_resolution_rate": ratio(total["fcr"], total["resolved"]),
        "reopen_rate": ratio(total["reopened"], total["created"]),
        "backlog_by_age": backlog,
        "csat": {"count": total["csat_count"],
                 "average": ratio(total["csat_sum"], total["csat_count"], 2),
                 "satisfied_percent": percent(total["csat_satisfied"], total["csat_count"])},
        "nps": {"count": total["nps_count"], "promoters": total["nps_promoters"],
                "detractors": total["nps_detractors"],
                "score": percent(total["nps_promoters"] - total["nps_detractors"],
                                 total["nps_count"])},
    }
