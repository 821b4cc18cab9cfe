"""The timeline's part in merging, erasing and exporting a party (see chalicelib/parties.py).

These run as background work over one party, page by page, a transaction per chunk; none
of them is on a request path of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from itertools import islice
from typing import Any

from chalicelib import parties
from chalicelib.timeline import domain, logic, projection, repository
from chalicelib.timeline.models import InteractionItem, TimelineEntryItem
from crm_shared import clock

CHUNK = 40  # entries per transaction: a put and a delete each


def _chunks(items: Iterator[TimelineEntryItem]) -> Iterator[list[TimelineEntryItem]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


def _interaction_ids(entries: list[TimelineEntryItem]) -> list[str]:
    return [e.source["id"] for e in entries if e.source.get("service") == "contacts"
            and e.source.get("type") == "interaction"]


def _repoint(item: InteractionItem, old: str, new: str | None) -> None:
    """Name `new` instead of `old` in the interaction (None: drop `old`)."""
    def swap(values: list[str]) -> list[str]:
        swapped = [new if v == old else v for v in values]
        return list(dict.fromkeys(v for v in swapped if v is not None))
    item.party_ids = swap(list(item.party_ids or []))
    item.related_ids = swap(list(item.related_ids or []))
    people = []
    for person in item.participants or []:
        if person.get("contact_id") == old:
            if new is None:
                continue
            person = {**person, "contact_id": new}
        people.append(person)
    item.participants = people
    item.updated_at = clock.iso()


@parties.mover("timeline")
def move(tenant_id: str, from_id: str, to_id: str) -> int:
    """Entries, interactions and the summary of `from_id` now belong to `to_id`."""
    touched = 0
    duplicates: dict[str, int] = {}
    for chunk in _chunks(repository.all_entries(tenant_id, from_id)):
        targets = [(repository.timeline_pk(tenant_id, to_id), e.SK) for e in chunk]
        present = repository.batch_raw(targets)
        with repository.unit_of_work() as uow:
            for entry in chunk:
                shown = repository.entry_of(entry)
                if (repository.timeline_pk(tenant_id, to_id), entry.SK) in present:
                    duplicates[shown.kind] = duplicates.get(shown.kind, 0) + 1
                uow.put(repository.entry_item(tenant_id, to_id, shown))
                uow.delete(entry)
        for item in repository.interactions(tenant_id, _interaction_ids(chunk)):
            _repoint(item, from_id, to_id)
            item.save()
        touched += len(chunk)
    found = repository.summaries(tenant_id, [from_id, to_id])
    loser, survivor = found[from_id], found[to_id]
    if loser is not None:
        state = domain.merged(repository.state_of(survivor), repository.state_of(loser))
        for kind, number in duplicates.items():
            state["counts"][kind] = max(0, state["counts"].get(kind, 0) - number)
        with repository.unit_of_work() as uow:
            uow.put(repository.summary_item(tenant_id, to_id, state,
                                            survivor.version if survivor else None),
                    label="summary")
            uow.delete(loser)
        touched += 1
    return touched


@parties.eraser("timeline")
def erase(tenant_id: str, party_id: str) -> int:
    """Delete the party's timeline and summary; blank what its interactions said.

    Interactions that also concern other parties stay on their timelines, without subject
    or body, and no longer name the erased party.
    """
    touched = 0
    for chunk in _chunks(repository.all_entries(tenant_id, party_id)):
        for item in repository.interactions(tenant_id, _interaction_ids(chunk)):
            projection.retrying(partial(_blank, tenant_id, item.interaction_id, party_id))
            touched += 1
        with repository.unit_of_work() as uow:
            for entry in chunk:
                uow.delete(entry)
        touched += len(chunk)
    found = repository.summary(tenant_id, party_id)
    if found is not None:
        found.delete()
        touched += 1
    return touched


def _blank(tenant_id: str, interaction_id: str, party_id: str) -> None:
    fresh = repository.get_interaction(tenant_id, interaction_id, consistent=True)
    if fresh is None:
        return
    before = logic.entry_of(fresh)
    fresh.subject = fresh.body = None
    fresh.erased = True
    _repoint(fresh, party_id, None)
    after = logic.entry_of(fresh)
    with repository.unit_of_work() as uow:
        uow.put(fresh, label="version")
        projection.replace(uow, tenant_id, before, after,
                           repository.summaries(tenant_id, fresh.party_ids or []))


@parties.exporter("interactions")
def export_interactions(tenant_id: str, party_id: str) -> list[dict[str, Any]]:
    ids: list[str] = []
    for chunk in _chunks(repository.all_entries(tenant_id, party_id)):
        ids += _interaction_ids(chunk)
    found = [logic.record(i) for start in range(0, len(ids), 100)
             for i in repository.interactions(tenant_id, ids[start:start + 100])]
    return sorted(found, key=lambda r: (r["occurred_at"], r["interaction_id"]))


@parties.exporter("timeline")
def export_timeline(tenant_id: str, party_id: str) -> list[dict[str, Any]]:
    return [repository.entry_of(e).as_dict() for e in repository.all_entries(tenant_id,
                                                                              party_id)]
