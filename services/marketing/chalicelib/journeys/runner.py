"""Run enrollments step by step, each (enrollment, step visit) exactly once.

Every step ends in one transaction conditioned on the enrollment's `seq` (the steps it
executed): the step's command events (contact updates, sales tasks), the move to the next
step, the stats and, at the end, JourneyCompleted commit together or not at all, so a
retry, a duplicate wake-up or the schedule racing an event repeats nothing. A message is
sent through the campaign sender under a send record keyed on (enrollment, step, seq): it
is claimed before SES is called, so a run that died after sending finds the record and
does not send again.

Commands reuse the workflow contract (crm_shared.automation): `WorkflowActionRequested`
with `run_id` = the enrollment and `action_index` = its seq, which contacts (add_tag,
set_field lifecycle_stage) and sales (create_task) carry out once per (run, action). Their
answers reach the platform's engine, which ignores runs it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.audience import repository as people
from chalicelib.audience.domain import segment_record
from chalicelib.delivery import repository as sends
from chalicelib.delivery import sender
from chalicelib.journeys import domain, repository
from chalicelib.journeys.models import (
    EnrollmentItem,
    JourneyItem,
    PresenceItem,
    StepStatsItem,
)
from chalicelib.suppressions import domain as suppression
from chalicelib.suppressions import repository as suppressions
from chalicelib.templates import logic as templates
from crm_shared import clock, observability
from crm_shared.events.automation_events import WorkflowActionRequested
from crm_shared.events.envelope import Event
from crm_shared.events.marketing_events import JourneyCompleted
from crm_shared.ids import new_id
from crm_shared.unit_of_work import TransactionConflict

HISTORY = 100


@dataclass
class Move:
    """What a step did: go to `to` (None: the end), stay until `resume_at`, or finish."""

    to: str | None = None
    stay_until: datetime | None = None
    outcome: str | None = None  # completed | exited | a reason
    note: str = ""
    events: list[Event] = field(default_factory=list)
    send: tuple[str, str, str] | None = None  # pk, sk, message_id


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def run(tenant_id: str, enrollment_id: str) -> str:
    """Execute every step that is due now; returns the enrollment's status."""
    for _ in range(domain.MAX_STEPS_PER_RUN):
        enrollment = repository.get_enrollment(tenant_id, enrollment_id)
        if enrollment is None or enrollment.status != "active":
            return enrollment.status if enrollment else "missing"
        journey = repository.get(tenant_id, enrollment.journey_id)
        steps = {s["id"]: s for s in (journey.steps if journey else [])}
        step = steps.get(str(enrollment.step_id))
        if journey is None or step is None:
            move = Move(outcome="journey_changed")
        else:
            found = _execute(journey, enrollment, step)
            if found is None:
                return "waiting"
            move = found
        _commit(enrollment, journey, move)
    enrollment = repository.get_enrollment(tenant_id, enrollment_id)
    if enrollment is not None and enrollment.status == "active":
        _commit(enrollment, None, Move(outcome="too_many_steps"))  # a branch loop
    return "exited"


def run_due(limit: int = 100) -> int:
    """Scheduled: continue every enrollment whose wait is over."""
    ran = 0
    for item in repository.due(limit):
        try:
            run(item.tenant_id, item.enrollment_id)
            ran += 1
        except Exception:  # noqa: BLE001 - one broken enrollment must not stop the others
            observability.logger("marketing").exception(
                "journey step failed; retried on the next tick",
                extra={"enrollment_id": item.enrollment_id})
    return ran


def wake(tenant_id: str, contact_id: str | None, message_id: str) -> int:
    """An open or click of a journey message: run the enrollments waiting for it."""
    if not contact_id:
        return 0
    woken = 0
    for enrollment in repository.active_of(tenant_id, contact_id):
        if enrollment.last_message_id == message_id:
            run(tenant_id, enrollment.enrollment_id)
            woken += 1
    return woken


