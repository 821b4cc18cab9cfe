"""Workflow automation's contract between the platform's engine and the services that act.

- `ENTITIES`: which service owns each entity type a workflow may change, the fields its
  `set_field` may write, its owner field, and whether it has tags. The platform validates
  workflows against it; each owning service honours it.
- The loop-protection chain: a run's command carries, in its correlation id, the workflows
  and runs that caused it (`with_run`). The acting service handles the command under that
  correlation id, so every event its change emits carries the chain too, and the engine
  reads it back (`chain_of`): a workflow never reacts to a chain it is already in, and a
  chain stops at `MAX_DEPTH` runs. The correlation id was chosen over a new metadata field
  because it already travels from event to handler to emitted event in every service.
- `carry_out`: how an owning service executes one `WorkflowActionRequested` exactly once
  per (run, action) and answers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from pydantic import ValidationError
from pynamodb.attributes import UnicodeAttribute

from crm_shared import clock, observability
from crm_shared.dynamo import BaseItem, table_meta, tenant_key
from crm_shared.errors import Problem
from crm_shared.events.automation_events import (
    WorkflowActionCompleted,
    WorkflowActionFailed,
    WorkflowActionRequested,
)
from crm_shared.events.consumer import EventContext
from crm_shared.unit_of_work import UnitOfWork
from crm_shared.validation import problem_from

MAX_DEPTH = 5
CHAIN_MARK = "~wf:"
ACTION_KEY_TTL = timedelta(days=30)


@dataclass(frozen=True)
class EntitySpec:
    service: str
    fields: frozenset[str]
    owner_field: str
    tags: bool


ENTITIES: dict[str, EntitySpec] = {
    "lead": EntitySpec("sales", frozenset({
        "name", "email", "phone", "company_name", "company_size", "industry", "title",
        "source", "notes", "status", "team_id"}), "owner_id", True),
    "opportunity": EntitySpec("sales", frozenset({
        "name", "stage", "amount", "discount_percent", "expected_close_date", "probability",
        "forecast_category", "source", "lost_reason", "team_id"}), "owner_id", False),
    "task": EntitySpec("sales", frozenset({"title", "notes", "type", "due_at", "completed"}),
                       "assignee_id", False),
    "contact": EntitySpec("contacts", frozenset({
        "first_name", "last_name", "title", "lifecycle_stage", "source", "team_id"}),
        "owner_id", True),
    "company": EntitySpec("contacts", frozenset({"name", "industry", "employees", "team_id"}),
                          "owner_id", True),
}


# -- the loop-protection chain ------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    workflow_id: str
    run_id: str


def chain_of(correlation_id: str | None) -> list[Link]:
    """The runs that caused the event carrying this correlation id, oldest first."""
    if not correlation_id or CHAIN_MARK not in correlation_id:
        return []
    links = []
    for part in correlation_id.split(CHAIN_MARK, 1)[1].split(","):
        workflow_id, _, run_id = part.partition("/")
        if workflow_id and run_id:
            links.append(Link(workflow_id, run_id))
    return links


def origin_of(correlation_id: str | None) -> str | None:
    """The correlation id of the request that started it all (the chain removed)."""
    if not correlation_id:
        return None
    return correlation_id.split(CHAIN_MARK, 1)[0] or None


def with_run(correlation_id: str | None, workflow_id: str, run_id: str) -> str:
    """The correlation id of everything a run causes: its causes' chain plus the run."""
    links = [*chain_of(correlation_id), Link(workflow_id, run_id)]
    chain = ",".join(f"{link.workflow_id}/{link.run_id}" for link in links)
    return f"{origin_of(correlation_id) or run_id}{CHAIN_MARK}{chain}"


# -- carrying out a command ---------------------------------------------------------------

class ActionKeyItem(BaseItem):
    """The (run, action) a service has carried out: a second command for it does nothing."""

    outcome = UnicodeAttribute()


@cache
def _key_model(service: str) -> type[ActionKeyItem]:
    return type(f"{service.title()}ActionKeyItem", (ActionKeyItem,),
                {"Meta": table_meta(service)})


class StagedWork(UnitOfWork):
    """Writes an action stages on its own, moved into the event's transaction only if the
    action succeeded: a refused action leaves nothing half-staged behind."""

    def commit(self) -> None:
        raise RuntimeError("staged work commits with the event's unit of work")

    def replay_into(self, uow: UnitOfWork) -> None:
        for label, (model, hash_key, range_key, condition) in self._ops["check"]:
            uow.check(model, hash_key, range_key, condition, label=label)
        for label, (item, condition) in self._ops["delete"]:
            uow.delete(item, condition, label=label)
        for label, (item, condition) in self._ops["put"]:
            uow.put(item, condition, label=label)
        for label, (item, actions, condition) in self._ops["update"]:
            uow.update(item, actions, condition, label=label)
        uow.events.extend(self.events)


Perform = Callable[[UnitOfWork, str, WorkflowActionRequested], dict[str, Any]]


def carry_out(service: str, command: WorkflowActionRequested, ctx: EventContext,
              uow: UnitOfWork, perform: Perform) -> None:
    """Run `perform` once per (run, action) and answer with its result or its refusal.

    The key, the action's writes and the answer commit in the event's one transaction. A
    refusal (any 4xx problem, e.g. a value the entity does not accept) is final and is
    answered as `WorkflowActionFailed`; anything else raises so the event is retried.
    """
    if command.target_service != service:
        return
    model = _key_model(service)
    pk = tenant_key(ctx.tenant_id, "WFACTION", command.run_id, str(command.action_index))
    try:
        model.get(pk, service, consistent_read=True)
        return  # carried out before: its answer left in that transaction's outbox
    except model.DoesNotExist:
        pass
    staged = StagedWork(service)
    try:
        try:
            result = perform(staged, ctx.tenant_id, command)
        except ValidationError as exc:
            raise problem_from(exc) from None
    except Problem as problem:
        if problem.status >= 500:
            raise
        observability.logger(service).info("workflow action refused", extra={
            "run_id": command.run_id, "action_index": command.action_index,
            "code": problem.code})
        error = {"code": problem.code, "message": problem.detail,
                 "errors": [dict(e) for e in problem.errors]}
        uow.put(model(PK=pk, SK=service, outcome="failed",
                      expires_at=clock.now() + ACTION_KEY_TTL),
                condition=model.PK.does_not_exist(), label="workflow_action")
        uow.emit(WorkflowActionFailed(run_id=command.run_id, workflow_id=command.workflow_id,
                                      action_index=command.action_index, error=error),
                 ctx.tenant_id)
        return
    staged.replay_into(uow)
    uow.put(model(PK=pk, SK=service, outcome="completed",
                  expires_at=clock.now() + ACTION_KEY_TTL),
            condition=model.PK.does_not_exist(), label="workflow_action")
    uow.emit(WorkflowActionCompleted(run_id=command.run_id, workflow_id=command.workflow_id,
                                     action_index=command.action_index, result=result),
             ctx.tenant_id)
