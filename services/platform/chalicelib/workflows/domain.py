"""Workflow rules in plain Python: what a trigger's entity is, which actions apply to it,
what each action may cause (for cycle detection), condition evaluation and command shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Any

from crm_shared import clock
from crm_shared.automation import ENTITIES
from crm_shared.errors import Conflict, ValidationFailed
from crm_shared.events.envelope import Event
from crm_shared.filters import FilterGroup

AUTOMATION_EVENTS = frozenset({
    "WorkflowActionRequested", "WorkflowActionCompleted", "WorkflowActionFailed",
    "WebhookCallRequested", "JourneyStartRequested"})
ENTITY_ACTIONS = frozenset({"set_field", "assign_owner", "add_tag", "remove_tag"})
PLATFORM_ACTIONS = frozenset({"send_message", "call_webhook", "start_journey"})
SALES_ACTIONS = frozenset({"create_task", "request_approval"})
CONTACT_ACTIONS = frozenset({"send_message", "start_journey"})
TASK_LINKS = {"lead": "lead_id", "contact": "contact_id", "opportunity": "opportunity_id",
              "ticket": "ticket_id"}
FALLBACK_ENTITIES = ("contact", "ticket", "lead", "opportunity")
MESSAGE_EVENTS = frozenset({"MessageSent", "MessageDelivered", "MessageBounced"})


@cache
def catalog() -> dict[str, type[Event]]:
    from crm_shared.events.catalog import CATALOG  # deferred: every event class

    return CATALOG


def is_trigger(event_type: str) -> bool:
    return event_type in catalog() and event_type not in AUTOMATION_EVENTS


def check_trigger(event_type: str) -> None:
    if not is_trigger(event_type):
        raise ValidationFailed.for_field(
            "trigger.event_type", f"{event_type!r} is not an event of the catalog a workflow "
            "can start on", code="unknown_event_type")


# -- the entity an event is about -------------------------------------------------------------

@cache
def entity_kind(event_type: str) -> str | None:
    """`lead` for LeadCreated..., `subject` for approvals; None: the event names no entity."""
    if event_type.startswith("Approval"):
        return "subject"
    fields = catalog()[event_type].model_fields
    word = re.match(r"[A-Z][a-z]+", event_type)
    kind = word.group(0).lower() if word else ""
    if f"{kind}_id" in fields:
        return kind
    # events about something else name the record they concern (ConsentChanged, SlaBreached)
    return next((k for k in FALLBACK_ENTITIES if f"{k}_id" in fields), None)


def entity_of(event_type: str, data: Mapping[str, Any]
              ) -> tuple[str | None, str | None, dict[str, Any]]:
    """(entity type, id, record) of an event's data; the record is {} when not carried."""
    kind = entity_kind(event_type)
    if kind is None:
        return None, None, {}
    if kind == "subject":
        return str(data.get("subject_type") or "") or None, data.get("subject_id"), {}
    record = data.get(kind)
    return kind, data.get(f"{kind}_id"), dict(record) if isinstance(record, Mapping) else {}


def static_entity(event_type: str) -> str | None:
    """The entity type known when saving (approvals' subject is known only at run time)."""
    kind = entity_kind(event_type)
    return None if kind == "subject" else kind


def contact_of(entity_type: str | None, entity_id: str | None, data: Mapping[str, Any],
               record: Mapping[str, Any]) -> str | None:
    if entity_type == "contact":
        return entity_id
    found = data.get("contact_id") or record.get("contact_id")
    if not found and record.get("contact_ids"):
        found = next(iter(record["contact_ids"]))
    return str(found) if found else None


# -- checking a workflow ----------------------------------------------------------------------

def check_conditions(event_type: str, groups: list[FilterGroup]) -> None:
    """Each condition names a field of the trigger event (records inside it are open)."""
    fields = catalog()[event_type].model_fields
    for g, group in enumerate(groups):
        for f, flt in enumerate(group.filters):
            if flt.field.split(".")[0] not in fields:
                raise ValidationFailed.for_field(
                    f"conditions[{g}].filters[{f}].field",
                    f"{event_type} has no field {flt.field.split('.')[0]!r} "
                    f"(it has {', '.join(sorted(fields))})")


def check_actions(event_type: str, actions: list[dict[str, Any]]) -> None:
    """Each action applies to the trigger's entity and names fields the entity has."""
    kind = entity_kind(event_type)
    entity = static_entity(event_type)
    for i, action in enumerate(actions):
        name = action["type"]
        where = f"actions[{i}]"
        if name in ENTITY_ACTIONS:
            if kind == "subject":
                continue  # an approval's subject: checked by its owner when it acts
            spec = ENTITIES.get(entity or "")
            if spec is None:
                raise ValidationFailed.for_field(
                    f"{where}.type", f"{name} needs a lead, opportunity, task, contact or "
                    f"company; {event_type} is about {entity or 'no entity'}")
            if name == "set_field" and action["field"] not in spec.fields:
                raise ValidationFailed.for_field(
                    f"{where}.field", f"a {entity} has no field {action['field']!r} a workflow "
                    f"may set (it has {', '.join(sorted(spec.fields))})")
            if name in {"add_tag", "remove_tag"} and not spec.tags:
                raise ValidationFailed.for_field(f"{where}.type", f"a {entity} has no tags")
        elif name == "request_approval" and kind is None:
            raise ValidationFailed.for_field(
                f"{where}.type", f"{event_type} names no record to approve")
        elif name == "create_task" and kind is None and action.get("assignee_id") is None:
            raise ValidationFailed.for_field(
                f"{where}.assignee_id", f"{event_type} has no owner: name the assignee")
        elif name in CONTACT_ACTIONS and action.get("to", "contact") == "contact" \
                and kind is None:
            raise ValidationFailed.for_field(
                f"{where}.to" if name == "send_message" else f"{where}.type",
                f"{event_type} names no contact to reach")


