"""Carry out one workflow action in sales' own use cases, so a workflow's change is checked
and announced exactly like a user's (the events it emits carry the run's correlation id)."""

from __future__ import annotations

from typing import Any

from chalicelib.approvals import logic as approvals
from chalicelib.directory import logic as directory
from chalicelib.leads import domain as lead_rules
from chalicelib.leads import logic as leads
from chalicelib.leads import repository as lead_store
from chalicelib.leads.schemas import LeadFields
from chalicelib.opportunities import logic as opportunities
from chalicelib.opportunities import repository as deal_store
from chalicelib.opportunities.schemas import OpportunityFields
from chalicelib.tasks import logic as tasks
from chalicelib.tasks import repository as task_store
from chalicelib.tasks.schemas import TaskFields
from crm_shared.errors import Conflict, NotFound, ValidationFailed
from crm_shared.events.automation_events import WorkflowActionRequested
from crm_shared.events.sales_events import LeadAssigned
from crm_shared.unit_of_work import UnitOfWork


def perform(uow: UnitOfWork, tenant_id: str, command: WorkflowActionRequested
            ) -> dict[str, Any]:
    """Stage the action in `uow`; returns its result for the run log (4xx: refused)."""
    action = command.action
    name = action["type"]
    by = f"workflow:{command.workflow_id}"
    if name == "create_task":
        return _create_task(uow, tenant_id, action, by)
    if name == "request_approval":
        return _request_approval(uow, tenant_id, command, by)
    if command.entity_type == "lead":
        return _on_lead(uow, tenant_id, str(command.entity_id), action)
    if command.entity_type == "opportunity":
        return _on_opportunity(uow, tenant_id, str(command.entity_id), action)
    if command.entity_type == "task":
        return _on_task(uow, tenant_id, str(command.entity_id), action)
    raise ValidationFailed.for_field("entity_type", f"sales has no {command.entity_type}")


def _active_user(tenant_id: str, user_id: str, field: str) -> str:
    user = directory.user(tenant_id, user_id)
    if user is None or not user.active:
        raise ValidationFailed.for_field(field, "no such active user in this tenant")
    return user_id


def _create_task(uow: UnitOfWork, tenant_id: str, action: dict[str, Any], by: str
                 ) -> dict[str, Any]:
    assignee = action.get("assignee_id")
    if assignee:
        _active_user(tenant_id, str(assignee), "assignee_id")
    shown = tasks.create_in(uow, tenant_id, {
        "type": action.get("task_type", "todo"), "title": action["title"],
        "notes": action.get("notes"), "due_at": action.get("due_at"),
        "assignee_id": assignee, "links": action.get("links") or {}}, created_by=by)
    return {"task_id": shown["task_id"], "assignee_id": shown.get("assignee_id")}


def _request_approval(uow: UnitOfWork, tenant_id: str, command: WorkflowActionRequested,
                      by: str) -> dict[str, Any]:
    if not command.entity_type or not command.entity_id:
        raise ValidationFailed.for_field("entity_id", "the event names no record to approve")
    action = command.action
    shown = approvals.request_in(
        uow, tenant_id, subject_type=command.entity_type, subject_id=command.entity_id,
        reason=str(action["reason"]), requested_by=by, approver_id=action.get("approver_id"))
    hooks = approvals.SUBJECTS.get(command.entity_type)
    if hooks is not None:  # e.g. the deal's approval_status becomes pending
        hooks.requested(uow, tenant_id, command.entity_id, shown["approval_id"])
    return {"approval_id": shown["approval_id"], "approver_id": shown["approver_id"]}


def _tags(doc: dict[str, Any], action: dict[str, Any]) -> list[str]:
    tags = set(doc.get("tags") or [])
    if action["type"] == "add_tag":
        tags.add(str(action["tag"]))
    else:
        tags.discard(str(action["tag"]))
    return sorted(tags)


def _on_lead(uow: UnitOfWork, tenant_id: str, lead_id: str, action: dict[str, Any]
             ) -> dict[str, Any]:
    item = lead_store.get(tenant_id, lead_id, consistent=True)
    if item is None:
        raise NotFound.for_field("entity_id", "the lead no longer exists")
    status = item.doc.get("status", lead_rules.NEW)
    if status == lead_rules.CONVERTED:
        raise Conflict.for_field("entity_id", "a converted lead is read-only",
                                 code="lead_converted")
    name = action["type"]
    if name == "set_field":
        sent = LeadFields.model_validate({action["field"]: action.get("value")}).model_dump(
            mode="json", exclude_unset=True)
        changes = leads.normalized(sent)
        if "status" in changes:
            if changes["status"] is None:
                raise ValidationFailed.for_field("value", "status cannot be cleared")
            lead_rules.check_transition(status, changes["status"])
        lead_rules.require_identity({**item.doc, **changes})
        return {"changed": leads.stage_save(uow, item, changes)}
    if name == "assign_owner":
        owner = _active_user(tenant_id, str(action["user_id"]), "user_id")
        changed = leads.stage_save(uow, item, {"owner_id": owner, "assignment_status": "manual",
                                               "assignment_note": None})
        if "owner_id" in changed:
            uow.emit(LeadAssigned(lead_id=lead_id, owner_id=owner,
                                  team_id=item.doc.get("team_id")), tenant_id)
        return {"owner_id": owner, "changed": changed}
    tags = LeadFields.model_validate({"tags": _tags(item.doc, action)}).tags or []  # <= 20
    return {"tags": tags, "changed": leads.stage_save(uow, item, {"tags": tags or None})}


def _on_opportunity(uow: UnitOfWork, tenant_id: str, opportunity_id: str,
                    action: dict[str, Any]) -> dict[str, Any]:
    item = deal_store.get(tenant_id, opportunity_id, consistent=True)
    if item is None or item.deleted:
        raise NotFound.for_field("entity_id", "the opportunity no longer exists")
    if action["type"] == "set_field":
        sent = OpportunityFields.model_validate({action["field"]: action.get("value")}
                                                ).model_dump(mode="json", exclude_unset=True)
    elif action["type"] == "assign_owner":
        sent = {"owner_id": _active_user(tenant_id, str(action["user_id"]), "user_id")}
    else:
        raise ValidationFailed.for_field("type", "an opportunity has no tags")
    opportunities.change_in(uow, item, sent)
    return {"set": sent}


def _on_task(uow: UnitOfWork, tenant_id: str, task_id: str, action: dict[str, Any]
             ) -> dict[str, Any]:
    item = task_store.get(tenant_id, task_id, consistent=True)
    if item is None:
        raise NotFound.for_field("entity_id", "the task no longer exists")
    if action["type"] == "set_field":
        changes = TaskFields.model_validate({action["field"]: action.get("value")}).model_dump(
            mode="json", exclude_unset=True)
    elif action["type"] == "assign_owner":
        changes = {"assignee_id": _active_user(tenant_id, str(action["user_id"]), "user_id")}
    else:
        raise ValidationFailed.for_field("type", "a task has no tags")
    return {"changed": tasks.stage_save(uow, item, changes)}
