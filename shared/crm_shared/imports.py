"""What every chunked CSV import shares, in any service (contacts' transfers, sales' imports):
the counters a chunk ADDs to its job, a failed row as the job reports it, and the id a row's
record gets, the same on every attempt at the row.

How a service stores its file and chunks is its own (contacts reads byte ranges of an S3
upload, sales keeps a chunk's rows in an item): only these rules are common.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ulid import ULID

# What a chunk counts and ADDs to its job, once (with its done mark, in one transaction).
COUNTERS = ("processed", "created", "updated", "skipped", "failed")


@dataclass(frozen=True)
class RowError:
    """A row that failed: its record number (the header is 1), the column and field at
    fault (empty when it is the row as a whole) and why."""

    row: int
    column: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field,
                "message": self.message}


def created_ms(created_at: str) -> int:
    """An import's creation time (ISO 8601) in milliseconds: the time part of its rows' ids."""
    return int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp() * 1000)


def row_id(prefix: str, import_id: str, created_ms: int, row: int) -> str:
    """The id row `row` of an import makes, the same every time the row is attempted (a
    redelivered chunk finds its own record instead of creating it twice)."""
    digest = hashlib.sha256(f"{import_id}:{row}".encode()).digest()[:10]
    return f"{prefix}_{ULID.from_bytes(created_ms.to_bytes(6, 'big') + digest)}"
