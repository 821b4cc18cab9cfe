"""CSV in and out: decoding, the header, record-aligned byte ranges, formula-safe cells.

Chunks of an import are byte ranges that start and end on record boundaries (quoted
newlines included), so a chunk handler reads just its range from S3 and parses it alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
csv.field_size_limit(1_000_000)


class NotUtf8(ValueError):
    """The bytes are not UTF-8; the message says where, so a user can find the culprit."""


def decode(data: bytes) -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex()
        raise NotUtf8(f"is not UTF-8 (byte 0x{bad} at offset {exc.start}); save the file as "
                      "CSV UTF-8 and send it again") from None
    return text[1:] if text.startswith(BOM) else text


def _records(data: bytes, offset: int = 0) -> Iterator[tuple[list[str], int]]:
    """(record, byte offset after it) for each record of `data` (UTF-8, no BOM check)."""
    position = offset

    def lines() -> Iterator[str]:
        nonlocal position
        for raw in data.splitlines(keepends=True):
            position += len(raw)
            yield raw.decode("utf-8")

    for record in csv.reader(lines(), strict=False):
        yield record, position


def header(text: str) -> list[str]:
    """The first record's column names, stripped."""
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [name.strip() for name in first]


@dataclass(frozen=True)
class Chunk:
    """Records `[start, end)` of the file's bytes: `rows` non-blank records, the first of
    which is record number `first_row` (the header is record 1, as a spreadsheet shows)."""

    index: int
    start: int
    end: int
    first_row: int
    rows: int


def plan(data: bytes, rows_per_chunk: int) -> tuple[list[str], list[Chunk]]:
    """The header and the record-aligned chunks of a decoded-clean UTF-8 file."""
    body_start = 3 if data.startswith(BOM.encode()) else 0
    records = _records(data[body_start:], body_start)
    first = next(records, None)
    if first is None:
        return [], []
    names, start = [n.strip() for n in first[0]], first[1]
    chunks: list[Chunk] = []
    rows, first_row, number, end = 0, 2, 1, start
    for record, end in records:
        number += 1
        if not any(cell.strip() for cell in record):
            if rows == 0:
                start, first_row = end, number + 1
            continue
        rows += 1
        if rows == rows_per_chunk:
            chunks.append(Chunk(len(chunks), start, end, first_row, rows))
            rows, start, first_row = 0, end, number + 1
    if rows:
        chunks.append(Chunk(len(chunks), start, end, first_row, rows))
    return names, chunks


def rows_of(data: bytes, first_row: int) -> Iterator[tuple[int, list[str]]]:
    """(record number, cells) of the non-blank records of a chunk's bytes."""
    number = first_row - 1
    for record, _ in _records(data):
        number += 1
        if any(cell.strip() for cell in record):
            yield number, record


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: formula starters get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write(rows: Iterable[Iterable[Any]], safe: bool = True) -> bytes:
    """RFC 4180 CSV (CRLF, minimal quoting) as UTF-8 bytes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) if safe else ("" if v is None else v) for v in row])
    return out.getvalue().encode("utf-8")
