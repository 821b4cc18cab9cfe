"""Value rules: what an order contributes, how a customer's value folds it in, RFM bands.
Pure Python; amounts are integer minor units."""

from __future__ import annotations

import math
from typing import Any

COUNTED = frozenset({"paid", "shipped", "delivered"})
RECENT_PRODUCTS = 10
MAX_FREQUENCY_BUCKET = 50


def contribution_of(order: dict[str, Any]) -> dict[str, Any]:
    """What the order adds to value and stats: nothing unless it is paid and not undone."""
    counted = order.get("status") in COUNTED
    products: dict[str, dict[str, Any]] = {}
    for line in order.get("lines") or []:
        key = str(line.get("product_id") or f"sku:{line.get('sku')}")
        entry = products.setdefault(key, {"amount": 0, "quantity": 0, "name": line.get("name")})
        entry["amount"] += int(line["total"]["amount"])
        entry["quantity"] += int(line["quantity"])
    return {
        "counted": counted,
        "amount": int(order["totals"]["amount"]) if counted else 0,
        "currency": order["totals"]["currency"],
        "month": str(order["placed_at"])[:7],
        "placed_at": order["placed_at"],
        "source": order.get("source") or "manual",
        "contact_id": order.get("contact_id"),
        "company_id": order.get("company_id"),
        "products": products if counted else {},
    }


def fold(value: dict[str, Any], old: dict[str, Any] | None, new: dict[str, Any],
         customer_id: str) -> dict[str, Any]:
    """The customer's value after replacing the order's `old` contribution with `new`.

    `old`/`new` count only when they belong to this customer. Revenue is kept in the first
    currency the customer paid in; other currencies are kept apart. First and last order
    dates never move back (a refund does not un-date a purchase).
    """
    out = {**value, "other_currencies": dict(value.get("other_currencies") or {})}
    out.setdefault("revenue", 0)
    out.setdefault("order_count", 0)
    for sign, part in ((-1, old), (1, new)):
        if not part or not part["counted"] or customer_id not in (part.get("contact_id"),
                                                                     part.get("company_id")):
            continue
        currency = out.setdefault("currency", part["currency"])
        if part["currency"] == currency:
            out["revenue"] += sign * part["amount"]
        else:
            others = out["other_currencies"]
            others[part["currency"]] = others.get(part["currency"], 0) + sign * part["amount"]
        out["order_count"] += sign
        if sign > 0:
            at = part["placed_at"]
            out["first_order_at"] = min(filter(None, [out.get("first_order_at"), at]))
            out["last_order_at"] = max(filter(None, [out.get("last_order_at"), at]))
            recent = [p for p in out.get("products", []) if p not in part["products"]]
            out["products"] = (list(part["products"]) + recent)[:RECENT_PRODUCTS]
    return out


def buckets(value: dict[str, Any]) -> dict[str, str] | None:
    """The RFM histogram buckets of a customer: recency month, frequency, monetary band."""
    if not value.get("order_count") or not value.get("last_order_at"):
        return None
    return {
        "R": str(value["last_order_at"])[:7],
        "F": f"{min(int(value['order_count']), MAX_FREQUENCY_BUCKET):03d}",
        "M": f"{int(math.log2(max(int(value.get('revenue') or 0), 0) + 1)):03d}",
    }


def quintile_cuts(histogram: dict[str, int]) -> list[str]:
    """The buckets at which 20, 40, 60 and 80% of customers are reached (sorted keys)."""
    total = sum(n for n in histogram.values() if n > 0)
    if not total:
        return []
    cuts, running, keys = [], 0, sorted(k for k, n in histogram.items() if n > 0)
    targets = iter([total * q / 5 for q in range(1, 5)])
    target: float | None = next(targets)
    for key in keys:
        running += histogram[key]
        while target is not None and running >= target:
            cuts.append(key)
            target = next(targets, None)
        if target is None:
            break
    return cuts


def score(bucket: str, cuts: list[str]) -> int:
    """1 to 5: one more for each quintile cut the customer's bucket is above."""
    if not cuts:
        return 3
    return 1 + sum(1 for cut in cuts if bucket > cut)


def rfm(value: dict[str, Any], bands: dict[str, list[str]]) -> dict[str, int] | None:
    found = buckets(value)
    if found is None:
        return None
    scores = {name: score(found[dim], bands.get(dim, []))
              for dim, name in (("R", "recency"), ("F", "frequency"), ("M", "monetary"))}
    return scores


def combine(value: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Two customers' values as one (a contact merge)."""
    if not other.get("order_count") and not other.get("revenue"):
        return value
    out = {**value, "other_currencies": dict(value.get("other_currencies") or {})}
    currency = out.setdefault("currency", other.get("currency"))
    amounts = {other.get("currency"): int(other.get("revenue") or 0),
               **{k: int(v) for k, v in (other.get("other_currencies") or {}).items()}}
    for code, amount in amounts.items():
        if code == currency:
            out["revenue"] = int(out.get("revenue") or 0) + amount
        elif code:
            out["other_currencies"][code] = out["other_currencies"].get(code, 0) + amount
    out["order_count"] = int(out.get("order_count") or 0) + int(other.get("order_count") or 0)
    for key, pick in (("first_order_at", min), ("last_order_at", max)):
        dates = [d for d in (out.get(key), other.get(key)) if d]
        if dates:
            out[key] = pick(dates)
    products = list(out.get("products") or [])
    out["products"] = (products + [p for p in other.get("products") or []
                                   if p not in products])[:RECENT_PRODUCTS]
    return out
