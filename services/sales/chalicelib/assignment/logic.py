"""Assignment use cases: edit the ordered rules, dry-run them, and route new leads.

Routing writes the lead's owner, LeadAssigned, the first-touch task, the rep's open-lead
count and the round-robin pointer in the LeadCreated event's one transaction. The count and
pointer writes are conditioned on the values read, so two concurrent assignments cannot
take the same slot or pass a cap: the loser's transaction fails and SQS retries it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.assignment import domain, repository
from chalicelib.assignment.domain import Pick, Rule
from chalicelib.assignment.repository import Guard
from chalicelib.directory import logic as directory
from chalicelib.leads import domain as lead_rules
from chalicelib.leads import logic as leads
from chalicelib.leads import repository as lead_store
from chalicelib.leads.schemas import LeadOut
from chalicelib.tasks import logic as tasks
from crm_shared import clock
from crm_shared.errors import PreconditionFailed, ValidationFailed
from crm_shared.events.sales_events import LeadAssigned
from crm_shared.ids import new_id
from crm_shared.unit_of_work import UnitOfWork

LEAD_FIELDS = frozenset(LeadOut.model_fields)


def rules(tenant_id: str) -> tuple[list[dict[str, Any]], int]:
    item = repository.rules_item(tenant_id)
    return list(item.rules or []), int(item.version or 0)


def replace_rules(tenant_id: str, payload: list[dict[str, Any]],
                  if_match: int | None) -> tuple[list[dict[str, Any]], int]:
    """Replace the ordered list; users and teams must be known to the directory."""
    item = repository.rules_item(tenant_id, consistent=True)
    if if_match is not None and if_match != int(item.version or 0):
        raise PreconditionFailed("the rules changed since you read them",
                                 code="version_mismatch")
    seen: set[str] = set()
    for index, rule in enumerate(payload):
        for g, group in enumerate(rule.get("filter_groups") or []):
            for f, condition in enumerate(group["filters"]):
                if condition["field"].split(".")[0] not in LEAD_FIELDS:
                    raise ValidationFailed.for_field(
                        f"rules[{index}].filter_groups[{g}].filters[{f}].field",
                        f"{condition['field']!r} is not a lead field")
        rule["rule_id"] = rule.get("rule_id") or new_id("asr")
        if rule["rule_id"] in seen:
            raise ValidationFailed.for_field(f"rules[{index}].rule_id", "is repeated")
        seen.add(rule["rule_id"])
        user_id, team_id = rule.get("user_id"), rule.get("team_id")
        if user_id and directory.user(tenant_id, user_id) is None:
            raise ValidationFailed.for_field(f"rules[{index}].user_id", "no such user")
        if team_id and not directory.team_members(tenant_id, team_id):
            raise ValidationFailed.for_field(f"rules[{index}].team_id",
                                             "no such team, or it has no active member")
        if user_id:
            rule.pop("strategy", None)
    item.rules = payload
    item.updated_at = clock.iso()
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    uow.commit()
    return payload, int(item.version or 0)


def _candidates(tenant_id: str, rule: Rule) -> list[str]:
    if rule.user_id is not None:
        user = directory.user(tenant_id, rule.user_id)
        return [rule.user_id] if user is not None and user.active else []
    return directory.team_members(tenant_id, str(rule.team_id))


def decide(tenant_id: str, lead: dict[str, Any]) -> tuple[Rule | None, Pick, list[dict[str, Any]]]:
    """The first rule whose condition the lead meets, and the rep it picks (reads only)."""
    records, _ = rules(tenant_id)
    checked: list[dict[str, Any]] = []
    for record in records:
        rule = Rule.of(record)
        matched = rule.matches(lead)
        checked.append({"rule_id": rule.rule_id, "name": rule.name, "matched": matched})
        if not matched:
            continue
        position = repository.pointer(tenant_id, rule.rule_id)
        chosen = domain.pick(rule, _candidates(tenant_id, rule), repository.loads(tenant_id),
                             position or 0)
        return rule, replace(chosen, pointer_seen=position), checked
    return None, Pick(None, "no rule matched the lead"), checked


def simulate(tenant_id: str, lead: dict[str, Any]) -> dict[str, Any]:
    sample = {"status": "new", "utm": {}, **leads.normalized(lead)}
    rule, chosen, checked = decide(tenant_id, sample)
    due = clock.iso(clock.now() + timedelta(minutes=rule.first_touch_minutes)) \
        if rule and chosen.owner_id else None
    return {"matched_rule_id": rule.rule_id if rule else None,
            "rule_name": rule.name if rule else None, "owner_id": chosen.owner_id,
            "team_id": rule.team_id if rule and chosen.owner_id else None,
            "first_touch_due_at": due, "reason": chosen.reason, "checked": checked}


def route(uow: UnitOfWork, tenant_id: str, lead_id: str) -> None:
    """LeadCreated: give an unowned open lead its owner, or say why it has none."""
    item = lead_store.get(tenant_id, lead_id, consistent=True)
    if item is None or item.doc.get("owner_id") or item.doc.get("status") not in lead_rules.OPEN \
            or item.doc.get("assignment_status") != "pending":
        return  # gone, owned, closed, or routed already (a redelivery)
    lead = leads.record(item)
    rule, chosen, _ = decide(tenant_id, lead)
    if rule is None or chosen.owner_id is None:
        leads.stage_save(uow, item, {"assignment_status": "unassigned",
                                     "assignment_note": chosen.reason})
        return
    owner = chosen.owner_id
    if chosen.pointer is not None:
        repository.move_pointer(uow, tenant_id, rule.rule_id, chosen.pointer_seen,
                                chosen.pointer)
    task = tasks.create_in(uow, tenant_id, {
        "type": "call", "title": f"First touch: {lead.get('name') or lead.get('email') or lead_id}",
        "due_at": clock.iso(clock.now() + timedelta(minutes=rule.first_touch_minutes)),
        "assignee_id": owner, "links": {"lead_id": lead_id}}, created_by="system:assignment")
    leads.stage_save(uow, item, {"owner_id": owner, "team_id": rule.team_id,
                                 "assignment_status": "assigned",
                                 "assignment_note": chosen.reason},
                     load_guard=Guard(owner, chosen.seen_load or 0))
    uow.emit(LeadAssigned(lead_id=lead_id, owner_id=owner, team_id=rule.team_id,
                          rule_id=rule.rule_id, task_id=task["task_id"]), tenant_id)
