"""Routing: ordered rules in the tenant's configuration send new tickets to a team or agent.

The first enabled rule (by position) whose filter matches wins. A rule naming an agent
assigns them; one naming a team picks a member by its strategy: round_robin (a position per
rule), least_open (fewest open tickets), skills (most of the ticket's type and tags among
the agent's skills, then fewest open tickets). A team without active members keeps the
ticket on the team, unassigned.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.config import logic as config
from chalicelib.routing import repository
from chalicelib.routing.schemas import Decision
from crm_shared import clock
from crm_shared.directory import Directory
from crm_shared.errors import Conflict, NotFound, ValidationFailed
from crm_shared.filters import FilterGroup, matches
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import UnitOfWork

MAX_RULES = 100


def directory() -> Directory:
    return Directory(SERVICE)


# -- rules ----------------------------------------------------------------------------

def rules(tenant_id: str, doc: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    found = (doc if doc is not None else config.read(tenant_id)).get("rules", [])
    return sorted(found, key=lambda r: (r.get("position", 0), r.get("created_at", "")))


def rule(tenant_id: str, rule_id: str) -> dict[str, Any]:
    for found in rules(tenant_id):
        if found["rule_id"] == rule_id:
            return dict(found)
    raise NotFound("no such routing rule")


def _check_target(record: dict[str, Any]) -> None:
    if bool(record.get("team_id")) == bool(record.get("assignee_id")):
        raise ValidationFailed.for_field("team_id", "name a team_id or an assignee_id, not both")


def create_rule(tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    now = clock.iso()
    record = {"filter_groups": [], "strategy": "round_robin", "position": 1000,
              "enabled": True, **{k: v for k, v in fields.items() if v is not None},
              "rule_id": new_id("rtr"), "version": 1, "created_at": now, "updated_at": now}
    _check_target(record)

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        found = doc.setdefault("rules", [])
        if len(found) >= MAX_RULES:
            raise Conflict(f"a tenant keeps at most {MAX_RULES} routing rules")
        found.append(record)
        return record

    return config.change(tenant_id, edit)


def update_rule(tenant_id: str, rule_id: str, fields: dict[str, Any],
                if_match: int | None) -> dict[str, Any]:
    for name in ("name", "strategy", "position", "enabled"):
        if name in fields and fields[name] is None:
            raise ValidationFailed.for_field(name, "cannot be cleared")

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        found = doc.setdefault("rules", [])
        index = next((i for i, r in enumerate(found) if r["rule_id"] == rule_id), None)
        if index is None:
            raise NotFound("no such routing rule")
        record = dict(found[index])
        config.check_version(record, if_match, "routing rule")
        record.update({k: ([] if k == "filter_groups" and v is None else v)
                       for k, v in fields.items()})
        _check_target(record)
        record["version"] = int(record.get("version") or 0) + 1
        record["updated_at"] = clock.iso()
        found[index] = record
        return record

    return config.change(tenant_id, edit)


def delete_rule(tenant_id: str, rule_id: str) -> None:
    def edit(doc: dict[str, Any]) -> None:
        found = doc.setdefault("rules", [])
        if not any(r["rule_id"] == rule_id for r in found):
            raise NotFound("no such routing rule")
        doc["rules"] = [r for r in found if r["rule_id"] != rule_id]

    config.change(tenant_id, edit)


# -- deciding ---------------------------------------------------------------------------

def decide(tenant_id: str, ticket: dict[str, Any], doc: dict[str, Any],
           uow: UnitOfWork | None = None) -> Decision:
    """Who gets the ticket. With `uow` the rule's round-robin position moves on in it."""
    for found in rules(tenant_id, doc):
        groups = [FilterGroup.model_validate(g) for g in found.get("filter_groups", [])]
        if not found.get("enabled", True) or not matches(groups, ticket):
            continue
        if found.get("assignee_id"):
            return Decision(rule_id=found["rule_id"], assignee_id=found["assignee_id"],
                            team_id=found.get("team_id"), reason="rule names the agent")
        return _pick(tenant_id, found, ticket, uow)
    return Decision(reason="no rule matched")


def _pick(tenant_id: str, found: dict[str, Any], ticket: dict[str, Any],
          uow: UnitOfWork | None) -> Decision:
    team_id, strategy = str(found["team_id"]), str(found.get("strategy", "round_robin"))
    members = directory().team_members(tenant_id, team_id)
    decision = Decision(rule_id=found["rule_id"], team_id=team_id, strategy=strategy,
                        reason="the team has no active members")
    if not members:
        return decision
    if strategy == "round_robin":
        position = repository.round_robin(tenant_id, found["rule_id"])
        chosen = members[int(position.position or 0) % len(members)]
        if uow is not None:
            repository.advance(uow, position)
        reason = "next in the team's rotation"
    else:
        agents = repository.agents(tenant_id, members)
        wanted = {str(ticket.get("type") or "")} | set(ticket.get("tags") or [])

        def rank(user_id: str) -> tuple[int, int, str]:
            agent = agents.get(user_id)
            skills = set(agent.skills or []) if agent else set()
            fit = len(skills & wanted) if strategy == "skills" else 0
            return (-fit, int(agent.open_count or 0) if agent else 0, user_id)

        chosen = min(members, key=rank)
        reason = "best skill match" if strategy == "skills" else "fewest open tickets"
    return decision.model_copy(update={"assignee_id": chosen, "reason": reason})


# -- agents -------------------------------------------------------------------------------

def agent(tenant_id: str, agent_id: str) -> dict[str, Any]:
    """An agent's skills and open tickets; 404 for a user the tenant does not have."""
    item = repository.get_agent(tenant_id, agent_id) if is_id(agent_id, "usr") else None
    known = item is not None and item.skills is not None
    if not known and (not is_id(agent_id, "usr")
                      or directory().user(tenant_id, agent_id) is None):
        raise NotFound("no such agent")
    return {"agent_id": agent_id, "skills": list(item.skills or []) if item else [],
            "open_tickets": int(item.open_count or 0) if item else 0}


def set_skills(tenant_id: str, agent_id: str, skills: list[str] | None) -> dict[str, Any]:
    if not is_id(agent_id, "usr") or directory().user(tenant_id, agent_id) is None:
        raise NotFound("no such agent")
    if skills is None:
        raise ValidationFailed.for_field("skills", "is required")
    uow = UnitOfWork(SERVICE)
    repository.set_skills(uow, tenant_id, agent_id, sorted(set(skills)), clock.iso())
    uow.commit()
    return agent(tenant_id, agent_id)
