"""Segment use cases: define, change, evaluate, list members, preview, static lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import jobs
from chalicelib.audience import repository as people
from chalicelib.audience.domain import segment_record
from chalicelib.config import MAX_SEGMENTS
from chalicelib.segments import domain, membership, repository
from chalicelib.segments.models import SegmentItem
from chalicelib.segments.schemas import MembersIn, PreviewIn, SegmentCreate, SegmentFields
from crm_shared import clock
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict

PREFIX = "seg"
PREVIEW_LIMIT = 2000  # people a preview reads at most, answering `truncated` beyond
REEVALUATE_EVERY = timedelta(days=1)


def _index_time(item: SegmentItem) -> None:
    """A filter on time-relative fields drifts: the daily schedule re-evaluates it."""
    due = clock.now() + REEVALUATE_EVERY if domain.depends_on_time(item.filter) else None
    repository.schedule_reevaluation(item, due)


def record(item: SegmentItem) -> dict[str, Any]:
    return {"segment_id": item.segment_id, "name": item.name, "kind": item.kind,
            "description": item.description, "filter": item.filter,
            "member_count": int(item.member_count or 0),
            "evaluation": {"evaluation_id": item.evaluation_id,
                           "status": item.evaluation_status, "scanned": int(item.scanned or 0),
                           "evaluated_at": item.evaluated_at},
            "created_at": item.created_at, "updated_at": item.updated_at,
            "version": int(item.rev or 1)}


def get(tenant_id: str, segment_id: str) -> SegmentItem:
    item = repository.get(tenant_id, segment_id) if is_id(segment_id, PREFIX) else None
    if item is None:
        raise NotFound.for_field("segment_id", "no such segment")
    return item


def _start_evaluation(item: SegmentItem) -> None:
    item.evaluation_id, item.evaluation_status = new_id("evl"), "running"
    item.chunk, item.scanned = 0, 0


def _queue_evaluation(item: SegmentItem) -> None:
    jobs.send({"kind": "segment.evaluate", "tenant_id": item.tenant_id,
               "segment_id": item.segment_id, "evaluation_id": item.evaluation_id,
               "chunk": 0, "position": None})


def create(tenant_id: str, cmd: SegmentCreate) -> SegmentItem:
    if cmd.kind == "dynamic" and cmd.filter is None:
        raise ValidationFailed.for_field("filter", "is required for a dynamic segment")
    if cmd.kind == "static" and cmd.filter is not None:
        raise ValidationFailed.for_field("filter", "a static list has members, not a filter")
    stored = domain.stored(domain.parse_filter(cmd.filter)) if cmd.filter is not None else None
    if len(repository.all_of(tenant_id)) >= MAX_SEGMENTS:
        raise Conflict.for_field("name", f"a tenant has at most {MAX_SEGMENTS} segments")
    now = clock.iso()
    item = repository.new_segment(tenant_id, new_id(PREFIX), name=cmd.name, kind=cmd.kind,
                                  filter=stored, description=cmd.description, created_at=now,
                                  updated_at=now)
    if cmd.kind == "dynamic":
        _start_evaluation(item)
        _index_time(item)
    with repository.unit_of_work() as uow:
        uow.put(item, condition=SegmentItem.PK.does_not_exist(), label="segment")
    if cmd.kind == "dynamic":
        _queue_evaluation(item)
    return item


def _save(item: SegmentItem, expected: int) -> None:
    item.rev = expected + 1
    item.updated_at = clock.iso()
    try:
        with repository.unit_of_work() as uow:
            uow.put(item, condition=SegmentItem.rev == expected, label="version")
    except TransactionConflict as conflict:  # pragma: no cover - "version" labels are 412
        raise PreconditionFailed("the segment changed since you read it") from conflict


def update(tenant_id: str, segment_id: str, cmd: SegmentFields,
           if_match: int | None) -> SegmentItem:
    item = get(tenant_id, segment_id)
    expected = int(item.rev or 1)
    if if_match is not None and if_match != expected:
        raise PreconditionFailed("the segment changed since you read it",
                                 code="version_mismatch")
    sent = cmd.model_dump(exclude_unset=True)
    if "name" in sent and sent["name"] is None:
        raise ValidationFailed.for_field("name", "may not be null")
    if "filter" in sent:
        if item.kind == "static":
            raise ValidationFailed.for_field("filter", "a static list has members, not a filter")
        if sent["filter"] is None:
            raise ValidationFailed.for_field("filter", "a dynamic segment needs a filter")
        item.filter = domain.stored(domain.parse_filter(sent["filter"]))
        _start_evaluation(item)
        _index_time(item)
    for name in ("name", "description"):
        if name in sent:
            setattr(item, name, sent[name])
    _save(item, expected)
    if "filter" in sent:
        _queue_evaluation(item)
    return item


def evaluate(tenant_id: str, segment_id: str) -> SegmentItem:
    """Re-evaluate a dynamic segment from scratch (time-relative filters drift)."""
    item = get(tenant_id, segment_id)
    if item.kind != "dynamic":
        raise Conflict.for_field("segment_id", "a static list is not evaluated")
    _start_evaluation(item)
    _save(item, int(item.rev or 1))
    _queue_evaluation(item)
    return item


def delete(tenant_id: str, segment_id: str) -> None:
    item = get(tenant_id, segment_id)
    with repository.unit_of_work() as uow:
        uow.delete(item)
    jobs.send({"kind": "segment.purge", "tenant_id": tenant_id, "segment_id": segment_id})


def members(tenant_id: str, segment_id: str, limit: int,
            cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    get(tenant_id, segment_id)
    scope = f"{tenant_id}:segment-members:{segment_id}"
    items, position = repository.members_page(tenant_id, segment_id, limit,
                                              people.position_of(cursor, scope))
    found = people.get_people(tenant_id, [m.contact_id for m in items])
    rows = []
    for member in items:
        person = found.get(member.contact_id)
        doc = (person.doc or {}) if person else {}
        rows.append({"contact_id": member.contact_id, "added_at": member.added_at,
                     "email": person.email if person else None,
                     "first_name": doc.get("first_name"), "last_name": doc.get("last_name")})
    return rows, people.cursor_of(position, scope)


def add_members(tenant_id: str, segment_id: str, cmd: MembersIn) -> tuple[int, SegmentItem]:
    """Add known contacts to a static list (each once)."""
    item = get(tenant_id, segment_id)
    if item.kind != "static":
        raise Conflict.for_field("segment_id", "members of a dynamic segment follow its filter")
    if not cmd.contact_ids:
        raise ValidationFailed.for_field("contact_ids", "name at least one contact")
    found = people.get_people(tenant_id, cmd.contact_ids)
    for index, contact_id in enumerate(cmd.contact_ids):
        person = found.get(contact_id)
        if person is None or person.doc is None:
            raise ValidationFailed.for_field(f"contact_ids[{index}]",
                                             f"no contact {contact_id} is known to marketing")
    added = sum(membership.add(tenant_id, segment_id, c) for c in dict.fromkeys(cmd.contact_ids))
    return added, get(tenant_id, segment_id)


def remove_member(tenant_id: str, segment_id: str, contact_id: str) -> None:
    item = get(tenant_id, segment_id)
    if item.kind != "static":
        raise Conflict.for_field("segment_id", "members of a dynamic segment follow its filter")
    if not membership.remove(tenant_id, segment_id, contact_id):
        raise NotFound.for_field("contact_id", "not a member of this list")


def preview(tenant_id: str, cmd: PreviewIn) -> dict[str, Any]:
    """Count who a filter matches now, with a sample; reads at most PREVIEW_LIMIT people."""
    request = domain.parse_filter(cmd.filter)
    now, count, scanned = clock.now(), 0, 0
    sample: list[dict[str, Any]] = []
    position: dict[str, Any] | None = None
    while scanned < PREVIEW_LIMIT:
        page, position = people.list_people(tenant_id, 200, position)
        scanned += len(page)
        for person in page:
            if request.matches(segment_record(person, now)):
                count += 1
                if len(sample) < cmd.sample:
                    doc = person.doc or {}
                    sample.append({"contact_id": person.contact_id, "email": person.email,
                                   "first_name": doc.get("first_name"),
                                   "last_name": doc.get("last_name"),
                                   "added_at": doc.get("created_at") or ""})
        if position is None:
            break
    return {"count": count, "scanned": scanned, "truncated": position is not None,
            "sample": sample}


def reevaluate_due(limit: int = 100) -> int:
    """Daily: start a fresh evaluation (chunked on the jobs queue) of every dynamic segment
    whose filter is time-relative, and only those (they alone are on the DUE index)."""
    from chalicelib.segments.models import SegmentItem as Item

    started = 0
    for item in repository.due_reevaluations(limit):
        _start_evaluation(item)
        repository.schedule_reevaluation(item, clock.now() + REEVALUATE_EVERY)
        uow = repository.unit_of_work()
        # an update, not a put: member counts added meanwhile are kept
        uow.update(item, [Item.evaluation_id.set(item.evaluation_id),
                          Item.evaluation_status.set("running"), Item.chunk.set(0),
                          Item.scanned.set(0), Item.DUEPK.set(item.DUEPK),
                          Item.DUESK.set(item.DUESK)],
                   condition=Item.DUESK.exists(), label="reevaluate")
        try:
            uow.commit()
        except TransactionConflict:
            continue  # deleted or changed meanwhile
        _queue_evaluation(item)
        started += 1
    return started
