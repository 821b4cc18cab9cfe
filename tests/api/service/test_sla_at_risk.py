"""SLA at risk: the sweep announces a target close to its due time once (TicketSlaAtRisk),
and the platform's inbox tells the assignee, or the team's manager when nobody is assigned,
as an `sla_at_risk` notice that per-type preferences can silence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm_shared import clock
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module", autouse=True)
def restore_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, service: ApiClient, platform: ApiClient,
           runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("AtRisk")
    tenants.user(made, "support_agent")
    tenants.user(made, "manager")
    settle(runtimes)
    token = made.admin_token
    hours = service.post("/business-hours", {"name": "24/7", "time_zone": "UTC",
                                             "hours": ALWAYS}, token=token)
    assert hours.status == 201, hours.json
    policy = service.post("/sla-policies", {
        "name": "Gold", "business_hours_id": hours.json["business_hours_id"], "position": 0,
        "customer_tiers": ["gold"], "warn_before_minutes": 15,
        "targets": {"normal": {"first_response_minutes": 60, "resolution_minutes": 600}}},
        token=token)
    assert policy.status == 201, policy.json
    assert policy.json["warn_before_minutes"] == 15
    team = platform.post("/teams", {"name": unique("Desk "), "manager_id":
                                    made.user_ids["manager"],
                                    "member_ids": [made.user_ids["support_agent"]]},
                         token=token)
    assert team.status == 201, team.json
    made.user_ids["team"] = team.json["team_id"]
    settle(runtimes)
    return made


def at_risk_notices(platform: ApiClient, token: str, ticket_id: str) -> list[dict[str, Any]]:
    reply = platform.get("/notifications?limit=100", token=token)
    assert reply.status == 200, reply.json
    return [n for n in reply.json["items"] if n["type"] == "sla_at_risk"
            and n["link"] == {"type": "ticket", "id": ticket_id}]


def sweep(runtimes: dict[str, Any]) -> None:
    load_app("service")  # a platform call may have swapped its modules in
    runtimes["service"].tick()
    settle(runtimes)


def ticket(service: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    made = service.post("/tickets", {"subject": unique("Printer "), "customer_tier": "gold",
                                     "team_id": tenant.user_ids["team"], **fields},
                        token=tenant.admin_token)
    assert made.status == 201, made.json
    return dict(made.json)


def test_a_ticket_near_its_due_time_notifies_its_assignee_once(
        service: ApiClient, platform: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    agent = tenant.tokens["support_agent"]
    near = ticket(service, tenant, assignee_id=tenant.user_ids["support_agent"])
    paused = ticket(service, tenant, assignee_id=tenant.user_ids["support_agent"])
    assert service.patch(f"/tickets/{paused['ticket_id']}", {"status": "pending"},
                         token=tenant.admin_token).status == 200
    clock.advance(40 * 60)  # 20 minutes left of the first response: not at risk yet
    sweep(runtimes)
    assert at_risk_notices(platform, agent, near["ticket_id"]) == []
    clock.advance(6 * 60)  # 14 minutes left: within the policy's 15
    sweep(runtimes)
    sweep(runtimes)
    [notice] = at_risk_notices(platform, agent, near["ticket_id"])
    assert notice["title"] == "SLA at risk: first response due soon"
    assert notice["body"] == near["subject"] and notice["event_type"] == "TicketSlaAtRisk"
    assert at_risk_notices(platform, agent, paused["ticket_id"]) == [], "its clock is paused"
    read = service.get(f"/tickets/{near['ticket_id']}", token=tenant.admin_token).json
    assert read["sla"]["first_response_breached"] is False
    assert at_risk_notices(platform, tenant.tokens["manager"], near["ticket_id"]) == []
    clock.advance(15 * 60)  # due: the breach still comes, and no second warning
    sweep(runtimes)
    breached = service.get(f"/tickets/{near['ticket_id']}", token=tenant.admin_token).json
    assert breached["sla"]["first_response_breached"] is True
    assert len(at_risk_notices(platform, agent, near["ticket_id"])) == 1


def test_an_unassigned_ticket_at_risk_notifies_the_team_manager_unless_silenced(
        service: ApiClient, platform: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    manager = tenant.tokens["manager"]
    first = ticket(service, tenant)
    clock.advance(50 * 60)
    sweep(runtimes)
    sweep(runtimes)
    assert len(at_risk_notices(platform, manager, first["ticket_id"])) == 1
    silenced = platform.request("PUT", "/notifications/preferences",
                                {"types": {"sla_at_risk": {"in_app": False}}}, token=manager)
    assert silenced.status == 200, silenced.json
    assert silenced.json["types"]["sla_at_risk"]["in_app"] is False
    second = ticket(service, tenant)
    clock.advance(50 * 60)
    sweep(runtimes)
    assert at_risk_notices(platform, manager, second["ticket_id"]) == []
    platform.request("PUT", "/notifications/preferences", {"types": {}}, token=manager)


@pytest.mark.parametrize("value", [-1, "soon", 525_601])
def test_a_bad_warning_threshold_is_422_naming_it(service: ApiClient, tenant: Tenant,
                                                  value: Any) -> None:
    reply = service.post("/sla-policies", {
        "name": "Bad", "warn_before_minutes": value,
        "targets": {"low": {"first_response_minutes": 60, "resolution_minutes": 600}}},
        token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert [e["field"] for e in reply.json["errors"]] == ["warn_before_minutes"]
