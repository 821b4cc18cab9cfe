"""Report use cases: read the aggregates of the months asked for and shape the answer.

Aggregates are monthly, so a report covers whole calendar months: from `from`'s month to
`to`'s (the answer says which). Nothing here reads an opportunity or a lead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.pipelines import logic as pipelines
from chalicelib.pipelines import repository as pipeline_store
from chalicelib.quotas import repository as quotas
from chalicelib.reports import domain, repository
from crm_shared import clock
from crm_shared.errors import BadRequest

MAX_MONTHS = 36
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATS_GROUPS = ("owner", "team", "product", "source", "stage")
FORECAST_GROUPS = ("owner", "team", "pipeline", "product")


@dataclass(frozen=True)
class Range:
    first: date
    last: date
    months: list[str]


def _day(query: dict[str, str], name: str, default: date) -> date:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        if not DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest.for_field(name, "must be a date YYYY-MM-DD") from None


def date_range(query: dict[str, str]) -> Range:
    """`from`..`to` (default: the current calendar year), at most MAX_MONTHS months."""
    year = clock.now().year
    first = _day(query, "from", date(year, 1, 1))
    last = _day(query, "to", date(year, 12, 31))
    if first > last:
        raise BadRequest.for_field("from", "must not be after to")
    months = domain.months_between(first, last)
    if len(months) > MAX_MONTHS:
        raise BadRequest.for_field("to", f"a report covers at most {MAX_MONTHS} months")
    return Range(first, last, months)


def choice(query: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = query.get(name) or default
    if value not in allowed:
        raise BadRequest.for_field(name, "must be one of " + ", ".join(allowed))
    return value


def _money(amounts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"amount": amounts[c], "currency": c} for c in sorted(amounts) if amounts[c]]


def _plan(read: repository.Read, rng: Range) -> dict[str, Any]:
    return {"months": len(rng.months), "queries": read.queries, "items_read": read.items_read}


def _period(rng: Range) -> dict[str, str]:
    return {"from": rng.first.isoformat(), "to": rng.last.isoformat(),
            "first_month": rng.months[0], "last_month": rng.months[-1]}


def stats(tenant_id: str, group_by: str, rng: Range) -> dict[str, Any]:
    """Per group: deals created in the range; won, lost and cycle days of the deals closed in
    it; won amount and average deal size per currency."""
    read = repository.read(tenant_id, rng.months, f"{group_by}#")
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    priced: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    for found in read.rows.values():
        for key, item in found.items():
            _, currency, value = domain.parse_sort_key(key)
            target = counts[value] if currency == domain.NO_CURRENCY else priced[value][currency]
            for name, number in item.items():
                target[name] += number
    groups: list[dict[str, Any]] = []
    for value in sorted(counts.keys() | priced.keys()):
        c = counts[value]
        won, lost = c["won"], c["lost"]
        money = priced[value]
        won_amount = {cur: m["won_amount"] for cur, m in money.items()}
        average = {cur: round(m["won_amount"] / m["won"]) for cur, m in money.items() if m["won"]}
        if not (c["created"] or won or lost or any(won_amount.values())):
            continue
        groups.append({
            "group": value, "count": c["created"], "won": won, "lost": lost,
            "win_rate": domain.ratio(won, won + lost),
            "won_amount": _money(won_amount), "avg_deal_size": _money(average),
            "avg_cycle_days": domain.ratio(c["cycle_days"], c["cycled"], 1),
        })
    groups.sort(key=lambda g: (-g["count"], g["group"]))
    return {"group_by": group_by, "period": _period(rng), "groups": groups,
            "plan": _plan(read, rng)}


def _has_default(tenant_id: str) -> bool:
    if any(p.is_default for p in pipelines.pipelines(tenant_id).values()):
        return True
    pipeline_store.forget(tenant_id)  # seeded a moment ago, perhaps
    return any(p.is_default for p in pipelines.pipelines(tenant_id).values())


def funnel(tenant_id: str, pipeline_id: str | None, rng: Range) -> dict[str, Any]:
    """Per stage in pipeline order: deals that entered it in the range, how many moved on to
    a later stage, and how many went on to win. A tenant without any pipeline yet (not
    seeded) has an empty funnel; a pipeline_id it does not have is a 400."""
    if not pipeline_id and not _has_default(tenant_id):
        return {"pipeline_id": None, "period": _period(rng), "stages": [],
                "plan": {"months": len(rng.months), "queries": 0, "items_read": 0}}
    pipeline, _ = pipelines.resolve(tenant_id, pipeline_id or None, None)
    read = repository.read(tenant_id, rng.months, f"funnel#{pipeline.pipeline_id}#")
    by_stage = domain.total_by(read.rows, lambda key: key.split("#", 2)[2].lower())
    stages = []
    for stage in pipeline.stages:
        c = by_stage.get(stage.name.lower(), {})
        entered = c.get("entered", 0)
        stages.append({
            "stage": stage.name, "kind": stage.kind, "position": stage.position,
            "entered": entered, "moved_on": c.get("advanced", 0), "won": c.get("won", 0),
            "conversion_to_next": (domain.ratio(c.get("advanced", 0), entered)
                                   if stage.kind == "open" else None),
            "conversion_to_won": domain.ratio(c.get("won", 0), entered),
        })
    return {"pipeline_id": pipeline.pipeline_id, "period": _period(rng), "stages": stages,
            "plan": _plan(read, rng)}


def lead_stats(tenant_id: str, rng: Range) -> dict[str, Any]:
    """Per source: leads created in the range, how many of them converted, and the rate."""
    read = repository.read(tenant_id, rng.months, "leadsource#")
    counts = domain.total_by(read.rows, lambda key: key.split("#", 1)[1])
    groups: list[dict[str, Any]] = [
        {"source": source, "leads": c.get("leads", 0), "converted": c.get("converted", 0),
         "conversion_rate": domain.ratio(c.get("converted", 0), c.get("leads", 0))}
        for source, c in counts.items() if c.get("leads") or c.get("converted")]
    groups.sort(key=lambda g: (-g["leads"], g["source"]))
    return {"group_by": "source", "period": _period(rng), "groups": groups,
            "plan": _plan(read, rng)}


def forecast(tenant_id: str, period: str, group_by: str, rng: Range) -> dict[str, Any]:
    """Per period, group and currency: open and weighted pipeline, commit, best case (commit
    plus best case), closed won, the quota and attainment (closed won / quota)."""
    read = repository.read(tenant_id, rng.months, f"{group_by}#")
    label = domain.quarter_of if period == "quarter" else (lambda month: month)
    rows: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, found in read.rows.items():
        for key, item in found.items():
            _, currency, value = domain.parse_sort_key(key)
            if currency == domain.NO_CURRENCY:
                continue
            for name, number in item.items():
                rows[(label(month), value, currency)][name] += number
    periods = list(dict.fromkeys(label(m) for m in rng.months))
    targets: dict[tuple[str, str], dict[str, Any]] = {}
    quota_reads = 0
    if group_by in ("owner", "team"):
        targets, quota_reads = quotas.targets(tenant_id, group_by, periods)
        for (when, subject), money in targets.items():
            rows.setdefault((when, subject, money["currency"]), defaultdict(int))
    out = []
    for (when, value, currency), c in sorted(rows.items()):
        target = targets.get((when, value))
        quota = target if target and target["currency"] == currency else None
        out.append({
            "period": when, "group": value, "currency": currency,
            "open_pipeline": c["open_amount"], "weighted_pipeline": c["weighted_amount"],
            "commit": c["commit_amount"],
            "best_case": c["commit_amount"] + c["best_case_amount"],
            "closed_won": c["won_amount"],
            "quota": quota,
            "attainment": domain.ratio(c["won_amount"], quota["amount"]) if quota else None,
        })
    plan = _plan(read, rng)
    plan["items_read"] += quota_reads
    return {"period_kind": period, "group_by": group_by, "period": _period(rng),
            "periods": periods, "rows": out, "plan": plan}