def wait_seconds(action: Mapping[str, Any]) -> int:
    return ((int(action.get("days", 0)) * 24 + int(action.get("hours", 0))) * 60
            + int(action.get("minutes", 0))) * 60


# -- what actions may cause (static cycle detection) ------------------------------------------

def effects(event_type: str, action: Mapping[str, Any]) -> frozenset[str]:
    """The event types carrying out `action` on the trigger's entity may publish."""
    name = action["type"]
    entity = static_entity(event_type)
    if name in ENTITY_ACTIONS:
        if entity_kind(event_type) == "subject":
            return frozenset({"OpportunityUpdated", "LeadUpdated", "ContactUpdated",
                              "CompanyUpdated"})
        if entity == "lead":
            return frozenset({"LeadUpdated", "LeadAssigned"} if name == "assign_owner"
                             else {"LeadUpdated"})
        if entity == "opportunity":
            if action.get("field") == "stage":
                return frozenset({"OpportunityUpdated", "OpportunityStageChanged",
                                  "OpportunityWon", "OpportunityLost", "ApprovalRequested"})
            return frozenset({"OpportunityUpdated", "ApprovalRequested"})
        if entity == "task":
            return frozenset({"TaskCompleted"}) if action.get("field") == "completed" \
                else frozenset()
        return frozenset({f"{(entity or '').title()}Updated"})
    if name == "create_task":
        return frozenset({"TaskCreated"})
    if name == "request_approval":
        return frozenset({"ApprovalRequested", "OpportunityUpdated"} if entity == "opportunity"
                         else {"ApprovalRequested"})
    if name == "send_message":
        return MESSAGE_EVENTS
    if name == "start_journey":
        return frozenset({"JourneyEntered"})
    return frozenset()


def find_cycle(saved_id: str, graph: dict[str, tuple[str, list[frozenset[str]]]]
               ) -> tuple[int, list[str]] | None:
    """A path saved -> ... -> saved through other workflows, if one exists.

    `graph` maps each enabled workflow to (its trigger, each action's effects). A workflow's
    own changes never retrigger it (the engine skips it), so self-loops do not count.
    Returns the saved workflow's action that starts the cycle and the workflows on it.
    """
    def successors(node: str) -> list[tuple[int, str]]:
        _, acts = graph[node]
        return [(i, other) for i, caused in enumerate(acts) for other, (trigger, _) in
                sorted(graph.items()) if other != node and trigger in caused]

    for index, first in successors(saved_id):
        seen = {first}
        stack = [(first, [first])]
        while stack:
            node, path = stack.pop()
            for _, nxt in successors(node):
                if nxt == saved_id:
                    return index, path
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return None


def cycle_problem(index: int, path: list[str]) -> Conflict:
    chain = " -> ".join(path)
    return Conflict.for_field(
        f"actions[{index}]", f"can trigger {chain}, which can trigger this workflow again",
        code="workflow_cycle")


# -- running ----------------------------------------------------------------------------------

def evaluate(groups: list[FilterGroup], data: Mapping[str, Any]
             ) -> tuple[bool, list[dict[str, Any]]]:
    """Whether the conditions hold, and each group's and filter's outcome (the run log)."""
    results = []
    for g, group in enumerate(groups):
        filters = [{"field": f.field, "operator": f.operator, "matched": f.matches(data)}
                   for f in group.filters]
        results.append({"group": g, "matched": all(f["matched"] for f in filters),
                        "filters": filters})
    return (not groups or any(r["matched"] for r in results)), results


def target_service(name: str, entity_type: str | None) -> str:
    if name in ENTITY_ACTIONS:
        spec = ENTITIES.get(entity_type or "")
        return spec.service if spec else "sales"
    if name in SALES_ACTIONS:
        return "sales"
    return "platform"


def command_action(action: Mapping[str, Any], entity_type: str | None,
                   entity_id: str | None, data: Mapping[str, Any],
                   record: Mapping[str, Any], assignee: str | None = None) -> dict[str, Any]:
    """The action as the acting service receives it: every reference resolved."""
    out = {k: v for k, v in action.items() if v is not None}
    name = action["type"]
    if name == "assign_owner" and assignee:
        out.pop("team_id", None)
        out["user_id"] = assignee
    elif name == "create_task":
        spec = ENTITIES.get(entity_type or "")
        owner = record.get(spec.owner_field if spec else "owner_id") or record.get("owner_id")
        out["assignee_id"] = action.get("assignee_id") or owner
        if action.get("due_in_minutes") is not None:
            out["due_at"] = clock.iso(clock.now()
                                      + timedelta(minutes=int(action["due_in_minutes"])))
        link = TASK_LINKS.get(entity_type or "")
        out["links"] = {link: entity_id} if link and entity_id else {}
        contact = contact_of(entity_type, entity_id, data, record)
        if contact and entity_type not in ("contact",):
            out["links"].setdefault("contact_id", contact)
    elif name in CONTACT_ACTIONS:
        out["contact_id"] = contact_of(entity_type, entity_id, data, record)
    if name == "send_message":
        out["variables"] = dict(data)
    return out
