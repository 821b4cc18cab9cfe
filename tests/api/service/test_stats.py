"""Service metrics from aggregates the consumer keeps: volume, business-time averages and
p90, SLA attainment, first-contact resolution, reopen rate, backlog; redelivery-safe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.events.envelope import envelope_for
from crm_shared.events.service_events import TicketUpdated
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle

ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module", autouse=True)
def restore_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], service: ApiClient) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    token = made.admin_token
    always = service.post("/business-hours", {"name": "24/7", "time_zone": "UTC",
                                              "hours": ALWAYS}, token=token).json
    default = service.get("/sla-policies", token=token).json["items"][0]
    service.patch(f"/sla-policies/{default['policy_id']}",
                  {"business_hours_id": always["business_hours_id"]}, token=token)
    return made


def stats(service: ApiClient, token: str, query: str = "") -> dict[str, Any]:
    day = clock.now().date()
    window = f"from={day - timedelta(days=1)}&to={day + timedelta(days=1)}"
    reply = service.get(f"/tickets/stats?{window}&{query}", token=token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def test_metrics_follow_the_tickets(service: ApiClient, session: Any, tenant: Tenant,
                                    runtimes: dict[str, Any]) -> None:
    token = tenant.admin_token
    first = service.post("/tickets", {"subject": "a", "channel": "email"}, token=token).json
    second = service.post("/tickets", {"subject": "b", "channel": "phone"}, token=token).json
    third = service.post("/tickets", {"subject": "c", "channel": "email"}, token=token).json
    path = f"/tickets/{first['ticket_id']}"
    clock.advance(600)
    service.post(f"{path}/comments", {"body": "hi", "public": True}, token=token)
    clock.advance(3600)
    service.patch(path, {"status": "resolved"}, token=token)
    service.patch(f"/tickets/{second['ticket_id']}", {"status": "resolved"}, token=token)
    settle(runtimes)

    [whole] = (found := stats(service, token))["groups"]
    assert found["aggregates_read"] == 1 and whole["key"] == "all"
    assert (whole["volume"], whole["open"], whole["resolved"]) == (3, 1, 2)
    assert whole["first_response"]["count"] == 1
    assert round(whole["first_response"]["average_seconds"] / 60) == 10
    assert whole["first_response"]["p90_seconds"] == 900
    assert whole["resolution"]["p90_seconds"] == 7200
    assert whole["sla_attainment"]["first_response"] == 1.0
    assert whole["sla_attainment"]["resolution"] == 1.0
    assert whole["first_contact_resolution_rate"] == 1.0 and whole["reopen_rate"] == 0.0
    assert whole["backlog_by_age"] == {"0-1d": 1, "1-3d": 0, "3-7d": 0, "7d+": 0}

    by_channel = stats(service, token, "group_by=channel")
    assert by_channel["aggregates_read"] == 2
    volumes = {g["key"]: (g["volume"], g["open"]) for g in by_channel["groups"]}
    assert volumes == {"email": (2, 1), "phone": (1, 0)}

    before_reopen = service.get(path, token=token).json
    service.patch(path, {"status": "open"}, token=token)
    settle(runtimes)
    [whole] = stats(service, token)["groups"]
    assert whole["reopen_rate"] == round(1 / 3, 4) and whole["open"] == 2

    # a late, older version of the ticket (a redelivery or a reordering) changes nothing
    late = TicketUpdated(ticket_id=first["ticket_id"], ticket=before_reopen, changed=["status"])
    put_bus_event(session, late.source, late.detail_type(),
                  envelope_for(late, tenant.tenant_id, "system").model_dump(mode="json"))
    settle(runtimes)
    assert stats(service, token)["groups"] == [whole]
    assert service.get(f"/tickets/{third['ticket_id']}", token=token).json["status"] == "new"


def test_grouping_by_agent_moves_with_reassignment(service: ApiClient, tenant: Tenant,
                                                   runtimes: dict[str, Any]) -> None:
    token = tenant.admin_token
    ticket = service.post("/tickets", {"subject": "mine", "assignee_id": tenant.admin_user_id,
                                       "type": "request"}, token=token).json
    settle(runtimes)
    before = {g["key"]: g["volume"] for g in stats(service, token, "group_by=agent")["groups"]}
    assert before.get(tenant.admin_user_id) == 1
    service.patch(f"/tickets/{ticket['ticket_id']}", {"assignee_id": None}, token=token)
    settle(runtimes)
    after = {g["key"]: g["volume"] for g in stats(service, token, "group_by=agent")["groups"]}
    assert after.get(tenant.admin_user_id, 0) == 0
    assert after["none"] == before.get("none", 0) + 1


@pytest.mark.parametrize("query, field", [
    ("group_by=weather", "group_by"), ("from=yesterday", "from"), ("to=2026-13-01", "to"),
    ("from=2026-02-01&to=2026-01-01", "from"), ("from=2024-01-01&to=2026-01-01", "from"),
])
def test_bad_queries_are_400_naming_the_field(service: ApiClient, tenant: Tenant, query: str,
                                              field: str) -> None:
    reply = service.get(f"/tickets/stats?{query}", token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_another_tenant_reads_only_its_own(service: ApiClient, tenants: Tenants) -> None:
    other = tenants.create("Other")
    found = stats(service, other.admin_token)
    assert found["groups"] == [] and found["aggregates_read"] == 0
