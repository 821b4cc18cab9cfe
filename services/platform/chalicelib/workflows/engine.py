"""The workflow engine: start runs for events, send each action's command in order, record
the answers, resume runs whose wait is over.

A run and its first command commit in the transaction that consumed the trigger event; each
answer and the next command commit together too, so a run never loses or repeats a step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from chalicelib import repository as directory
from chalicelib.workflows import domain, repository
from chalicelib.workflows.models import RunItem, WorkflowItem
from crm_shared import clock, context, observability
from crm_shared.automation import MAX_DEPTH, Link, chain_of, with_run
from crm_shared.errors import PreconditionFailed
from crm_shared.events.automation_events import (
    WorkflowActionCompleted,
    WorkflowActionFailed,
    WorkflowActionRequested,
)
from crm_shared.events.consumer import EventContext
from crm_shared.events.envelope import Event
from crm_shared.filters import FilterGroup
from crm_shared.ids import new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

MAX_PER_TRIGGER = 20  # a run costs ~4 items of the event's one transaction (100 at most)
RATE_WINDOW = timedelta(hours=1)
PUBLIC = ("workflow_id", "workflow_version", "status", "trigger", "depth", "caused_by_run",
          "conditions", "actions", "started_at", "updated_at", "finished_at")


def _log() -> Any:
    return observability.logger("platform")


@contextmanager
def correlated(correlation_id: str) -> Iterator[None]:
    """Emit under the run's correlation id: it carries the loop-protection chain."""
    ctx = context.current()
    before = ctx.correlation_id
    ctx.correlation_id = correlation_id
    try:
        yield
    finally:
        ctx.correlation_id = before


def shown(run: RunItem) -> dict[str, Any]:
    """The run log as the API shows it."""
    return {"run_id": run.run_id, **{k: run.doc.get(k) for k in PUBLIC}}


# -- deciding -------------------------------------------------------------------------------

def skip_reason(workflow: WorkflowItem, chain: list[Link]) -> str | None:
    if any(link.workflow_id == workflow.workflow_id for link in chain):
        return "the event was caused by this workflow's own run"
    if len(chain) >= MAX_DEPTH:
        return f"the chain of runs causing the event is {len(chain)} deep (at most {MAX_DEPTH})"
    return None


def plan_action(uow: UnitOfWork | None, tenant_id: str, workflow_id: str, index: int,
                action: dict[str, Any], event_type: str, data: dict[str, Any]
                ) -> tuple[dict[str, Any] | None, str | None]:
    """The resolved action to send, or why it cannot be sent. With `uow`, a team round
    robin moves on (simulations read the position without moving it)."""
    entity_type, entity_id, record = domain.entity_of(event_type, data)
    assignee = None
    if action["type"] == "assign_owner" and action.get("team_id"):
        team = directory.get_team(tenant_id, str(action["team_id"]))
        members = sorted(team.member_ids or ()) if team else []
        if not members:
            return None, "the team has no member to assign"
        seen = repository.pointer(tenant_id, workflow_id, index)
        assignee = members[(seen or 0) % len(members)]
        if uow is not None:
            repository.move_pointer(uow, tenant_id, workflow_id, index, seen,
                                    ((seen or 0) + 1) % len(members))
    resolved = domain.command_action(action, entity_type, entity_id, data, record, assignee)
    if action["type"] == "call_webhook":
        resolved |= {"event_type": event_type, "payload": data}
    return resolved, None


def command(run: RunItem, index: int, resolved: dict[str, Any]) -> WorkflowActionRequested:
    trigger = run.doc["trigger"]
    return WorkflowActionRequested(
        run_id=run.run_id, workflow_id=run.workflow_id,
        workflow_version=int(run.doc["workflow_version"]), action_index=index, action=resolved,
        target_service=domain.target_service(resolved["type"], trigger.get("entity_type")),
        entity_type=trigger.get("entity_type"), entity_id=trigger.get("entity_id"))


# -- running --------------------------------------------------------------------------------

def on_event(event: Event, ctx: EventContext, uow: UnitOfWork) -> None:
    """Start a run of each of the tenant's enabled workflows this event triggers."""
    if not domain.is_trigger(ctx.detail_type):
        return
    workflows = repository.enabled_for(ctx.tenant_id, ctx.detail_type, MAX_PER_TRIGGER)
    if not workflows:
        return
    chain = chain_of(ctx.correlation_id)
    data = event.model_dump(mode="json")
    for workflow in workflows:
        start(uow, ctx, workflow, data, chain)