def stop(tenant_id: str, contact_id: str, outcome: str) -> int:
    """End a contact's active enrollments (deleted or erased): no step runs for them again."""
    stopped = 0
    for enrollment in repository.active_of(tenant_id, contact_id):
        for _ in range(3):  # a concurrent step moved it: re-read and end it from there
            current = repository.get_enrollment(tenant_id, enrollment.enrollment_id)
            if current is None or current.status != "active":
                break
            if _commit(current, repository.get(tenant_id, current.journey_id),
                       Move(outcome=outcome)):
                stopped += 1
                break
    return stopped


def _execute(journey: JourneyItem, enrollment: EnrollmentItem,
             step: dict[str, Any]) -> Move | None:
    """What the step does now; None while it waits."""
    kind, now = step["type"], clock.now()
    following = domain.following(journey.steps, step["id"]) if kind not in (
        "branch", "exit") else None
    if kind == "send_message":
        return _send(journey, enrollment, step, following)
    if kind in ("wait", "wait_until"):
        if kind == "wait_until" and _engaged(enrollment, step["event"]):
            return Move(to=following, note=step["event"])
        seconds = domain.wait_seconds(step) if kind == "wait" else int(
            step["timeout_hours"]) * 3600
        if enrollment.resume_at is None:
            return Move(to=step["id"], stay_until=now + timedelta(seconds=seconds))
        if now < _at(enrollment.resume_at):
            return None
        return Move(to=following, note="waited" if kind == "wait" else "timeout")
    if kind == "branch":
        holds = _engaged(enrollment, step["condition"]) if step.get("condition") else \
            _attribute(enrollment, step.get("filter"))
        target = step.get("then") if holds else step.get("else")
        if target is None:
            return Move(outcome="exited", note=f"branch:{'yes' if holds else 'no'}")
        return Move(to=str(target), note=f"branch:{'yes' if holds else 'no'}")
    if kind == "update_contact":
        return Move(to=following, events=_contact_commands(journey, enrollment, step))
    if kind == "create_task":
        return Move(to=following, events=[_task_command(journey, enrollment, step)])
    return Move(outcome="exited", note="exit")


def _engaged(enrollment: EnrollmentItem, event: str) -> bool:
    if not enrollment.last_send_pk or not enrollment.last_send_sk:
        return False
    send = sends.get(enrollment.last_send_pk, enrollment.last_send_sk)
    return send is not None and bool(send.opened_at if event == "opened" else send.clicked_at)


def _attribute(enrollment: EnrollmentItem, stored_filter: dict[str, Any] | None) -> bool:
    person = people.get_person(enrollment.tenant_id, enrollment.contact_id)
    if person is None or person.doc is None:
        return False
    return domain.matches(stored_filter, segment_record(person, clock.now()))


def _send(journey: JourneyItem, enrollment: EnrollmentItem, step: dict[str, Any],
          following: str | None) -> Move:
    tenant_id, contact_id = enrollment.tenant_id, enrollment.contact_id
    pk, sk = repository.send_keys(tenant_id, enrollment.enrollment_id, step["id"],
                                  int(enrollment.seq or 0))
    template = templates.repository.get_template(tenant_id, step["template_id"])
    channel = template.channel if template is not None else "email"
    person = people.get_person(tenant_id, contact_id)
    raw = (person.email if channel == "email" else person.phone) if person else None
    address = suppression.lenient(channel, raw) if raw else None
    reasons: set[str] = set()
    if address:
        digest = suppression.address_hash(tenant_id, address)
        reasons = suppressions.reasons_of_many(tenant_id, [digest]).get(digest, set())
    company_id = (person.doc or {}).get("company_id") if person is not None else None
    company = people.get_company(tenant_id, company_id) if company_id else None
    job = sender.Job(tenant_id, channel, template, marketing=True,
                     sender=templates.sender_for(tenant_id, None) if channel == "email"
                     else None)
    to = sender.Recipient(pk, sk, contact_id, address, person,
                          company.doc if company is not None else None)
    # a fresh owner per attempt: a claim left by a dead attempt is `taken`, never resent
    outcome = sender.deliver(job, to, new_id("run"), sends.get(pk, sk), reasons)
    record = sends.get(pk, sk)
    return Move(to=following, note=outcome,
                send=(pk, sk, record.message_id) if record is not None else None)


