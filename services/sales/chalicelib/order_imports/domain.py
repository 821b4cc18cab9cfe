"""Rules of an order import in plain Python: the columns, rows grouped into orders by
(source, external_id), and a group's cells as the fields POST /orders takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.imports import domain as imports
from chalicelib.imports.domain import RowProblem, minor_units
from crm_shared.imports import RowError
from crm_shared.money import is_currency

TARGETS = ("source", "external_id", "contact_id", "contact_email", "status", "placed_at",
           "currency", "sku", "product", "quantity", "unit_price", "totals")
SOURCES = ("shop", "erp", "pos", "manual")
STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "refunded")
ORDER_TARGETS = ("contact_id", "contact_email", "status", "placed_at", "currency", "totals")
# What an order field (as a validation error names it) was read from.
FIELD_TARGETS = {"lines": "quantity", "customer": "contact_email", "totals": "totals",
                 "source": "source", "external_id": "external_id"}
LINE_FIELDS = {"unit_price": "unit_price", "quantity": "quantity", "sku": "sku",
               "product_id": "product", "discount": "unit_price"}
__all__ = [
    "Group",
    "RowError",
    "RowProblem",
    "check_mapping",
    "column_for",
    "default_mapping",
    "group_rows",
    "order_fields",
]


def default_mapping(header: list[str]) -> dict[str, str]:
    """The columns named like a field (case-insensitive; `total` for totals)."""
    known = {t: t for t in TARGETS} | {"total": "totals", "email": "contact_email",
                                       "contact email": "contact_email"}
    return {c: known[c.lower()] for c in header if c.lower() in known}


def check_mapping(header: list[str], mapping: dict[str, str]) -> list[tuple[str, str]]:
    """An import's mapping checks, and the columns an order cannot do without."""
    problems = imports.check_mapping(header, mapping, TARGETS)
    seen = set(mapping.values())
    for needed in ("external_id", "quantity", "unit_price", "totals"):
        if needed not in seen:
            problems.append(("mapping", f"no column is mapped to {needed}"))
    if "sku" not in seen and "product" not in seen:
        problems.append(("mapping", "no column is mapped to sku or product"))
    return problems


@dataclass
class Group:
    """The rows of one order: (record number, target -> cell) each."""

    source: str
    external_id: str
    rows: list[tuple[int, dict[str, str]]]


def group_rows(rows: list[tuple[int, dict[str, str]]], default_source: str) -> list[Group]:
    """Rows by (source, external_id), in the order each order first appears."""
    groups: dict[tuple[str, str], Group] = {}
    for number, values in rows:
        source = values.get("source", default_source).lower()
        key = (source, values.get("external_id", ""))
        groups.setdefault(key, Group(key[0], key[1], [])).rows.append((number, values))
    return list(groups.values())


def _one(group: Group, target: str, column_of: dict[str, str]) -> str | None:
    """The order-level cell of a group: the same on every row that fills it."""
    found = {values[target] for _, values in group.rows if values.get(target)}
    if len(found) > 1:
        raise RowProblem(column_of[target], target, f"the rows of order {group.external_id} "
                         f"disagree ({', '.join(sorted(found))})")
    return found.pop() if found else None


def order_fields(group: Group, default_currency: str, column_of: dict[str, str],
                 products: dict[str, str | None]) -> dict[str, Any]:
    """POST /orders fields of a group; a RowProblem names the first bad cell's column.
    `products` maps a product name (lowercase) to its id, None when unknown."""
    if not group.external_id:
        raise RowProblem(column_of.get("external_id", ""), "external_id", "is required")
    if group.source not in SOURCES:
        raise RowProblem(column_of.get("source", ""), "source",
                         f"{group.source!r} is not one of {', '.join(SOURCES)}")
    currency = (_one(group, "currency", column_of) or default_currency).upper()
    if not is_currency(currency):
        raise RowProblem(column_of.get("currency", ""), "currency",
                         f"{currency!r} is not an ISO 4217 currency code")
    fields: dict[str, Any] = {"source": group.source, "external_id": group.external_id}
    status = _one(group, "status", column_of)
    if status is not None:
        if status.lower() not in STATUSES:
            raise RowProblem(column_of["status"], "status",
                             f"{status!r} is not one of {', '.join(STATUSES)}")
        fields["status"] = status.lower()
    placed = _one(group, "placed_at", column_of)
    if placed is not None:
        try:
            moment = datetime.fromisoformat(placed.replace("Z", "+00:00"))
        except ValueError:
            raise RowProblem(column_of["placed_at"], "placed_at",
                             f"{placed!r} is not a date and time (ISO 8601)") from None
        fields["placed_at"] = (moment if moment.tzinfo else
                               moment.replace(tzinfo=UTC)).isoformat()
    contact = _one(group, "contact_id", column_of)
    if contact:
        fields["contact_id"] = contact
    email = _one(group, "contact_email", column_of)
    if email:
        fields["customer"] = {"email": email}
    total = _one(group, "totals", column_of)
    if total is None:
        raise RowProblem(column_of["totals"], "totals", "is required")
    try:
        fields["totals"] = {"amount": minor_units(total, currency), "currency": currency}
    except ValueError as exc:
        raise RowProblem(column_of["totals"], "totals", str(exc)) from None
    lines = []
    for number, values in group.rows:
        line: dict[str, Any] = {}
        for target in ("quantity", "unit_price"):
            if not values.get(target):
                raise RowProblem(column_of[target], target, f"row {number}: is required")
        try:
            line["quantity"] = int(values["quantity"])
        except ValueError:
            raise RowProblem(column_of["quantity"], "quantity", f"row {number}: "
                             f"{values['quantity']!r} is not a whole number") from None
        try:
            line["unit_price"] = {"amount": minor_units(values["unit_price"], currency),
                                  "currency": currency}
        except ValueError as exc:
            raise RowProblem(column_of["unit_price"], "unit_price",
                             f"row {number}: {exc}") from None
        if values.get("sku"):
            line["sku"] = values["sku"]
        if values.get("product"):
            product_id = products.get(values["product"].lower())
            if product_id is None:
                raise RowProblem(column_of["product"], "product", f"row {number}: no "
                                 f"product named {values['product']!r}")
            line["product_id"] = product_id
        if not line.get("sku") and not line.get("product_id"):
            raise RowProblem(column_of.get("sku") or column_of.get("product", ""), "sku",
                             f"row {number}: a line needs a sku or a product")
        lines.append(line)
    fields["lines"] = lines
    return fields


def column_for(field: str, column_of: dict[str, str]) -> str:
    """The column an order field's error points at (`lines[0].unit_price` -> unit_price)."""
    head = field.split(".", 1)[0].split("[", 1)[0]
    if head == "lines":
        part = field.split(".", 2)[1].split("[", 1)[0] if "." in field else "quantity"
        target = LINE_FIELDS.get(part, "quantity")
    else:
        target = FIELD_TARGETS.get(head, head)
    if field.endswith("currency") and "currency" in column_of:
        target = "currency"
    return column_of.get(target, "")
