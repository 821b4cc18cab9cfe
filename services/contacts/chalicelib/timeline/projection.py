"""Writing timeline entries and the summaries they feed, inside the caller's transaction.

The projection interface for every fact that belongs on a contact's or company's timeline:

    project(tenant_id, party_ids, entry, uow)

adds, for each party, the entry `T#<t>#TIMELINE#<party>` / `<occurred_at>#<entry_id>` and
the party's summary (counts by kind, the newest entries) to `uow`, so the entry, the summary
and the fact itself commit together or not at all. The contacts service's own facts
(interactions, files) call it in the request's transaction. Another service's facts arrive
as events: a handler in `handlers.py` maps the event to an `Entry` and calls `project` with
the consumer's unit of work, so a redelivered event adds nothing twice.

Summaries are read, changed and written back with their version checked: two writes racing
on one party make one transaction fail as a whole, and `retrying` runs it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.timeline import domain, repository
from chalicelib.timeline.models import SummaryItem
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

Summaries = dict[str, SummaryItem | None]
T = TypeVar("T")
ATTEMPTS = 4


def _label(party_id: str) -> str:
    return f"summary:{party_id}"


def _put_summary(uow: UnitOfWork, tenant_id: str, party_id: str,
                 before: SummaryItem | None, state: dict[str, object]) -> None:
    version = before.version if before is not None else None
    uow.put(repository.summary_item(tenant_id, party_id, dict(state), version),
            label=_label(party_id))


def add(uow: UnitOfWork, tenant_id: str, entry: domain.Entry, found: Summaries) -> None:
    """Put `entry` on the timeline of each party in `found` (party -> its summary as read)."""
    for party_id, before in found.items():
        uow.put(repository.entry_item(tenant_id, party_id, entry))
        _put_summary(uow, tenant_id, party_id, before,
                     domain.add(repository.state_of(before), entry))


def remove(uow: UnitOfWork, tenant_id: str, entry: domain.Entry, found: Summaries) -> None:
    """Take `entry` off each party's timeline; a Query of the timeline's head per party
    refills the summary's newest entries."""
    for party_id, before in found.items():
        uow.delete(repository.entry_item(tenant_id, party_id, entry))
        head = repository.timeline_head(tenant_id, party_id, domain.LATEST + 1)
        _put_summary(uow, tenant_id, party_id, before,
                     domain.remove(repository.state_of(before), entry, head))


def replace(uow: UnitOfWork, tenant_id: str, old: domain.Entry, new: domain.Entry,
            found: Summaries) -> None:
    """Show `new` instead of `old` (same entry id and kind; its time or text changed)."""
    moved = old.sort_key() != new.sort_key()
    for party_id, before in found.items():
        state = repository.state_of(before)
        if moved:
            uow.delete(repository.entry_item(tenant_id, party_id, old))
            head = repository.timeline_head(tenant_id, party_id, domain.LATEST + 1)
            state = domain.remove(state, old, head, counted=False)
        uow.put(repository.entry_item(tenant_id, party_id, new))
        _put_summary(uow, tenant_id, party_id, before, domain.add(state, new, counted=False))


def project(tenant_id: str, party_ids: list[str], entry: domain.Entry,
            uow: UnitOfWork | None = None) -> None:
    """Add `entry` to these parties' timelines and summaries (see the module docstring).

    With `uow` the writes join the caller's transaction (an event handler's); without it
    they commit on their own. Costs one BatchGetItem (the summaries) and the writes.
    """
    parties = list(dict.fromkeys(party_ids))[:domain.MAX_PARTIES]
    own = uow is None
    work = uow or repository.unit_of_work()
    add(work, tenant_id, entry, repository.summaries(tenant_id, parties))
    if own:
        work.commit()


def retrying(write: Callable[[], T]) -> T:
    """Run `write` (which reads what it needs, then commits) again when a summary it read
    changed before it committed; any other conflict is the caller's."""
    for attempt in range(ATTEMPTS):
        try:
            return write()
        except TransactionConflict as conflict:
            racing = all(label.startswith("summary:") for label in conflict.labels)
            if not racing or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
