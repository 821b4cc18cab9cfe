"""Ticket use cases: create, read with visibility, change (status flow, SLA clock, counts).

Every change of a ticket, whoever makes it (an agent, routing, the SLA sweep, a contact
event), goes through `stage_change`: the record and its shadow, the status history, the
agents' open counts and the events are one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.config import logic as config_logic
from chalicelib.routing import repository as agents
from chalicelib.sla import clock as sla
from chalicelib.tickets import domain, repository
from chalicelib.tickets.models import TicketItem
from chalicelib.tickets.schemas import TicketOut
from crm_shared import clock
from crm_shared.auth.roles import visibility
from crm_shared.context import Principal
from crm_shared.errors import NotFound, PreconditionFailed
from crm_shared.events.service_events import (
    TicketAssigned,
    TicketCreated,
    TicketResolved,
    TicketStatusChanged,
    TicketUpdated,
)
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import UnitOfWork

POLICY_FIELDS = frozenset({"priority", "type", "customer_tier"})


def record(item: TicketItem, version: int | None = None) -> dict[str, Any]:
    """The ticket as the API (and its events) show it; `version` overrides the stored one
    (a staged write shows the version it will have)."""
    doc = {k: v for k, v in item.doc.items() if k != "sla_state"}
    body = {**doc, "ticket_id": item.ticket_id, "created_at": item.created_at,
            "updated_at": item.updated_at, "version": version or item.version or 0,
            "sla": sla.shown(item.doc.get("sla_state"))}
    return TicketOut(**body).model_dump(mode="json")


def pending_record(item: TicketItem) -> dict[str, Any]:
    return record(item, (item.version or 0) + 1)


def may_see(principal: Principal, doc: dict[str, Any]) -> bool:
    """Agents see their own, their teams' and unassigned tickets; admins, managers of the
    team, viewers and API keys as crm_shared's record visibility says."""
    seen = visibility(principal)
    unassigned = not doc.get("assignee_id") and not doc.get("team_id")
    return (seen.allows(doc.get("assignee_id"), doc.get("team_id")) or unassigned
            or doc.get("created_by") == principal.subject)


def get(principal: Principal, tenant_id: str, ticket_id: str,
        consistent: bool = False) -> TicketItem:
    item = repository.get(tenant_id, ticket_id, consistent) if is_id(ticket_id, "tkt") else None
    if item is None or not may_see(principal, item.doc):
        raise NotFound("no such ticket")
    return item


def create(principal: Principal, tenant_id: str, fields: dict[str, Any]) -> TicketItem:
    uow = repository.unit_of_work()
    item = stage_create(uow, tenant_id, fields, principal.actor, created_by=principal.subject
                        if principal.kind in {"user", "api_key"} else None)
    uow.commit()
    return item


def stage_create(uow: UnitOfWork, tenant_id: str, fields: dict[str, Any], actor: str | None,
                 *, created_by: str | None = None,
                 config: dict[str, Any] | None = None) -> TicketItem:
    """Stage a new ticket with everything it implies (defaults, SLA clock, history, the
    holder's open count, TicketCreated and TicketAssigned) in the caller's transaction, so
    a caller's own writes (an email's claim, a consumer's marker) commit with it."""
    config = config if config is not None else config_logic.read(tenant_id)
    doc = {k: v for k, v in fields.items() if v is not None}
    doc.setdefault("channel", "web")
    doc.setdefault("type", "question")
    doc.setdefault("status", domain.NEW)
    default = config.get("type_defaults", {}).get(doc["type"], {})
    doc.setdefault("priority", default.get("priority", "normal"))
    doc.setdefault("tags", [])
    doc.setdefault("properties", {})
    doc["tags"] = sorted(set(doc["tags"]))
    if created_by:
        doc["created_by"] = created_by
    now = clock.now()
    doc["sla_state"] = sla.start(config, doc, now)
    item = repository.new_record(tenant_id, new_id("tkt"), doc, clock.iso(now))
    repository.stage_save(uow, item, sla.next_due(doc["sla_state"]), create=True)
    _history(uow, item, None, doc["status"], actor, clock.iso(now))
    if domain.holder(doc):
        agents.count_open(uow, tenant_id, str(domain.holder(doc)), +1)
    shown = record(item, 1)
    uow.emit(TicketCreated(ticket_id=item.ticket_id, ticket=shown), tenant_id, actor)
    if doc.get("assignee_id") or doc.get("team_id"):
        uow.emit(TicketAssigned(ticket_id=item.ticket_id, assignee_id=doc.get("assignee_id"),
                                team_id=doc.get("team_id"), ticket=shown), tenant_id, actor)
    return item


