"""Report maths in plain Python: what one opportunity or lead adds to the aggregates.

A record's *contribution* maps aggregate keys (`<month>|<sort key>`) to counters. Applying a
change adds `contribution(new) - contribution(stored)`, so the aggregates are always the sum
of the latest contributions, whatever order or how often the events came.
Amounts stay in minor units per currency: they are never converted or added across currencies.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

Counts = dict[str, int]
Contribution = dict[str, Counts]

DIMENSIONS = ("owner", "team", "product", "source", "stage", "pipeline")
FIELD_OF = {"owner": "owner_id", "team": "team_id", "source": "source", "stage": "stage",
            "pipeline": "pipeline_id"}
NO_CURRENCY = "-"
NONE = "none"
OTHER = "other"
MAX_PRODUCT_GROUPS = 5
"""A deal counts under at most this many products (the rest as "other"): it bounds the items
one event updates, which must fit one transaction with the consumer's marker."""
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])")


def month_of(value: Any) -> str | None:
    """`YYYY-MM` of an ISO date or timestamp; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    found = MONTH.match(value)
    return found.group(0) if found else None


def day_of(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def sort_key(dimension: str, currency: str, value: str) -> str:
    """`<dimension>#<currency or ->#<value>`: a value may hold '#', so it goes last."""
    return f"{dimension}#{currency}#{value}"


def parse_sort_key(key: str) -> tuple[str, str, str]:
    dimension, currency, value = key.split("#", 2)
    return dimension, currency, value


def funnel_key(pipeline_id: str, stage: str) -> str:
    return f"funnel#{pipeline_id}#{stage}"


def lead_key(source: str) -> str:
    return f"leadsource#{source}"


def _money(opportunity: dict[str, Any]) -> tuple[int, str] | None:
    amount = opportunity.get("amount")
    if not isinstance(amount, dict):
        return None
    value, currency = amount.get("amount"), amount.get("currency")
    if not isinstance(value, int) or not isinstance(currency, str) or not currency:
        return None
    return value, currency


def split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """`total` shared in proportion to `weights` (equally if they are all 0), exactly:
    the largest remainders get the leftover units, so the parts always add up to `total`."""
    if not weights:
        return {}
    if sum(weights.values()) <= 0:
        weights = dict.fromkeys(weights, 1)
    whole = sum(weights.values())
    parts = {k: total * w // whole for k, w in weights.items()}
    left = total - sum(parts.values())
    by_remainder = sorted(weights, key=lambda k: (-(total * weights[k] % whole), k))
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts


def product_weights(opportunity: dict[str, Any]) -> dict[str, int]:
    """Each product's line value (quantity x unit price less discount), the largest
    MAX_PRODUCT_GROUPS - 1 by name and the rest as "other"; "none" for a deal without lines."""
    weights: dict[str, int] = defaultdict(int)
    for line in opportunity.get("product_lines") or []:
        if not isinstance(line, dict):
            continue
        price = line.get("unit_price") or {}
        unit = price.get("amount") if isinstance(price, dict) else 0
        quantity = line.get("quantity") or 0
        discount = line.get("discount_percent") or 0
        value = (unit if isinstance(unit, int) else 0) * (
            quantity if isinstance(quantity, (int, float)) else 0)
        if isinstance(discount, (int, float)):
            value = value * (100 - discount) / 100
        weights[str(line.get("product_id") or NONE)] += max(round(value), 0)
    if not weights:
        return {NONE: 1}
    if len(weights) <= MAX_PRODUCT_GROUPS:
        return dict(weights)
    ranked = sorted(weights, key=lambda k: (-weights[k], k))
    kept = {k: weights[k] for k in ranked[:MAX_PRODUCT_GROUPS - 1]}
    kept[OTHER] = sum(weights[k] for k in ranked[MAX_PRODUCT_GROUPS - 1:])
    return kept


def _values(opportunity: dict[str, Any], dimension: str, amount: int) -> dict[str, int]:
    """The dimension's values for this deal and the share of `amount` each carries."""
    if dimension == "product":
        return split(amount, product_weights(opportunity))
    raw = opportunity.get(FIELD_OF[dimension])
    return {str(raw) if raw not in (None, "") else NONE: amount}


def _add(into: Contribution, month: str, key: str, **counts: int) -> None:
    bucket = into.setdefault(f"{month}|{key}", {})
    for name, value in counts.items():
        if value:
            bucket[name] = bucket.get(name, 0) + value


