"""SLA policies and business hours: due times to the minute across a weekend, a holiday and a
DST change in Europe/Berlin, pause and resume, the breach sweep and its escalation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from crm_shared import clock
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle

BERLIN_HOURS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture(scope="module", autouse=True)
def restore_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def travel_to(moment: datetime) -> None:
    clock.advance((moment - clock.now()).total_seconds())


def minute(iso: str | None) -> str | None:
    return iso[:16] if iso else None


def breaches(session: Any, ticket_id: str) -> list[dict[str, Any]]:
    """SlaBreached events still in the outbox (the tests do not relay them)."""
    import json

    table = session.client("dynamodb")
    found, kwargs = [], {"TableName": "crm-test-service",
                         "FilterExpression": "detail_type = :d",
                         "ExpressionAttributeValues": {":d": {"S": "SlaBreached"}}}
    while True:
        page = table.scan(**kwargs)
        found += [json.loads(i["detail"]["S"])["data"] for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [e for e in found if e["ticket_id"] == ticket_id]


def test_a_new_tenant_has_default_hours_and_policy(service: ApiClient, tenant: Tenant) -> None:
    hours = service.get("/business-hours", token=tenant.admin_token).json["items"]
    policies = service.get("/sla-policies", token=tenant.admin_token).json["items"]
    assert [h["is_default"] for h in hours] == [True]
    assert hours[0]["hours"]["mon"] == [["09:00", "17:00"]] and "sat" not in hours[0]["hours"]
    assert [p["is_default"] for p in policies] == [True]
    assert policies[0]["business_hours_id"] == hours[0]["business_hours_id"]
    assert set(policies[0]["targets"]) == {"low", "normal", "high", "urgent"}


def test_due_times_across_weekend_holiday_and_dst_with_pause(
        service: ApiClient, tenant: Tenant, runtimes: dict[str, Any], session: Any) -> None:
    token = tenant.admin_token
    calendar = service.post("/business-hours", {
        "name": "Berlin", "time_zone": "Europe/Berlin", "hours": BERLIN_HOURS,
        "holidays": ["2027-03-29"]}, token=token)  # Easter Monday; DST starts Sunday 28th
    assert calendar.status == 201, calendar.json
    policy = service.post("/sla-policies", {
        "name": "Incidents", "business_hours_id": calendar.json["business_hours_id"],
        "position": 1, "types": ["incident"],
        "targets": {"high": {"first_response_minutes": 90, "resolution_minutes": 570}},
        "escalation": {"raise_priority": True}}, token=token)
    assert policy.status == 201, policy.json

    travel_to(datetime(2027, 3, 26, 14, 0, tzinfo=UTC))  # Friday 15:00 CET
    made = service.post("/tickets", {"subject": "VPN down", "type": "incident"}, token=token)
    assert made.status == 201, made.json
    ticket = made.json
    path = f"/tickets/{ticket['ticket_id']}"
    assert ticket["priority"] == "high"
    assert ticket["sla"]["policy_id"] == policy.json["policy_id"]
    assert minute(ticket["sla"]["first_response_due"]) == "2027-03-26T15:30"  # 16:30 CET
    # Fri 15-17 (2 h); weekend; Easter Monday; Tue 09:00 CEST + 7.5 h = 16:30 CEST
    assert minute(ticket["sla"]["resolution_due"]) == "2027-03-30T14:30"

    travel_to(datetime(2027, 3, 26, 14, 30, tzinfo=UTC))
    replied = service.post(f"{path}/comments", {"body": "Looking", "public": True}, token=token)
    assert replied.status == 201
    travel_to(datetime(2027, 3, 26, 15, 0, tzinfo=UTC))  # Friday 16:00 CET: 1 h used
    paused = service.patch(path, {"status": "pending"}, token=token).json
    assert round(paused["metrics"]["first_response_seconds"] / 60) == 30
    assert paused["sla"]["paused"] is True and paused["sla"]["resolution_due"] is None
    assert round(paused["sla"]["remaining_seconds"] / 60) == 570 - 60

    travel_to(datetime(2027, 3, 30, 8, 0, tzinfo=UTC))  # Tuesday 10:00 CEST
    resumed = service.patch(path, {"status": "open"}, token=token).json
    assert resumed["sla"]["paused"] is False
    # 8.5 h left: Tue 10-17 (7 h), Wed 09:00 CEST + 1.5 h = 10:30 CEST
    assert minute(resumed["sla"]["resolution_due"]) == "2027-03-31T08:30"

    travel_to(datetime(2027, 3, 31, 8, 0, tzinfo=UTC))
    runtimes["service"].tick()
    at_risk = service.get("/tickets?sla=at_risk&within_minutes=60", token=token).json["items"]
    assert ticket["ticket_id"] in [t["ticket_id"] for t in at_risk]
    assert service.get(path, token=token).json["sla"]["breached"] is False

    travel_to(datetime(2027, 3, 31, 8, 32, tzinfo=UTC))
    runtimes["service"].tick()
    runtimes["service"].tick()
    after = service.get(path, token=token).json
    assert after["sla"]["resolution_breached"] is True and after["sla"]["breached"] is True
    assert after["sla"]["first_response_breached"] is False
    assert after["priority"] == "urgent", "the policy's escalation raised it"
    [event] = breaches(session, ticket["ticket_id"])
    assert event["target"] == "resolution" and event["escalation"] == ["priority_raised:urgent"]
    breached = service.get("/tickets?sla=breached", token=token).json["items"]
    assert ticket["ticket_id"] in [t["ticket_id"] for t in breached]
    gone = service.get("/tickets?sla=at_risk&within_minutes=60", token=token).json["items"]
    assert ticket["ticket_id"] not in [t["ticket_id"] for t in gone]


def test_first_response_breach_reassigns_to_the_team_lead(
        service: ApiClient, platform: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        session: Any) -> None:
    token = tenant.admin_token
    lead = platform.post("/users", {"email": f"{unique('lead-')}@example.com",
                                    "roles": ["manager"]}, token=token).json["user_id"]
    agent = platform.post("/users", {"email": f"{unique('agent-')}@example.com",
                                     "roles": ["support_agent"]}, token=token).json["user_id"]
    settle(runtimes)
    team = platform.post("/teams", {"name": unique("Desk "), "manager_id": lead,
                                    "member_ids": [agent]}, token=token)
    assert team.status == 201, team.json
    settle(runtimes)
    always = service.post("/business-hours", {"name": "24/7", "time_zone": "UTC", "hours": {
        d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
        token=token).json
    service.post("/sla-policies", {
        "name": "VIP", "business_hours_id": always["business_hours_id"], "position": 0,
        "customer_tiers": ["gold"],
        "targets": {"normal": {"first_response_minutes": 30, "resolution_minutes": 240}},
        "escalation": {"reassign_to": "team_lead"}}, token=token)
    made = service.post("/tickets", {"subject": "Gold", "customer_tier": "gold",
                                     "team_id": team.json["team_id"], "assignee_id": agent},
                        token=token).json
    clock.advance(31 * 60)
    runtimes["service"].tick()
    after = service.get(f"/tickets/{made['ticket_id']}", token=token).json
    assert after["sla"]["first_response_breached"] is True
    assert after["assignee_id"] == lead
    [event] = breaches(session, made["ticket_id"])
    assert event["target"] == "first_response" and set(event["notify_user_ids"]) == {lead, agent}


@pytest.mark.parametrize("body, field", [
    ({"name": "X", "time_zone": "Mars/Base", "hours": BERLIN_HOURS}, "time_zone"),
    ({"name": "X", "time_zone": "UTC", "hours": {"mon": [["17:00", "09:00"]]}}, "hours.mon"),
    ({"name": "X", "time_zone": "UTC",
      "hours": {"tue": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "hours.tue"),
    ({"name": "X", "time_zone": "UTC", "hours": {"wed": [["9am", "5pm"]]}}, "hours.wed"),
    ({"name": "X", "time_zone": "UTC", "hours": {"fun": [["09:00", "17:00"]]}}, "hours.fun"),
    ({"name": "X", "time_zone": "UTC", "hours": {}}, "hours"),
    ({"name": "X", "time_zone": "UTC", "hours": BERLIN_HOURS, "holidays": ["soon"]},
     "holidays[0]"),
    ({"time_zone": "UTC", "hours": BERLIN_HOURS}, "name"),
])
def test_bad_business_hours_are_422_naming_the_field(service: ApiClient, tenant: Tenant,
                                                     body: dict[str, Any], field: str) -> None:
    reply = service.post("/business-hours", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


@pytest.mark.parametrize("body, field", [
    ({"name": "X", "targets": {}}, "targets"),
    ({"name": "X", "targets": {"asap": {"first_response_minutes": 1,
                                        "resolution_minutes": 2}}}, "targets.asap"),
    ({"name": "X", "targets": {"low": {"first_response_minutes": 60,
                                       "resolution_minutes": 30}}},
     "targets.low.resolution_minutes"),
    ({"name": "X", "targets": {"low": {"first_response_minutes": 0,
                                       "resolution_minutes": 30}}},
     "targets.low.first_response_minutes"),
    ({"name": "X", "targets": {"low": {"first_response_minutes": 1, "resolution_minutes": 2}},
      "business_hours_id": "bhr_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "business_hours_id"),
    ({"name": "X", "targets": {"low": {"first_response_minutes": 1, "resolution_minutes": 2}},
      "types": ["rant"]}, "types[0]"),
    ({"name": "X", "targets": {"low": {"first_response_minutes": 1, "resolution_minutes": 2}},
      "escalation": {"reassign_to": "ceo"}}, "escalation.reassign_to"),
])
def test_bad_policies_are_422_naming_the_field(service: ApiClient, tenant: Tenant,
                                               body: dict[str, Any], field: str) -> None:
    reply = service.post("/sla-policies", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert any(e["field"].startswith(field) for e in reply.json["errors"]), reply.json


def test_defaults_cannot_be_deleted_and_used_calendars_stay(service: ApiClient,
                                                            tenant: Tenant) -> None:
    token = tenant.admin_token
    default = next(p for p in service.get("/sla-policies", token=token).json["items"]
                   if p["is_default"])
    refused = service.delete(f"/sla-policies/{default['policy_id']}", token=token)
    assert refused.status == 409
    used = service.delete(f"/business-hours/{default['business_hours_id']}", token=token)
    assert used.status == 409
    unset = service.patch(f"/sla-policies/{default['policy_id']}", {"is_default": False},
                          token=token)
    assert unset.status == 400 and unset.json["errors"][0]["field"] == "is_default"


def test_stale_if_match_on_a_calendar_is_412(service: ApiClient, tenant: Tenant) -> None:
    made = service.post("/business-hours", {"name": "Temp", "time_zone": "Asia/Tokyo",
                                            "hours": BERLIN_HOURS}, token=tenant.admin_token)
    path = f"/business-hours/{made.json['business_hours_id']}"
    first = service.patch(path, {"holidays": ["2027-01-01"]}, token=tenant.admin_token,
                          headers={"If-Match": made.header("ETag")})
    assert first.status == 200 and first.json["holidays"] == ["2027-01-01"]
    stale = service.patch(path, {"name": "Again"}, token=tenant.admin_token,
                          headers={"If-Match": made.header("ETag")})
    assert stale.status == 412
    bad = service.patch(path, {"hours": {"sat": [["10:00", "10:00"]]}}, token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "hours.sat"
    assert service.delete(path, token=tenant.admin_token).status == 204


def test_type_defaults_are_admin_settings(service: ApiClient, tenants: Tenants,
                                          tenant: Tenant) -> None:
    manager = tenants.user(tenant, "manager")
    assert service.patch("/tickets/settings", {"type_defaults": {"question": {
        "priority": "low"}}}, token=manager).status == 403
    changed = service.patch("/tickets/settings", {"type_defaults": {"question": {
        "priority": "low"}}}, token=tenant.admin_token)
    assert changed.status == 200 and changed.json["type_defaults"]["question"] == {
        "priority": "low"}
    assert changed.json["type_defaults"]["complaint"] == {"priority": "high"}
    made = service.post("/tickets", {"subject": "How?"}, token=tenant.admin_token).json
    assert made["priority"] == "low"
    bad = service.patch("/tickets/settings", {"type_defaults": {"rant": {"priority": "low"}}},
                        token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"].startswith("type_defaults")


def test_roles_on_policies(service: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    agent = tenants.user(tenant, "support_agent")
    assert service.get("/sla-policies", token=agent).status == 200
    body = {"name": "Mine", "targets": {"low": {"first_response_minutes": 1,
                                                "resolution_minutes": 2}}}
    assert service.post("/sla-policies", body, token=agent).status == 403
    manager = tenants.user(tenant, "manager")
    assert service.post("/sla-policies", body, token=manager).status == 201
