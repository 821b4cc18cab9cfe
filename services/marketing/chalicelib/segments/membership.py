"""Membership writes: each one a tiny transaction with the counter, and idempotent.

Adding a member that is there, or removing one that is not, fails its condition and
changes nothing, so a redelivered event or job chunk never counts twice; and a write for
a segment deleted meanwhile fails its check and creates nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.audience.domain import segment_record
from chalicelib.segments import domain, repository
from chalicelib.segments.models import MemberItem, SegmentItem
from crm_shared import clock
from crm_shared.unit_of_work import TransactionConflict


def add(tenant_id: str, segment_id: str, contact_id: str) -> bool:
    """Make the person a member; False when already one (or the segment is gone)."""
    uow = repository.unit_of_work()
    uow.put(repository.new_member(tenant_id, segment_id, contact_id, clock.iso()),
            condition=MemberItem.PK.does_not_exist(), label="member")
    uow.update(repository.key(tenant_id, segment_id), [SegmentItem.member_count.add(1)],
               condition=SegmentItem.PK.exists(), label="segment")
    try:
        uow.commit()
    except TransactionConflict:
        return False
    return True


def remove(tenant_id: str, segment_id: str, contact_id: str) -> bool:
    """End a membership; False when it was not one."""
    uow = repository.unit_of_work()
    uow.delete(repository.new_member(tenant_id, segment_id, contact_id, ""),
               condition=MemberItem.PK.exists(), label="member")
    uow.update(repository.key(tenant_id, segment_id), [SegmentItem.member_count.add(-1)],
               condition=SegmentItem.PK.exists(), label="segment")
    try:
        uow.commit()
    except TransactionConflict:
        # the segment itself is gone: drop the orphan member alone
        uow = repository.unit_of_work()
        uow.delete(repository.new_member(tenant_id, segment_id, contact_id, ""))
        uow.commit()
        return False
    return True


def sync(tenant_id: str, segments: list[SegmentItem], people: Iterable[Any],
         now: datetime | None = None) -> tuple[int, int]:
    """Bring the dynamic `segments`' memberships of `people` in line with their filters.

    One BatchGetItem finds the current memberships; only changes are written. Returns
    (added, removed).
    """
    now = now or clock.now()
    dynamic = [s for s in segments if s.kind == "dynamic" and s.filter]
    people = [p for p in people if p is not None]
    if not dynamic or not people:
        return 0, 0
    pairs = [(s.segment_id, p.contact_id) for s in dynamic for p in people]
    current = repository.member_set(tenant_id, pairs)
    added = removed = 0
    for person in people:
        record = segment_record(person, now) if person.doc is not None else None
        for segment in dynamic:
            wanted = record is not None and domain.matches(segment.filter, record)
            pair = (segment.segment_id, person.contact_id)
            if wanted and pair not in current:
                added += add(tenant_id, segment.segment_id, person.contact_id)
            elif not wanted and pair in current:
                removed += remove(tenant_id, segment.segment_id, person.contact_id)
    return added, removed


def refresh(tenant_id: str, person: Any) -> None:
    """After a change to one person: re-check every dynamic segment of the tenant."""
    sync(tenant_id, repository.all_of(tenant_id), [person])


def drop_person(tenant_id: str, contact_id: str) -> int:
    """End every membership of a person (deleted, merged away or erased)."""
    return sum(remove(tenant_id, m.segment_id, contact_id)
               for m in repository.memberships_of(tenant_id, contact_id))