def start(uow: UnitOfWork, ctx: EventContext, workflow: WorkflowItem, data: dict[str, Any],
          chain: list[Link]) -> RunItem | None:
    reason = skip_reason(workflow, chain)
    if reason:
        _log().info("workflow not run", extra={"workflow_id": workflow.workflow_id,
                                               "reason": reason})
        return None
    doc = workflow.doc
    groups = [FilterGroup.model_validate(g) for g in doc.get("conditions", [])]
    matched, results = domain.evaluate(groups, data)
    if not matched:
        return None
    entity_type, entity_id, _ = domain.entity_of(ctx.detail_type, data)
    entity = f"{entity_type}:{entity_id}" if entity_id else "none"
    hour = clock.iso()[:13]
    limit = int(doc.get("max_runs_per_hour", 10))
    if repository.runs_this_hour(ctx.tenant_id, workflow.workflow_id, entity, hour) >= limit:
        _log().warning("workflow rate limit reached; not run", extra={
            "workflow_id": workflow.workflow_id, "entity": entity, "limit": limit})
        return None
    repository.count_run(uow, ctx.tenant_id, workflow.workflow_id, entity, hour, limit,
                         clock.now() + 2 * RATE_WINDOW)
    run_id = new_id("wfr")
    now = clock.iso()
    run = repository.new_run(ctx.tenant_id, run_id, workflow.workflow_id, {
        "workflow_id": workflow.workflow_id, "workflow_version": workflow.version or 0,
        "status": "running", "depth": len(chain) + 1,
        "caused_by_run": chain[-1].run_id if chain else None,
        "trigger": {"event_type": ctx.detail_type, "event_id": ctx.event_id,
                    "entity_type": entity_type, "entity_id": entity_id},
        "conditions": results,
        "actions": [{"index": i, "type": a["type"], "status": "pending"}
                    for i, a in enumerate(doc["actions"])],
        "started_at": now, "updated_at": now, "finished_at": None,
        "correlation_id": with_run(ctx.correlation_id, workflow.workflow_id, run_id),
        "spec": doc["actions"], "data": data,
    })
    advance(uow, run)
    repository.save_run(uow, run, creating=True)
    return run


def _finish(run: RunItem, status: str) -> None:
    run.doc["status"] = status
    run.doc["finished_at"] = clock.iso()
    repository.set_resume(run, None)


def advance(uow: UnitOfWork, run: RunItem) -> None:
    """Send the next pending action's command, or start its wait, or finish the run."""
    doc = run.doc
    doc["updated_at"] = clock.iso()
    pending = next((s for s in doc["actions"] if s["status"] == "pending"), None)
    if pending is None:
        _finish(run, "completed")
        return
    index = int(pending["index"])
    action = doc["spec"][index]
    if action["type"] == "wait":
        resume = clock.now() + timedelta(seconds=domain.wait_seconds(action))
        pending.update(status="waiting", resume_at=clock.iso(resume),
                       requested_at=clock.iso())
        doc["status"] = "waiting"
        repository.set_resume(run, resume)
        return
    resolved, refused = plan_action(uow, run.tenant_id, run.workflow_id, index, action,
                                    doc["trigger"]["event_type"], doc["data"])
    if resolved is None:
        fail(run, index, {"code": "not_possible", "message": refused or "not possible"})
        return
    sent = command(run, index, resolved)
    with correlated(str(doc["correlation_id"])):
        uow.emit(sent, run.tenant_id)
    pending.update(status="requested", target_service=sent.target_service,
                   requested_at=clock.iso())
    doc["status"] = "running"
    repository.set_resume(run, None)


def fail(run: RunItem, index: int, error: dict[str, Any]) -> None:
    for state in run.doc["actions"]:
        if state["index"] == index:
            state.update(status="failed", error=error, finished_at=clock.iso())
        elif state["status"] in ("pending", "waiting"):
            state["status"] = "skipped"
    _finish(run, "failed")


def _answered(run: RunItem | None, index: int) -> dict[str, Any] | None:
    """The action state an answer is for, if it still waits for one (else a duplicate)."""
    if run is None or not 0 <= index < len(run.doc["actions"]):
        return None
    state: dict[str, Any] = run.doc["actions"][index]
    return state if state["status"] == "requested" else None


def on_completed(event: WorkflowActionCompleted, ctx: EventContext, uow: UnitOfWork) -> None:
    run = repository.get_run(ctx.tenant_id, event.run_id, consistent=True)
    state = _answered(run, event.action_index)
    if run is None or state is None:
        return
    state.update(status="completed", result=event.result, finished_at=clock.iso())
    advance(uow, run)
    repository.save_run(uow, run)


def on_failed(event: WorkflowActionFailed, ctx: EventContext, uow: UnitOfWork) -> None:
    run = repository.get_run(ctx.tenant_id, event.run_id, consistent=True)
    if run is None or _answered(run, event.action_index) is None:
        return
    fail(run, event.action_index, event.error)
    run.doc["updated_at"] = clock.iso()
    repository.save_run(uow, run)


def resume_due(limit: int = 100) -> int:
    """Scheduled: continue every run whose wait is over, each once."""
    resumed = 0
    for run in repository.due_runs(limit):
        context.begin(None)
        waiting = next((s for s in run.doc["actions"] if s["status"] == "waiting"), None)
        if waiting is not None:
            waiting.update(status="completed", finished_at=clock.iso())
        uow = repository.unit_of_work()
        advance(uow, run)
        repository.save_run(uow, run)
        try:
            uow.commit()
        except (PreconditionFailed, TransactionConflict):
            continue  # changed meanwhile: the next sweep sees it as it is now
        resumed += 1
    return resumed