def update(principal: Principal, tenant_id: str, ticket_id: str, fields: dict[str, Any],
           if_match: int | None) -> TicketItem:
    item = get(principal, tenant_id, ticket_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the ticket changed since you read it", code="version_mismatch")
    domain.check_required(fields)
    if fields.get("status"):
        domain.check_transition(item.doc.get("status", domain.NEW), fields["status"])
    if fields.get("tags") is not None:
        fields["tags"] = sorted(set(fields["tags"]))
    uow = repository.unit_of_work()
    if stage_change(uow, item, fields, principal.actor):
        uow.commit()
    return item


def delete(principal: Principal, tenant_id: str, ticket_id: str) -> None:
    item = get(principal, tenant_id, ticket_id, consistent=True)
    uow = repository.unit_of_work()
    repository.stage_delete(uow, item)
    if domain.holder(item.doc):
        agents.count_open(uow, tenant_id, str(domain.holder(item.doc)), -1)
    uow.commit()


def stage_change(uow: UnitOfWork, item: TicketItem, changes: dict[str, Any], actor: str | None,
                 *, reason: str = "manual", rule_id: str | None = None,
                 config: dict[str, Any] | None = None, retarget: bool = True,
                 now: datetime | None = None) -> list[str]:
    """Stage a merge-patch of the ticket with everything it implies; returns what changed.

    The status moves the SLA clock (and records resolution or a reopen); priority, type or
    tier re-pick the policy unless `retarget` is off (an escalation keeps its targets)."""
    before = dict(item.doc)
    after, changed = domain.apply(before, changes)
    if not changed:
        return []
    changed = sorted("sla" if name == "sla_state" else name for name in changed)
    moment = now or clock.now()
    at = clock.iso(moment)
    tenant_id = item.tenant_id
    config = config if config is not None else config_logic.read(tenant_id)
    state = dict(after.get("sla_state") or sla.start(config, after, moment))
    old_status, new_status = before.get("status"), after.get("status")
    if retarget and POLICY_FIELDS & set(changed):
        sla.apply_policy(state, config, after)
        sla.refresh(state, config)
    if "status" in changed:
        _status_moved(after, state, config, str(old_status), str(new_status), moment)
    after["sla_state"] = state
    item.doc = after
    item.updated_at = at
    repository.stage_save(uow, item, sla.next_due(state), create=False)
    held_before, held_after = domain.holder(before), domain.holder(after)
    if held_before != held_after:
        if held_before:
            agents.count_open(uow, tenant_id, held_before, -1)
        if held_after:
            agents.count_open(uow, tenant_id, held_after, +1)
    shown = pending_record(item)
    uow.emit(TicketUpdated(ticket_id=item.ticket_id, ticket=shown, changed=changed), tenant_id,
             actor)
    if "status" in changed:
        _history(uow, item, old_status, str(new_status), actor, at)
        uow.emit(TicketStatusChanged(ticket_id=item.ticket_id, from_status=old_status,
                                     to_status=str(new_status), ticket=shown), tenant_id, actor)
        if new_status == domain.RESOLVED:
            uow.emit(TicketResolved(
                ticket_id=item.ticket_id, ticket=shown,
                resolution_seconds=after.get("metrics", {}).get("resolution_seconds")),
                tenant_id, actor)
    if {"assignee_id", "team_id"} & set(changed):
        uow.emit(TicketAssigned(ticket_id=item.ticket_id, assignee_id=after.get("assignee_id"),
                                team_id=after.get("team_id"), rule_id=rule_id, reason=reason,
                                ticket=shown), tenant_id, actor)
    return changed


def _status_moved(doc: dict[str, Any], state: dict[str, Any], config: dict[str, Any],
                  old: str, new: str, moment: datetime) -> None:
    at = clock.iso(moment)
    metrics = dict(doc.get("metrics") or {})
    if old in (domain.RESOLVED, domain.CLOSED) and new in domain.UNRESOLVED:
        doc["reopen_count"] = int(doc.get("reopen_count") or 0) + 1
        doc.pop("resolved_at", None)
        metrics.pop("resolution_seconds", None)
    if new in (domain.RESOLVED, domain.CLOSED) and not state.get("resolution_met"):
        metrics["resolution_seconds"] = sla.elapsed(state, config, moment)
        state["resolution_met"] = True
        doc.setdefault("resolved_at", at)
    if new == domain.CLOSED:
        doc["closed_at"] = at
    doc["metrics"] = metrics
    sla.follow_status(state, config, new, moment)


def _history(uow: UnitOfWork, item: TicketItem, old: str | None, new: str, actor: str | None,
             at: str) -> None:
    uow.put(repository.new_history(item.tenant_id, item.ticket_id, new_id("hst"), at,
                                   from_status=old, to_status=new, by=actor), label="history")
