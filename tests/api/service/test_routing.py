"""Routing rules: ordered filters to a team or agent, round_robin, least_open and skills,
applied by the TicketCreated consumer; simulate writes nothing; skills per agent."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle


def where(field: str, operator: str, value: Any) -> list[dict[str, Any]]:
    return [{"filters": [{"field": field, "operator": operator, "value": value}]}]


@pytest.fixture(scope="module")
def desk(tenants: Tenants, platform: ApiClient, runtimes: dict[str, Any]) -> dict[str, Any]:
    tenant = tenants.create()
    agents = sorted(platform.post("/users", {"email": f"{unique('desk-')}@example.com",
                                             "roles": ["support_agent"]},
                                  token=tenant.admin_token).json["user_id"] for _ in range(3))
    settle(runtimes)
    team = platform.post("/teams", {"name": unique("Desk "), "member_ids": agents},
                         token=tenant.admin_token)
    assert team.status == 201, team.json
    settle(runtimes)
    return {"tenant": tenant, "agents": agents, "team_id": team.json["team_id"]}


def rule(service: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = service.post("/tickets/routing-rules", {"name": unique("Rule "), **fields},
                         token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def routed(service: ApiClient, runtimes: dict[str, Any], tenant: Tenant,
           **fields: Any) -> dict[str, Any]:
    made = service.post("/tickets", {"subject": "Help", **fields}, token=tenant.admin_token)
    assert made.status == 201, made.json
    settle(runtimes)
    return dict(service.get(f"/tickets/{made.json['ticket_id']}",
                            token=tenant.admin_token).json)


def test_strategies(service: ApiClient, runtimes: dict[str, Any],
                    desk: dict[str, Any]) -> None:
    tenant, agents, team = desk["tenant"], desk["agents"], desk["team_id"]
    rotation = rule(service, tenant, filter_groups=where("type", "eq", "complaint"),
                    team_id=team, strategy="round_robin", position=1)
    rule(service, tenant, filter_groups=where("channel", "eq", "phone"), team_id=team,
         strategy="least_open", position=2)
    rule(service, tenant, filter_groups=where("tags", "contains", "billing"), team_id=team,
         strategy="skills", position=3)
    boss = new_id("usr")
    rule(service, tenant, filter_groups=where("priority", "eq", "urgent"), assignee_id=boss,
         position=0)

    first = routed(service, runtimes, tenant, type="complaint")
    second = routed(service, runtimes, tenant, type="complaint")
    assert [first["assignee_id"], second["assignee_id"]] == agents[:2]
    assert first["team_id"] == team and first["routing"]["rule_id"] == rotation["rule_id"]

    by_load = routed(service, runtimes, tenant, channel="phone")
    assert by_load["assignee_id"] == agents[2], "the only agent without an open ticket"

    skills = service.request("PUT", f"/tickets/agents/{agents[1]}/skills",
                             {"skills": ["Billing", "refunds"]}, token=tenant.admin_token)
    assert skills.status == 200, skills.json
    assert skills.json == {"agent_id": agents[1], "skills": ["billing", "refunds"],
                           "open_tickets": 1}
    by_skill = routed(service, runtimes, tenant, tags=["billing"])
    assert by_skill["assignee_id"] == agents[1]

    direct = routed(service, runtimes, tenant, priority="urgent", type="complaint")
    assert direct["assignee_id"] == boss and direct["team_id"] is None
    unmatched = routed(service, runtimes, tenant, type="question")
    assert unmatched["assignee_id"] is None and unmatched["routing"] is None


def test_simulate_is_a_dry_run(service: ApiClient, runtimes: dict[str, Any],
                               desk: dict[str, Any]) -> None:
    tenant, team = desk["tenant"], desk["team_id"]
    body = {"ticket": {"subject": "x", "type": "complaint"}}
    one = service.post("/tickets/routing-rules/simulate", body, token=tenant.admin_token)
    two = service.post("/tickets/routing-rules/simulate", body, token=tenant.admin_token)
    assert one.status == 200, one.json
    assert one.json == two.json, "a dry run does not move the rotation"
    assert one.json["team_id"] == team and one.json["strategy"] == "round_robin"
    created = routed(service, runtimes, tenant, type="complaint")
    assert created["assignee_id"] == one.json["assignee_id"]


def test_manual_assignment_is_not_rerouted(service: ApiClient, runtimes: dict[str, Any],
                                           desk: dict[str, Any]) -> None:
    mine = new_id("usr")
    ticket = routed(service, runtimes, desk["tenant"], type="complaint", assignee_id=mine)
    assert ticket["assignee_id"] == mine and ticket["routing"] is None


@pytest.mark.parametrize("body, field", [
    ({"team_id": new_id("tea")}, "name"),
    ({"name": "x", "team_id": new_id("tea"), "assignee_id": new_id("usr")}, "team_id"),
    ({"name": "x"}, "team_id"),
    ({"name": "x", "team_id": new_id("tea"), "strategy": "random"}, "strategy"),
    ({"name": "x", "team_id": new_id("tea"),
      "filter_groups": where("secret", "eq", 1)}, "filter_groups"),
    ({"name": "x", "team_id": new_id("tea"),
      "filter_groups": [{"filters": [{"field": "type", "operator": "near", "value": 1}]}]},
     "filter_groups[0].filters[0].operator"),
])
def test_bad_rules_are_422_naming_the_field(service: ApiClient, desk: dict[str, Any],
                                            body: dict[str, Any], field: str) -> None:
    reply = service.post("/tickets/routing-rules", body, token=desk["tenant"].admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_rules_crud_and_if_match(service: ApiClient, desk: dict[str, Any]) -> None:
    tenant = desk["tenant"]
    made = rule(service, tenant, team_id=desk["team_id"], enabled=False, position=99)
    path = f"/tickets/routing-rules/{made['rule_id']}"
    changed = service.patch(path, {"position": 98}, token=tenant.admin_token,
                            headers={"If-Match": '"1"'})
    assert changed.status == 200 and changed.json["version"] == 2
    stale = service.patch(path, {"position": 97}, token=tenant.admin_token,
                          headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert service.delete(path, token=tenant.admin_token).status == 204
    assert service.get(path, token=tenant.admin_token).status == 404


def test_skills_need_a_known_agent(service: ApiClient, desk: dict[str, Any]) -> None:
    tenant, agent = desk["tenant"], desk["agents"][0]
    unknown = service.request("PUT", f"/tickets/agents/{new_id('usr')}/skills",
                              {"skills": ["x"]}, token=tenant.admin_token)
    assert unknown.status == 404
    for body, field in [({}, "skills"), ({"skills": ["no spaces"]}, "skills[0]")]:
        reply = service.request("PUT", f"/tickets/agents/{agent}/skills", body,
                                token=tenant.admin_token)
        assert reply.status == 422, reply.json
        assert reply.json["errors"][0]["field"] == field


def test_roles(service: ApiClient, tenants: Tenants, desk: dict[str, Any]) -> None:
    tenant = desk["tenant"]
    agent = tenants.user(tenant, "support_agent")
    assert service.get("/tickets/routing-rules", token=agent).status == 200
    assert service.post("/tickets/routing-rules/simulate", {"ticket": {"subject": "x"}},
                        token=agent).status == 200
    assert service.post("/tickets/routing-rules", {"name": "x", "team_id": desk["team_id"]},
                        token=agent).status == 403
    assert service.request("PUT", f"/tickets/agents/{desk['agents'][0]}/skills",
                           {"skills": ["x"]}, token=agent).status == 403
