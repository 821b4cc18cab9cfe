"""Order rules: the forward-only status flow and totals that add up. Pure Python."""

from __future__ import annotations

from typing import Any

from crm_shared.errors import Conflict, ValidationFailed

FLOW = ("placed", "paid", "shipped", "delivered")
COUNTED = frozenset({"paid", "shipped", "delivered"})  # what customer value and stats count
CANCELLABLE = frozenset({"placed", "paid"})
REFUNDABLE = frozenset({"placed", "paid", "shipped", "delivered"})  # placed: payment implied


def steps(current: str | None, target: str) -> list[str]:
    """The statuses an order passes through from `current` to `target`, in order.

    Forward only: a shop that reports "delivered" for an order first seen as placed passes
    paid and shipped too (each has its event, so loyalty still earns on OrderPaid). Going
    back, or leaving cancelled/refunded, is a 409 naming `status`.
    """
    if current == target:
        return []
    if current is None:
        head = ["placed"]
        return head if target == "placed" else head + steps("placed", target)
    if target in FLOW and current in FLOW and FLOW.index(target) > FLOW.index(current):
        return list(FLOW[FLOW.index(current) + 1:FLOW.index(target) + 1])
    if target == "cancelled" and current in CANCELLABLE:
        return ["cancelled"]
    if target == "refunded" and current in REFUNDABLE:
        return (["paid"] if current == "placed" else []) + ["refunded"]
    raise Conflict.for_field("status", f"an order cannot go from {current} to {target}",
                             code="invalid_transition")


def priced_lines(lines: list[dict[str, Any]], totals: dict[str, Any]) -> list[dict[str, Any]]:
    """Lines with their totals; every amount in the order's currency and the sum equal to
    `totals.amount` (422 naming the first field that is off)."""
    currency = totals["currency"]
    out, total = [], 0
    for index, line in enumerate(lines):
        for part in ("unit_price", "discount"):
            money = line.get(part)
            if money and money["currency"] != currency:
                raise ValidationFailed.for_field(
                    f"lines[{index}].{part}.currency", f"must be the order's currency {currency}")
        gross = line["quantity"] * line["unit_price"]["amount"]
        discount = (line.get("discount") or {}).get("amount", 0)
        if discount > gross:
            raise ValidationFailed.for_field(f"lines[{index}].discount",
                                             "is more than the line's price")
        total += gross - discount
        out.append({**line, "total": {"amount": gross - discount, "currency": currency}})
    if total != totals["amount"]:
        raise ValidationFailed.for_field(
            "totals", f"amount {totals['amount']} is not the sum of the lines ({total})")
    return out


def counted(doc: dict[str, Any]) -> bool:
    """Whether the order is revenue: paid and not cancelled or refunded."""
    return doc.get("status") in COUNTED


def line_key(line: dict[str, Any]) -> str:
    """What a line sold, for stats and co-purchases: the product id, else `sku:<sku>`."""
    return str(line.get("product_id") or f"sku:{line.get('sku')}")
