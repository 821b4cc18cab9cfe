"""Routes of /tickets/routing-rules and agents' skills: everyone reads, managers configure."""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.config import logic as config
from chalicelib.routing import logic
from chalicelib.routing.schemas import (
    Decision,
    RuleCreate,
    RuleFields,
    RuleList,
    RuleOut,
    SimulateIn,
    SkillsIn,
    SkillsOut,
)
from crm_shared.auth.roles import ALL_ROLES, MANAGERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag

api = ServiceApi(SERVICE, "routing")


def _rule(record: dict[str, Any], status: int | None = None) -> Reply:
    body = RuleOut(**record)
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


def _fields(req: ApiRequest, exclude_unset: bool) -> dict[str, Any]:
    return req.body.model_dump(mode="json", exclude_unset=exclude_unset,
                               exclude_none=not exclude_unset)


@api.route("/tickets/routing-rules", "GET", roles=ALL_ROLES, response=RuleList)
def list_rules(req: ApiRequest) -> RuleList:
    """The rules in the order they are tried."""
    return RuleList(items=[RuleOut(**r) for r in logic.rules(req.tenant_id)])


@api.route("/tickets/routing-rules", "POST", roles=MANAGERS, body=RuleCreate,
           response=RuleOut, status=201)
def create_rule(req: ApiRequest) -> Reply:
    """Send matching new tickets to an agent, or to a team by round_robin, least_open or
    skills."""
    return _rule(logic.create_rule(req.tenant_id, _fields(req, False)))


@api.route("/tickets/routing-rules/simulate", "POST", roles=ALL_ROLES, body=SimulateIn,
           response=Decision)
def simulate(req: ApiRequest) -> Decision:
    """Who would get this ticket now: a dry run that writes nothing."""
    ticket = req.body.ticket.model_dump(mode="json", exclude_none=True)
    ticket.setdefault("type", "question")
    ticket.setdefault("channel", "web")
    ticket.setdefault("tags", [])
    return logic.decide(req.tenant_id, ticket, config.read(req.tenant_id))


@api.route("/tickets/routing-rules/{rule_id}", "GET", roles=ALL_ROLES, response=RuleOut)
def get_rule(req: ApiRequest, rule_id: str) -> Reply:
    return _rule(logic.rule(req.tenant_id, rule_id))


@api.route("/tickets/routing-rules/{rule_id}", "PATCH", roles=MANAGERS, body=RuleFields,
           response=RuleOut)
def update_rule(req: ApiRequest, rule_id: str) -> Reply:
    """Change the fields sent; `position` reorders."""
    return _rule(logic.update_rule(req.tenant_id, rule_id, _fields(req, True), req.if_match()))


@api.route("/tickets/routing-rules/{rule_id}", "DELETE", roles=MANAGERS, status=204)
def delete_rule(req: ApiRequest, rule_id: str) -> None:
    logic.delete_rule(req.tenant_id, rule_id)


@api.route("/tickets/agents/{agent_id}/skills", "GET", roles=ALL_ROLES, response=SkillsOut)
def get_skills(req: ApiRequest, agent_id: str) -> SkillsOut:
    """An agent's skills (matched against ticket types and tags) and open tickets."""
    return SkillsOut(**logic.agent(req.tenant_id, agent_id))


@api.route("/tickets/agents/{agent_id}/skills", "PUT", roles=MANAGERS, body=SkillsIn,
           response=SkillsOut)
def set_skills(req: ApiRequest, agent_id: str) -> SkillsOut:
    """Replace an agent's skills (a user of the tenant)."""
    return SkillsOut(**logic.set_skills(req.tenant_id, agent_id, req.body.skills))
