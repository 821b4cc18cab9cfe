"""Consumers that change every record linked to a contact (merge, GDPR erasure).

A contact may have more linked records than one page of their index and more than one
transaction holds (100 items, shared by every handler of the event). `every_page` reads
all of them, a Query per page with the repository's own cursor; `in_chunks` stages the
changes in transactions of their own, `chunk` at a time, before the last `in_event` ride
in the event's transaction with its idempotency marker.

A redelivery (or a retry after a failure part-way) changes nothing twice as long as each
change is version-guarded and a changed record no longer qualifies: it has left the
merged contact's index, or its change is a no-op now. It then finds only what is left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from chalicelib import SERVICE
from crm_shared.unit_of_work import UnitOfWork

T = TypeVar("T")


def every_page(read: Callable[[str | None], tuple[list[T], str | None]]) -> list[T]:
    """Every item of a paged list: `read(cursor)` is one page and the cursor to the next."""
    found: list[T] = []
    cursor: str | None = None
    while True:
        page, cursor = read(cursor)
        found += page
        if cursor is None:
            return found


def in_chunks(uow: UnitOfWork, changes: Iterable[T],
              stage: Callable[[UnitOfWork, list[T]], None], *, key: Callable[[T], str],
              in_event: int, chunk: int) -> None:
    """Stage all but the last `in_event` changes (in `key` order) in transactions of their
    own, `chunk` each, committed first; the last ones go in the event's `uow`."""
    ordered = sorted(changes, key=key)
    split = max(0, len(ordered) - in_event)
    for start in range(0, split, chunk):
        own = UnitOfWork(SERVICE)
        stage(own, ordered[start:min(start + chunk, split)])
        own.commit()
    stage(uow, ordered[split:])
