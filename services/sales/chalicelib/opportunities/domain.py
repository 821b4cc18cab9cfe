"""Opportunity rules in plain Python: derived fields, money from product lines, dates.

No HTTP and no DynamoDB here: logic.py feeds these functions what it read and writes what
they return.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crm_shared.errors import BadRequest, ValidationFailed

# Every field of the record, in the contract's order, with its value when unset.
RECORD_DEFAULTS: dict[str, Any] = {
    "name": None, "company_id": None, "company_name": None, "contact_ids": [],
    "owner_id": None, "team_id": None, "pipeline_id": None, "stage": None,
    "stage_kind": "open", "amount": None, "product_lines": [], "discount_percent": None,
    "expected_close_date": None, "probability": 0, "forecast_category": "pipeline",
    "source": None, "source_campaign_id": None, "lead_id": None, "lost_reason": None,
    "engaged_at": None, "closed_at": None, "approval_status": "none",
}
REQUIRED = ("name", "owner_id", "pipeline_id", "stage")
LIST_FIELDS = ("contact_ids", "product_lines")
NOT_CHANGES = {"updated_at", "version"}


def forecast_category(kind: str, probability: int) -> str:
    """closed when won, omitted when lost, else by probability: commit >= 80,
    best_case >= 40, pipeline below."""
    if kind == "won":
        return "closed"
    if kind == "lost":
        return "omitted"
    if probability >= 80:
        return "commit"
    return "best_case" if probability >= 40 else "pipeline"


def apply(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The stored fields after a merge-patch: null clears (an empty list for lists)."""
    updated = dict(current)
    for name, value in changes.items():
        if name in REQUIRED and value is None:
            raise ValidationFailed.for_field(name, "cannot be cleared")
        updated[name] = [] if value is None and name in LIST_FIELDS else value
    return updated


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The record fields whose values differ (timestamps and version aside)."""
    names = (set(before) | set(after)) - NOT_CHANGES
    return sorted(n for n in names if before.get(n) != after.get(n))


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_total(line: dict[str, Any]) -> Decimal:
    gross = Decimal(int(line["unit_price"]["amount"])) * int(line["quantity"])
    return gross * (Decimal(100) - Decimal(str(line.get("discount_percent") or 0))) / 100


def amount_of(lines: list[dict[str, Any]], discount_percent: float | None) -> dict[str, Any]:
    """The deal's amount from its lines (line discounts, then the deal's discount)."""
    total = sum((line_total(line) for line in lines), Decimal(0))
    total = total * (Decimal(100) - Decimal(str(discount_percent or 0))) / 100
    return {"amount": _cents(total), "currency": lines[0]["unit_price"]["currency"]}


def check_currencies(lines: list[dict[str, Any]], amount: dict[str, Any] | None) -> None:
    """One currency per deal: every line's, and the amount's when given."""
    currency = amount["currency"] if amount else None
    for index, line in enumerate(lines):
        line_currency = line["unit_price"]["currency"]
        if currency is None:
            currency = line_currency
        elif line_currency != currency:
            raise ValidationFailed.for_field(
                f"product_lines[{index}].unit_price.currency",
                f"is {line_currency}; the deal is in {currency}")


def max_discount(record: dict[str, Any]) -> float:
    """The largest discount the deal gives: the deal's own or any line's."""
    found = [float(record.get("discount_percent") or 0)]
    found += [float(line.get("discount_percent") or 0) for line in record.get("product_lines")
              or []]
    return max(found)


def check_dates(doc: dict[str, Any], kind: str) -> None:
    """Only a closed deal has a close date, and it cannot precede the engagement."""
    closed, engaged = doc.get("closed_at"), doc.get("engaged_at")
    if closed and kind == "open":
        raise BadRequest.for_field("closed_at", "only a won or lost deal has a close date")
    if closed and engaged and date.fromisoformat(closed) < date.fromisoformat(engaged):
        raise BadRequest.for_field("closed_at", f"is before engaged_at ({engaged})")