def _command(journey: JourneyItem, enrollment: EnrollmentItem, index: int, service: str,
             action: dict[str, Any], entity_type: str | None) -> WorkflowActionRequested:
    return WorkflowActionRequested(
        run_id=enrollment.enrollment_id, workflow_id=journey.journey_id, workflow_version=1,
        action_index=index, action=action, target_service=service, entity_type=entity_type,
        entity_id=enrollment.contact_id if entity_type else None)


def _contact_commands(journey: JourneyItem, enrollment: EnrollmentItem,
                      step: dict[str, Any]) -> list[Event]:
    base = int(enrollment.seq or 0) * 10
    found: list[Event] = []
    if step.get("add_tag"):
        found.append(_command(journey, enrollment, base, "contacts",
                              {"type": "add_tag", "tag": step["add_tag"]}, "contact"))
    if step.get("lifecycle_stage"):
        found.append(_command(journey, enrollment, base + 1, "contacts",
                              {"type": "set_field", "field": "lifecycle_stage",
                               "value": step["lifecycle_stage"]}, "contact"))
    return found


def _task_command(journey: JourneyItem, enrollment: EnrollmentItem,
                  step: dict[str, Any]) -> Event:
    due = step.get("due_in_days")
    action = {"type": "create_task", "title": step["title"], "task_type": step["task_type"],
              "assignee_id": step.get("assignee_id"),
              "due_at": clock.iso(clock.now() + timedelta(days=int(due)))
              if due is not None else None,
              "links": {"contact_id": enrollment.contact_id}}
    return _command(journey, enrollment, int(enrollment.seq or 0) * 10, "sales", action, None)


def _commit(enrollment: EnrollmentItem, journey: JourneyItem | None, move: Move) -> bool:
    """The step's effects and the move, once (conditioned on the enrollment's seq)."""
    tenant_id, journey_id = enrollment.tenant_id, enrollment.journey_id
    expected, current = int(enrollment.seq or 0), str(enrollment.step_id)
    uow = repository.unit_of_work()
    enrollment.seq = expected + 1
    history = list(enrollment.history or [])
    if move.stay_until is None:
        history.append(f"{current}:{move.note}" if move.note else current)
    enrollment.history = history[-HISTORY:]
    if move.send is not None:
        enrollment.last_send_pk, enrollment.last_send_sk, enrollment.last_message_id = move.send

    def stat(step_id: str, counter: str) -> None:
        uow.update(repository.stats_key(tenant_id, journey_id, step_id),
                   [getattr(StepStatsItem, counter).add(1)], label="stats")

    if move.stay_until is not None:
        enrollment.resume_at = clock.iso(move.stay_until)
        repository.set_due(enrollment, move.stay_until)
    elif move.outcome is None and move.to is not None:
        stat(current, "completed")
        stat(move.to, "entered")
        enrollment.step_id, enrollment.resume_at = move.to, None
        repository.set_due(enrollment, None)
    else:
        outcome = move.outcome or "completed"
        stat(current, "completed" if outcome == "completed" else "exited")
        enrollment.status = "completed" if outcome == "completed" else "exited"
        enrollment.outcome, enrollment.finished_at = outcome, clock.iso()
        enrollment.resume_at = None
        repository.finished(enrollment)
        counter = JourneyItem.completed if outcome == "completed" else JourneyItem.exited
        if journey is not None:
            uow.update(repository.key(tenant_id, journey_id), [counter.add(1)],
                       condition=JourneyItem.PK.exists(), label="journey")
        uow.update(repository.new_presence(tenant_id, journey_id, enrollment.contact_id, "",
                                           ""), [PresenceItem.active.set(False)],
                   condition=PresenceItem.enrollment_id == enrollment.enrollment_id,
                   label="presence")
        uow.emit(JourneyCompleted(journey_id=journey_id, contact_id=enrollment.contact_id,
                                  completed_at=enrollment.finished_at, outcome=outcome,
                                  enrollment_id=enrollment.enrollment_id), tenant_id)
    for event in move.events:
        uow.emit(event, tenant_id)
    uow.put(enrollment, condition=(EnrollmentItem.seq == expected)
            & (EnrollmentItem.status == "active"), label="enrollment")
    try:
        uow.commit()
    except TransactionConflict:
        return False  # another run executed this step: re-read and go on from there
    return True
