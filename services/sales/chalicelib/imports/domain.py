"""Rules of sales CSV imports, in plain Python: the CSV, its chunks, the column mapping, a
row's cells and amounts (every kind's); and the opportunity import's own: a row's cells turned
into opportunity fields, and the fingerprints that tell a changed row from one imported
before. A failed row and a row's id are every import's, in crm_shared.imports.

The lookups (owner, product, stage) happen in `chunks`: this module only says which cell
names them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_shared.money import exponent

BOM = "\ufeff"
CHUNK_ROWS = 500
CHUNK_BYTES = 200_000  # a chunk's rows are stored in one item (DynamoDB's limit is 400 KB)

# Maven's sales_pipeline.csv; a request's mapping replaces it whole.
DEFAULT_MAPPING: dict[str, str] = {
    "opportunity_id": "external_id", "sales_agent": "owner", "product": "product",
    "account": "company_name", "deal_stage": "stage", "engage_date": "engaged_at",
    "close_date": "closed_at", "close_value": "amount",
}
TARGETS = ("external_id", "name", "owner", "product", "company_name", "stage", "engaged_at",
           "closed_at", "expected_close_date", "amount", "source", "lost_reason")
DATE_TARGETS = ("engaged_at", "closed_at", "expected_close_date")
# What an opportunity field (as a validation error names it) was read from.
FIELD_TARGETS = {"owner_id": "owner", "product_lines": "product", "team_id": "owner"}


class RowProblem(ValueError):
    """A cell that cannot become its field; says which column."""

    def __init__(self, column: str, field: str, message: str) -> None:
        super().__init__(message)
        self.column, self.field, self.message = column, field, message


# -- the file --------------------------------------------------------------------------------

def read(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank records, each with its record number as a spreadsheet
    shows it (the header is 1; quoted newlines keep a record whole)."""
    text = text.removeprefix(BOM)
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = [name.strip() for name in next(reader, [])]
    rows = [(number, cells) for number, cells in enumerate(reader, start=2)
            if any(c.strip() for c in cells)]
    return header, rows


def chunked(groups: Iterable[list[tuple[int, list[str]]]]) -> list[list[tuple[int, list[str]]]]:
    """Whole groups of rows (a deal's one row, an order's lines) per chunk: at most
    CHUNK_ROWS rows (unless one group has more) and about CHUNK_BYTES of cells in each."""
    chunks: list[list[tuple[int, list[str]]]] = []
    current: list[tuple[int, list[str]]] = []
    size = 0
    for rows in groups:
        cost = sum(sum(len(c.encode("utf-8")) + 4 for c in cells) + 12 for _, cells in rows)
        if current and (len(current) + len(rows) > CHUNK_ROWS or size + cost > CHUNK_BYTES):
            chunks.append(current)
            current, size = [], 0
        current += rows
        size += cost
    if current:
        chunks.append(current)
    return chunks


def check_mapping(header: list[str], mapping: dict[str, str],
                  targets: tuple[str, ...] = TARGETS) -> list[tuple[str, str]]:
    """(field, message) for each mapping entry the file or the kind's `targets` (by default
    an opportunity's) cannot honour."""
    problems = []
    seen: dict[str, str] = {}
    for column, target in mapping.items():
        if target not in targets:
            problems.append((f"mapping.{column}", f"{target!r} is not an importable field "
                             f"({', '.join(targets)})"))
        elif target in seen:
            problems.append((f"mapping.{column}", f"{target!r} is mapped from "
                             f"{seen[target]!r} already"))
        elif column not in header:
            problems.append((f"mapping.{column}", f"the file has no column {column!r} "
                             f"(it has {', '.join(header) or 'no header'})"))
        seen.setdefault(target, column)
    return problems


# -- a row -----------------------------------------------------------------------------------

def values_of(header: list[str], mapping: dict[str, str], cells: list[str]) -> dict[str, str]:
    """target -> the stripped cell, for the non-empty mapped cells of one record."""
    if len(cells) != len(header):
        raise RowProblem("", "", f"has {len(cells)} cells; the header has {len(header)}")
    index = {name: i for i, name in enumerate(header)}
    found = {}
    for column, target in mapping.items():
        value = cells[index[column]].strip()
        if value:
            found[target] = value
    return found


def minor_units(text: str, currency: str) -> int:
    """Whole units of `currency` as written in a CSV (`1054`, `1,054.50`) -> minor units."""
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{text!r} is not an amount (a number >= 0)")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency} allows")
    return int(scaled)


def iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text
                                  ).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def plain_fields(values: dict[str, str], currency: str,
                 column_of: dict[str, str]) -> dict[str, Any]:
    """The fields that need no lookup; a RowProblem names the first bad cell's column."""
    fields: dict[str, Any] = {}
    for target in ("name", "company_name", "source", "lost_reason"):
        if target in values:
            fields[target] = values[target]
    for target in (*DATE_TARGETS, "amount"):
        if target not in values:
            continue
        try:
            fields[target] = {"amount": minor_units(values[target], currency),
                              "currency": currency} if target == "amount" \
                else iso_date(values[target])
        except ValueError as exc:
            raise RowProblem(column_of[target], target, str(exc)) from None
    return fields


def deal_name(values: dict[str, str], product_name: str | None, row: int) -> str:
    """The name a row without a name column gets: `<product> - <account>` (what a Maven
    deal is), else the external id, else the row."""
    if "name" in values:
        return values["name"]
    parts = [p for p in (product_name, values.get("company_name")) if p]
    return " - ".join(parts)[:200] if parts else values.get("external_id") or f"Row {row}"


def column_for(field: str, column_of: dict[str, str]) -> str:
    """The column an opportunity field's error points at (`amount.currency` -> amount's)."""
    head = field.split(".", 1)[0].split("[", 1)[0]
    target = FIELD_TARGETS.get(head, head)
    return column_of.get(target, "")


def fingerprint(fields: dict[str, Any]) -> str:
    """Of what a row asks for: an unchanged row of a later import is skipped."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
