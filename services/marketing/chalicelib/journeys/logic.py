"""Journey use cases: define, change, show with stats, enroll a contact (re-entry rules)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.audience import repository as people
from chalicelib.journeys import domain, repository
from chalicelib.journeys.models import EnrollmentItem, JourneyItem, PresenceItem, StepStatsItem
from chalicelib.journeys.schemas import JourneyCreate, JourneyFields
from chalicelib.templates import logic as templates
from crm_shared import clock
from crm_shared.errors import NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.marketing_events import JourneyEntered
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

PREFIX = "jrn"
ENROLLMENT_PREFIX = "jen"


def record(item: JourneyItem, stats: list[Any] | None = None) -> dict[str, Any]:
    return {"journey_id": item.journey_id, "name": item.name, "status": item.status,
            "trigger": item.trigger, "reentry": item.reentry, "steps": item.steps,
            "stats": {"enrolled": int(item.enrolled or 0),
                      "completed": int(item.completed or 0), "exited": int(item.exited or 0)},
            "step_stats": {s.SK.removeprefix("#STATS#"): {
                "entered": int(s.entered or 0), "completed": int(s.completed or 0),
                "exited": int(s.exited or 0)} for s in stats or []},
            "created_at": item.created_at, "updated_at": item.updated_at,
            "version": int(item.rev or 1)}


def enrollment_record(item: EnrollmentItem) -> dict[str, Any]:
    return {"enrollment_id": item.enrollment_id, "journey_id": item.journey_id,
            "contact_id": item.contact_id, "status": item.status, "step_id": item.step_id,
            "outcome": item.outcome, "history": list(item.history or []),
            "entered_at": item.entered_at, "finished_at": item.finished_at}


def get(tenant_id: str, journey_id: str) -> JourneyItem:
    item = repository.get(tenant_id, journey_id) if is_id(journey_id, PREFIX) else None
    if item is None:
        raise NotFound.for_field("journey_id", "no such journey")
    return item


def shown(tenant_id: str, journey_id: str) -> dict[str, Any]:
    return record(get(tenant_id, journey_id), repository.step_stats(tenant_id, journey_id))


def _check_templates(tenant_id: str, steps: list[dict[str, Any]]) -> None:
    for index, step in enumerate(steps):
        if step["type"] != "send_message":
            continue
        template = templates.repository.get_template(tenant_id, step["template_id"]) if is_id(
            step["template_id"], templates.PREFIX) else None
        if template is None:
            raise ValidationFailed.for_field(f"steps[{index}].template_id", "no such template")
        if template.purpose != "marketing":
            raise ValidationFailed.for_field(f"steps[{index}].template_id",
                                             "journeys send marketing templates")


def create(tenant_id: str, cmd: JourneyCreate) -> JourneyItem:
    trigger = domain.check_trigger(cmd.trigger.model_dump())
    reentry = domain.check_reentry(cmd.reentry.model_dump(exclude_none=True))
    steps = domain.check_steps([s.model_dump(mode="json", by_alias=True, exclude_none=True)
                                for s in cmd.steps])
    _check_templates(tenant_id, steps)
    now = clock.iso()
    item = repository.new_journey(tenant_id, new_id(PREFIX), name=cmd.name, status=cmd.status,
                                  trigger=trigger, reentry=reentry, steps=steps,
                                  created_at=now, updated_at=now)
    with repository.unit_of_work() as uow:
        uow.put(item, condition=JourneyItem.PK.does_not_exist(), label="journey")
    return item


def update(tenant_id: str, journey_id: str, cmd: JourneyFields,
           if_match: int | None) -> JourneyItem:
    item = get(tenant_id, journey_id)
    expected = int(item.rev or 1)
    if if_match is not None and if_match != expected:
        raise PreconditionFailed("the journey changed since you read it",
                                 code="version_mismatch")
    sent = cmd.model_dump(exclude_unset=True)
    for name in ("name", "status"):
        if name in sent:
            if sent[name] is None:
                raise ValidationFailed.for_field(name, "may not be null")
            setattr(item, name, sent[name])
    repository.index_trigger(item)
    item.rev, item.updated_at = expected + 1, clock.iso()
    try:
        with repository.unit_of_work() as uow:
            uow.put(item, condition=JourneyItem.rev == expected, label="version")
    except TransactionConflict as conflict:  # pragma: no cover - "version" labels are 412
        raise PreconditionFailed("the journey changed since you read it") from conflict
    return item


def enroll(uow: UnitOfWork, journey: JourneyItem, contact_id: str) -> EnrollmentItem | None:
    """Stage a contact's entry if the re-entry rules let it in (None if not).

    The presence item's condition makes two concurrent entries of one contact one: the
    second transaction fails its check (and its event is retried, then refused here).
    """
    tenant_id, now = journey.tenant_id, clock.now()
    found = repository.presence(tenant_id, journey.journey_id, contact_id)
    days = journey.reentry.get("days")
    cutoff = clock.iso(now - timedelta(days=int(days))) if days else None
    if not domain.may_enter(journey.reentry, found.entered_at if found else None,
                            bool(found and found.active), cutoff):
        return None
    first = str(journey.steps[0]["id"])
    enrollment = repository.new_enrollment(
        tenant_id, new_id(ENROLLMENT_PREFIX), journey_id=journey.journey_id,
        contact_id=contact_id, status="active", step_id=first, seq=0, history=[],
        entered_at=clock.iso(now))
    presence = repository.new_presence(tenant_id, journey.journey_id, contact_id,
                                       enrollment.enrollment_id, enrollment.entered_at)
    condition = PresenceItem.PK.does_not_exist() if found is None else (
        PresenceItem.enrollment_id == found.enrollment_id)
    uow.put(presence, condition=condition, label="presence")
    uow.put(enrollment, condition=EnrollmentItem.PK.does_not_exist(), label="enrollment")
    uow.update(repository.key(tenant_id, journey.journey_id), [JourneyItem.enrolled.add(1)],
               condition=JourneyItem.PK.exists(), label="journey")
    uow.update(repository.stats_key(tenant_id, journey.journey_id, first),
               [StepStatsItem.entered.add(1)], label="stats")
    uow.emit(JourneyEntered(journey_id=journey.journey_id, contact_id=contact_id,
                            entered_at=enrollment.entered_at,
                            enrollment_id=enrollment.enrollment_id), tenant_id)
    return enrollment


def enroll_now(tenant_id: str, journey_id: str, contact_id: str | None
               ) -> EnrollmentItem | None:
    """Enter a contact by hand (the API): it must be known to marketing."""
    journey = get(tenant_id, journey_id)
    if contact_id is None:
        raise ValidationFailed.for_field("contact_id", "is required")
    if journey.status != "active":
        raise ValidationFailed.for_field("journey_id", "the journey is paused")
    person = people.get_person(tenant_id, contact_id)
    if person is None or person.doc is None:
        raise ValidationFailed.for_field("contact_id", "no such contact is known to marketing")
    uow = repository.unit_of_work()
    enrollment = enroll(uow, journey, contact_id)
    if enrollment is None:
        return None
    try:
        uow.commit()
    except TransactionConflict:
        return None  # entered concurrently
    return enrollment