def contribution(opportunity: dict[str, Any]) -> Contribution:
    """What one opportunity adds to the stats and forecast aggregates.

    Counts go to the month it was created; won/lost and cycle days to the month it closed;
    the open amounts (pipeline, weighted, commit, best case) to the month it is expected to
    close, unless its forecast category is "omitted".
    """
    out: Contribution = {}
    kind = opportunity.get("stage_kind")
    created = month_of(opportunity.get("created_at"))
    closed = month_of(opportunity.get("closed_at")) if kind in ("won", "lost") else None
    expected = month_of(opportunity.get("expected_close_date")) if kind == "open" else None
    money = _money(opportunity)
    amount, currency = money if money else (0, NO_CURRENCY)
    engaged = day_of(opportunity.get("engaged_at"))
    closed_day = day_of(opportunity.get("closed_at"))
    cycle = (closed_day - engaged).days if closed and engaged and closed_day else None
    probability = opportunity.get("probability")
    probability = probability if isinstance(probability, int) else 0
    category = opportunity.get("forecast_category")
    for dimension in DIMENSIONS:
        for value, share in _values(opportunity, dimension, amount).items():
            counted = sort_key(dimension, NO_CURRENCY, value)
            priced = sort_key(dimension, currency, value)
            if created:
                _add(out, created, counted, created=1)
            if closed:
                _add(out, closed, counted, won=int(kind == "won"), lost=int(kind == "lost"),
                     cycle_days=cycle or 0, cycled=int(cycle is not None))
                if kind == "won" and money:
                    _add(out, closed, priced, won=1, won_amount=share)
            if expected and money and category != "omitted":
                _add(out, expected, priced, open_count=1, open_amount=share,
                     weighted_amount=share * probability // 100,
                     commit_amount=share if category == "commit" else 0,
                     best_case_amount=share if category == "best_case" else 0)
    return {key: counts for key, counts in out.items() if counts}


def difference(old: Contribution, new: Contribution) -> Contribution:
    """Per aggregate key, what to ADD so that `old` becomes `new` (zero changes dropped)."""
    out: Contribution = {}
    for key in old.keys() | new.keys():
        before, after = old.get(key, {}), new.get(key, {})
        change = {name: after.get(name, 0) - before.get(name, 0)
                  for name in before.keys() | after.keys()}
        change = {name: value for name, value in change.items() if value}
        if change:
            out[key] = change
    return out


# -- the funnel ---------------------------------------------------------------------------

Entries = dict[str, dict[str, Any]]
"""`<pipeline_id>#<stage>` -> {"v": version of the first entry, "m": its month, "k": kind}."""


def enter(entries: Entries, opportunity: dict[str, Any]) -> Entries:
    """The deal was in its stage at its version: keep the earliest version seen per stage,
    so a stage entered once counts once, whatever order the events arrive in."""
    pipeline, stage = opportunity.get("pipeline_id"), opportunity.get("stage")
    version = opportunity.get("version")
    month = month_of(opportunity.get("updated_at")) or month_of(opportunity.get("created_at"))
    if not pipeline or not stage or not isinstance(version, int) or not month:
        return entries
    key = f"{pipeline}#{stage}"
    known = entries.get(key)
    if known is not None and known["v"] <= version:
        return entries
    return {**entries, key: {"v": version, "m": month, "k": opportunity.get("stage_kind")}}


def funnel_contribution(entries: Entries, positions: dict[str, dict[str, int]]) -> Contribution:
    """Per stage entered (in the month it was entered): entered 1; advanced 1 when the deal
    later reached a later open stage or a won one; won 1 when it later won (or is the won
    stage). `positions` maps pipeline -> lower-cased stage name -> order."""
    out: Contribution = {}
    parsed = [(key.split("#", 1), entry) for key, entry in entries.items()]
    for (pipeline, stage), entry in parsed:
        order = positions.get(pipeline, {})
        later = [(other_stage, other) for (other_pipeline, other_stage), other in parsed
                 if other_pipeline == pipeline and other["v"] > entry["v"]]
        here = order.get(stage.lower())
        advanced = entry["k"] == "open" and any(
            other["k"] == "won" or (other["k"] == "open" and here is not None
                                    and order.get(other_stage.lower(), -1) > here)
            for other_stage, other in later)
        won = entry["k"] == "won" or any(other["k"] == "won" for _, other in later)
        _add(out, entry["m"], funnel_key(pipeline, stage), entered=1, advanced=int(advanced),
             won=int(won))
    return out


# -- leads ---------------------------------------------------------------------------------

def lead_contribution(lead: dict[str, Any], converted: bool) -> Contribution:
    """A lead counts once under its source in the month it was created (a cohort), and as
    converted there once it converted."""
    month = month_of(lead.get("created_at"))
    if not month:
        return {}
    source = lead.get("source")
    out: Contribution = {}
    _add(out, month, lead_key(str(source) if source else NONE), leads=1,
         converted=int(converted))
    return out


# -- reading -------------------------------------------------------------------------------

def months_between(first: date, last: date) -> list[str]:
    """Every `YYYY-MM` from `first`'s month to `last`'s, in order."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def ratio(part: int, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def total_by(rows: dict[str, dict[str, Counts]], group: Callable[[str], str]) -> dict[str, Counts]:
    """Counters of every month summed per `group(sort key)`."""
    out: dict[str, Counts] = defaultdict(lambda: defaultdict(int))
    for found in rows.values():
        for key, counts in found.items():
            target = out[group(key)]
            for name, value in counts.items():
                target[name] += value
    return {key: dict(counts) for key, counts in out.items()}
