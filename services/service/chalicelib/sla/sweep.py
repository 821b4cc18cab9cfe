"""The SLA sweep (`@app.schedule`): targets that fell due unmet are breached, and targets
close to their due time are announced at risk, once each.

It reads only the sparse DUE index (tickets whose clock runs toward a due or at-risk time,
sla.clock.next_due), never the open tickets. Each breach is one transaction with the
ticket's version as its condition: SlaBreached per target, the policy's escalation
(priority one step up, reassignment to the team lead or the assignee's manager) and the
ticket's own events. A warning is the same kind of transaction: the target's `at_risk`
flag with TicketSlaAtRisk, so a second sweep finds the flag and says nothing again. A
ticket an agent changed meanwhile is skipped and comes up again at the next tick with its
new due time.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from chalicelib import SERVICE
from chalicelib.config import logic as config_logic
from chalicelib.sla import clock as sla
from chalicelib.tickets import domain, logic, repository
from chalicelib.tickets.models import TicketItem
from crm_shared import clock
from crm_shared.directory import Directory
from crm_shared.errors import Conflict, PreconditionFailed
from crm_shared.events.service_events import SlaBreached, TicketSlaAtRisk
from crm_shared.schedules import due_items

ACTOR = "system:sla"


class Lookups:
    """The directory reads of one run, each made once: a run's breaches escalate to the
    leads of a tenant's few teams, not one per ticket."""

    def __init__(self) -> None:
        self.directory = Directory(SERVICE)
        self.leads: dict[tuple[str, str], str | None] = {}
        self.managers: dict[tuple[str, str], str | None] = {}

    def team_lead(self, tenant_id: str, team_id: str) -> str | None:
        if (tenant_id, team_id) not in self.leads:
            team = self.directory.team(tenant_id, team_id)
            self.leads[tenant_id, team_id] = \
                team.manager_id if team and not team.deleted else None
        return self.leads[tenant_id, team_id]

    def manager_of(self, tenant_id: str, user_id: str) -> str | None:
        if (tenant_id, user_id) not in self.managers:
            self.managers[tenant_id, user_id] = self.directory.manager_of(tenant_id, user_id)
        return self.managers[tenant_id, user_id]


def run(limit: int = 100) -> int:
    """Breach what is due now; returns how many tickets breached. Reads the due entries,
    each tenant's configuration once and each team lead or manager once."""
    now = clock.now()
    configs: dict[str, dict[str, Any]] = {}
    lookups = Lookups()
    breached = 0
    for item in due_items(TicketItem, repository.SLA_JOB, limit=limit, now=now):
        if item.tenant_id not in configs:  # not setdefault: it would read for every ticket
            configs[item.tenant_id] = config_logic.read(item.tenant_id)
        try:
            breached += breach(item, configs[item.tenant_id], now, lookups)
        except (PreconditionFailed, Conflict):
            continue  # changed meanwhile: its new state is swept at the next tick
    return breached


def breach(item: TicketItem, config: dict[str, Any], now: datetime,
           lookups: Lookups | None = None) -> int:
    """Breach the ticket's targets that fell due and warn of those at risk; 1 if any
    breached."""
    at = clock.iso(now)
    state = copy.deepcopy(item.doc.get("sla_state") or {})
    due = sla.fallen_due(state, at)
    risky = sla.at_risk(state, at)
    uow = repository.unit_of_work()
    if not due and not risky:  # a stale index entry: put it back at its real next time
        repository.stage_save(uow, item, sla.next_due(state), create=False)
        uow.commit()
        return 0
    for target in due:
        state[f"{target}_breached"] = True
    for target in risky:
        state[f"{target}_at_risk"] = True
    changes: dict[str, Any] = {}
    actions: list[str] = []
    notify: list[str] = []
    if due:
        state.setdefault("breached_at", at)
        policy = config.get("policies", {}).get(state.get("policy_id")) or {}
        changes, actions, notify = escalate(item, policy.get("escalation") or {}, lookups)
    changes["sla_state"] = state
    logic.stage_change(uow, item, changes, ACTOR, reason="escalation",
                       config=config, retarget=False, now=now)
    shown = logic.pending_record(item)
    for target in due:
        uow.emit(SlaBreached(ticket_id=item.ticket_id, policy_id=str(state.get("policy_id")),
                             target=target, due_at=state[f"{target}_due"], breached_at=at,
                             escalation=actions, notify_user_ids=notify, ticket=shown),
                 item.tenant_id, ACTOR)
    left = int(sla.elapsed(state, config, now))
    for target in risky:
        uow.emit(TicketSlaAtRisk(
            ticket_id=item.ticket_id, policy_id=str(state.get("policy_id")), target=target,
            due_at=state[f"{target}_due"], at_risk_at=at,
            remaining_seconds=max(0, int(state.get(f"{target}_target") or 0) - left),
            assignee_id=item.doc.get("assignee_id"), team_id=item.doc.get("team_id"),
            ticket=shown), item.tenant_id, ACTOR)
    uow.commit()
    return 1 if due else 0


def escalate(item: TicketItem, escalation: dict[str, Any], lookups: Lookups | None = None
             ) -> tuple[dict[str, Any], list[str], list[str]]:
    """The changes the policy's escalation makes, what they were, and whom to notify."""
    lookups = lookups or Lookups()
    doc, changes, actions = item.doc, {}, []
    if escalation.get("raise_priority"):
        higher = domain.raised(str(doc.get("priority")))
        if higher != doc.get("priority"):
            changes["priority"] = higher
            actions.append(f"priority_raised:{higher}")
    lead = None
    if escalation.get("reassign_to"):
        if doc.get("team_id") and escalation["reassign_to"] == "team_lead":
            lead = lookups.team_lead(item.tenant_id, doc["team_id"])
        if lead is None and doc.get("assignee_id"):
            lead = lookups.manager_of(item.tenant_id, doc["assignee_id"])
        if lead and lead != doc.get("assignee_id"):
            changes["assignee_id"] = lead
            actions.append(f"reassigned:{lead}")
    notify = [*escalation.get("notify_user_ids", []), doc.get("assignee_id"), lead]
    return changes, actions, sorted({u for u in notify if u})
