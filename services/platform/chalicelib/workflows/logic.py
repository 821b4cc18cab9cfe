"""Workflow use cases: create, replace, patch and delete (each save a new version), read,
and simulate an event against a workflow without doing anything."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib import repository as directory
from chalicelib.workflows import domain, engine, repository
from chalicelib.workflows.models import WorkflowItem
from chalicelib.workflows.schemas import WorkflowFields, WorkflowPatch, WorkflowReplace
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.filters import FilterGroup
from crm_shared.ids import is_id, new_id
from crm_shared.validation import field_path, problem_from

PREFIX = "wfl"
MAX_WORKFLOWS = 200
USER_REFS = {"assign_owner": "user_id", "create_task": "assignee_id",
             "request_approval": "approver_id"}


def record(item: WorkflowItem, version: int | None = None) -> dict[str, Any]:
    return {**item.doc, "workflow_id": item.workflow_id, "created_by": item.created_by,
            "created_at": item.created_at, "updated_at": item.updated_at,
            "version": version or item.version or 0}


def get(tenant_id: str, workflow_id: str, consistent: bool = False) -> WorkflowItem:
    item = repository.get_workflow(tenant_id, workflow_id, consistent) \
        if is_id(workflow_id, PREFIX) else None
    if item is None:
        raise NotFound("no such workflow")
    return item


# -- checks ---------------------------------------------------------------------------------

def _check_references(tenant_id: str, actions: list[dict[str, Any]]) -> None:
    """Users and teams an action names exist in the tenant (one BatchGetItem each)."""
    users = {a[USER_REFS[a["type"]]] for a in actions
             if a["type"] in USER_REFS and a.get(USER_REFS[a["type"]])}
    teams = {a["team_id"] for a in actions if a["type"] == "assign_owner" and a.get("team_id")}
    found_users = directory.get_users(tenant_id, users)
    found_teams = directory.get_teams(tenant_id, teams)
    for i, action in enumerate(actions):
        ref = USER_REFS.get(action["type"])
        if ref and action.get(ref) and action[ref] not in found_users:
            raise ValidationFailed.for_field(f"actions[{i}].{ref}", "no such user in this tenant")
        team_id = action.get("team_id") if action["type"] == "assign_owner" else None
        if team_id and (team_id not in found_teams or not found_teams[team_id].member_ids):
            raise ValidationFailed.for_field(f"actions[{i}].team_id",
                                             "no such team, or it has no member")


def _effects(doc: dict[str, Any]) -> list[frozenset[str]]:
    event_type = doc["trigger"]["event_type"]
    return [domain.effects(event_type, action) for action in doc["actions"]]


def _check_enabled(tenant_id: str, workflow_id: str, doc: dict[str, Any]) -> None:
    """Room on the trigger, and no cycle through other enabled workflows."""
    event_type = doc["trigger"]["event_type"]
    others = [w for w in repository.enabled_for(tenant_id, event_type,
                                                engine.MAX_PER_TRIGGER + 1)
              if w.workflow_id != workflow_id]
    if len(others) >= engine.MAX_PER_TRIGGER:
        raise Conflict.for_field("trigger.event_type", f"at most {engine.MAX_PER_TRIGGER} "
                                 f"enabled workflows may start on {event_type}",
                                 code="too_many_workflows")
    graph = {w.workflow_id: (str(w.doc["trigger"]["event_type"]), _effects(w.doc))
             for w in repository.all_workflows(tenant_id, MAX_WORKFLOWS + 1)
             if w.doc.get("enabled") and w.workflow_id != workflow_id}
    graph[workflow_id] = (event_type, _effects(doc))
    cycle = domain.find_cycle(workflow_id, graph)
    if cycle is not None:
        raise domain.cycle_problem(*cycle)


def _check(tenant_id: str, workflow_id: str, fields: WorkflowFields) -> dict[str, Any]:
    """The stored document of a valid workflow; a 422 or 409 naming the field otherwise."""
    doc = fields.model_dump(mode="json", exclude_none=True)
    doc.setdefault("description", None)
    event_type = fields.trigger.event_type
    domain.check_trigger(event_type)
    domain.check_conditions(event_type, fields.conditions)
    domain.check_actions(event_type, doc["actions"])
    _check_references(tenant_id, doc["actions"])
    if fields.enabled:
        _check_enabled(tenant_id, workflow_id, doc)
    return doc


# -- use cases ------------------------------------------------------------------------------

def create(principal: Principal, tenant_id: str, fields: WorkflowFields) -> WorkflowItem:
    if len(repository.all_workflows(tenant_id, MAX_WORKFLOWS)) >= MAX_WORKFLOWS:
        raise Conflict(f"a tenant has at most {MAX_WORKFLOWS} workflows", code="too_many")
    workflow_id = new_id(PREFIX)
    doc = _check(tenant_id, workflow_id, fields)
    item = repository.new_workflow(tenant_id, workflow_id, doc, principal.actor, clock.iso())
    uow = repository.unit_of_work()
    uow.put(item, WorkflowItem.PK.does_not_exist(), label="workflow")
    uow.commit()
    return item


def _save(item: WorkflowItem, fields: WorkflowFields) -> WorkflowItem:
    item.doc = _check(item.tenant_id, item.workflow_id, fields)
    item.updated_at = clock.iso()
    repository.index_workflow(item)
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    uow.commit()
    return item


def _fresh(tenant_id: str, workflow_id: str, if_match: int | None) -> WorkflowItem:
    item = get(tenant_id, workflow_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the workflow changed since you read it",
                                 code="version_mismatch")
    return item


def _whole(sent: dict[str, Any]) -> WorkflowFields:
    try:
        return WorkflowFields.model_validate(sent)
    except ValidationError as exc:
        raise problem_from(exc) from None


def replace(tenant_id: str, workflow_id: str, body: WorkflowReplace,
            if_match: int | None) -> WorkflowItem:
    item = _fresh(tenant_id, workflow_id, if_match)
    return _save(item, _whole(body.model_dump(mode="json", exclude_unset=True)))


def patch(tenant_id: str, workflow_id: str, changes: WorkflowPatch,
          if_match: int | None) -> WorkflowItem:
    item = _fresh(tenant_id, workflow_id, if_match)
    sent = changes.model_dump(mode="json", exclude_unset=True)
    for name in ("name", "enabled", "trigger", "conditions", "actions", "max_runs_per_hour"):
        if name in sent and sent[name] is None:
            raise ValidationFailed.for_field(name, "cannot be cleared")
    return _save(item, _whole({**item.doc, **sent}))


def delete(tenant_id: str, workflow_id: str, if_match: int | None) -> None:
    """Runs in flight finish with the version they started with."""
    item = _fresh(tenant_id, workflow_id, if_match)
    uow = repository.unit_of_work()
    uow.delete(item, WorkflowItem.version == item.version, label="version")
    uow.commit()


# -- simulation -----------------------------------------------------------------------------

def simulate(tenant_id: str, workflow_id: str, event_type: str | None,
             data: dict[str, Any]) -> dict[str, Any]:
    """What the workflow would do with this event, in order, without doing any of it."""
    item = get(tenant_id, workflow_id)
    doc = item.doc
    trigger = str(doc["trigger"]["event_type"])
    event_type = event_type or trigger
    if not domain.is_trigger(event_type):
        raise ValidationFailed.for_field("event_type", f"{event_type!r} is not in the catalog")
    try:
        event = domain.catalog()[event_type].model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ValidationFailed.for_field("data." + field_path(tuple(first["loc"])),
                                         first["msg"]) from None
    payload = event.model_dump(mode="json")
    entity_type, entity_id, _ = domain.entity_of(event_type, payload)
    groups = [FilterGroup.model_validate(g) for g in doc.get("conditions", [])]
    matched, results = domain.evaluate(groups, payload)
    out: dict[str, Any] = {"matched": matched, "skipped_reason": None, "conditions": results,
                           "entity_type": entity_type, "entity_id": entity_id, "commands": []}
    if event_type != trigger:
        out.update(matched=False, skipped_reason=f"the workflow starts on {trigger}")
        return out
    if not doc.get("enabled"):
        out["skipped_reason"] = "the workflow is disabled"
    if not matched:
        return out
    for index, action in enumerate(doc["actions"]):
        if action["type"] == "wait":
            out["commands"].append({"action_index": index, "type": "wait", "action": action})
            continue
        resolved, refused = engine.plan_action(None, tenant_id, workflow_id, index, action,
                                               event_type, payload)
        if resolved is None:
            out["commands"].append({"action_index": index, "type": action["type"],
                                    "action": {**action, "refused": refused}})
            break
        out["commands"].append({
            "action_index": index, "type": action["type"],
            "event_type": "WorkflowActionRequested",
            "target_service": domain.target_service(action["type"], entity_type),
            "entity_type": entity_type, "entity_id": entity_id, "action": resolved})
    return out
