"""Tickets: create with type defaults, the status flow with history, comments, lists, roles."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def open_ticket(service: ApiClient, token: str, **fields: Any) -> dict[str, Any]:
    reply = service.post("/tickets", {"subject": "Printer on fire", **fields}, token=token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def test_create_applies_type_defaults_and_starts_the_sla(service: ApiClient,
                                                         tenant: Tenant) -> None:
    made = service.post("/tickets", {"subject": "Rude courier", "type": "complaint",
                                     "channel": "email", "tags": ["Delivery"]},
                        token=tenant.admin_token)
    assert made.status == 201, made.json
    ticket = made.json
    assert made.header("Location") == f"/tickets/{ticket['ticket_id']}"
    assert made.header("ETag") == '"1"'
    assert ticket["priority"] == "high" and ticket["status"] == "new"
    assert ticket["tags"] == ["delivery"]
    assert ticket["sla"]["resolution_due"] and ticket["sla"]["paused"] is False
    read = service.get(f"/tickets/{ticket['ticket_id']}", token=tenant.admin_token)
    assert read.status == 200 and read.json["subject"] == "Rude courier"


def test_status_flow_history_and_resolution(service: ApiClient, tenant: Tenant) -> None:
    ticket = open_ticket(service, tenant.admin_token)
    path = f"/tickets/{ticket['ticket_id']}"
    for status in ("open", "pending", "open", "resolved", "open", "closed"):
        reply = service.patch(path, {"status": status}, token=tenant.admin_token)
        assert reply.status == 200, (status, reply.json)
    final = service.get(path, token=tenant.admin_token).json
    assert final["reopen_count"] == 1 and final["closed_at"] and final["resolved_at"]
    history = service.get(f"{path}/history", token=tenant.admin_token).json["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "new"), ("new", "open"), ("open", "pending"), ("pending", "open"),
        ("open", "resolved"), ("resolved", "open"), ("open", "closed")]
    refused = service.patch(path, {"status": "pending"}, token=tenant.admin_token)
    assert refused.status == 409, refused.json
    assert refused.json["errors"][0]["field"] == "status"


def test_stale_if_match_is_412(service: ApiClient, tenant: Tenant) -> None:
    made = service.post("/tickets", {"subject": "Stale"}, token=tenant.admin_token)
    path = f"/tickets/{made.json['ticket_id']}"
    first = service.patch(path, {"priority": "urgent"}, token=tenant.admin_token,
                          headers={"If-Match": made.header("ETag")})
    assert first.status == 200 and first.json["version"] == 2
    stale = service.patch(path, {"priority": "low"}, token=tenant.admin_token,
                          headers={"If-Match": made.header("ETag")})
    assert stale.status == 412, stale.json
    assert service.get(path, token=tenant.admin_token).json["priority"] == "urgent"


def test_first_public_agent_reply_is_the_first_response(service: ApiClient,
                                                         tenant: Tenant) -> None:
    ticket = open_ticket(service, tenant.admin_token)
    path = f"/tickets/{ticket['ticket_id']}"
    file_id = new_id("fil")
    note = service.post(f"{path}/comments", {"body": "checking logs"}, token=tenant.admin_token)
    assert note.status == 201 and note.json["public"] is False
    assert service.get(path, token=tenant.admin_token).json["first_response_at"] is None
    reply = service.post(f"{path}/comments", {"body": "On it", "public": True,
                                              "attachments": [file_id]},
                         token=tenant.admin_token)
    assert reply.status == 201, reply.json
    assert reply.json["attachments"] == [file_id]
    after = service.get(path, token=tenant.admin_token).json
    assert after["first_response_at"] == reply.json["created_at"]
    assert after["status"] == "open" and after["public_reply_count"] == 1
    assert after["sla"]["first_response_due"] is None
    assert after["metrics"]["first_response_seconds"] is not None
    customer = service.post(f"{path}/comments", {"body": "thanks",
                                                 "author_contact_id": new_id("con")},
                            token=tenant.admin_token)
    assert customer.status == 201 and customer.json["author_kind"] == "customer"
    assert customer.json["public"] is True
    listed = service.get(f"{path}/comments", token=tenant.admin_token).json["items"]
    assert [c["body"] for c in listed] == ["checking logs", "On it", "thanks"]


def test_a_customer_reply_reopens_a_pending_ticket(service: ApiClient, tenant: Tenant) -> None:
    ticket = open_ticket(service, tenant.admin_token, status="pending")
    path = f"/tickets/{ticket['ticket_id']}"
    assert ticket["sla"]["paused"] is True
    service.post(f"{path}/comments", {"body": "any news?", "author_contact_id": new_id("con")},
                 token=tenant.admin_token)
    after = service.get(path, token=tenant.admin_token).json
    assert after["status"] == "open" and after["sla"]["paused"] is False


def test_closed_tickets_take_no_comments(service: ApiClient, tenant: Tenant) -> None:
    ticket = open_ticket(service, tenant.admin_token, status="open")
    path = f"/tickets/{ticket['ticket_id']}"
    service.patch(path, {"status": "closed"}, token=tenant.admin_token)
    reply = service.post(f"{path}/comments", {"body": "late"}, token=tenant.admin_token)
    assert reply.status == 409 and reply.json["errors"][0]["field"] == "status"


@pytest.mark.parametrize("body, field", [
    ({}, "subject"),
    ({"subject": ""}, "subject"),
    ({"subject": "x", "channel": "fax"}, "channel"),
    ({"subject": "x", "type": "rant"}, "type"),
    ({"subject": "x", "priority": "asap"}, "priority"),
    ({"subject": "x", "status": "resolved"}, "status"),
    ({"subject": "x", "contact_id": "usr_01"}, "contact_id"),
    ({"subject": "x", "company_id": "cmp_x"}, "company_id"),
    ({"subject": "x", "assignee_id": "bob"}, "assignee_id"),
    ({"subject": "x", "team_id": "tea_1"}, "team_id"),
    ({"subject": "x", "tags": ["no spaces"]}, "tags[0]"),
    ({"subject": "x", "properties": {"bad key": 1}}, "properties"),
    ({"subject": "x", "properties": {"nested": {"a": 1}}}, "properties.nested"),
    ({"subject": "x", "colour": "red"}, "colour"),
])
def test_bad_tickets_are_422_naming_the_field(service: ApiClient, tenant: Tenant,
                                              body: dict[str, Any], field: str) -> None:
    reply = service.post("/tickets", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert any(e["field"].startswith(field) for e in reply.json["errors"]), reply.json


@pytest.mark.parametrize("body, field, status", [
    ({"subject": None}, "subject", 422),
    ({"status": None}, "status", 422),
    ({"status": "archived"}, "status", 422),
    ({"priority": None}, "priority", 422),
])
def test_bad_patches_name_the_field(service: ApiClient, tenant: Tenant, body: dict[str, Any],
                                    field: str, status: int) -> None:
    ticket = open_ticket(service, tenant.admin_token)
    reply = service.patch(f"/tickets/{ticket['ticket_id']}", body, token=tenant.admin_token)
    assert reply.status == status, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_bad_comments_name_the_field(service: ApiClient, tenant: Tenant) -> None:
    path = f"/tickets/{open_ticket(service, tenant.admin_token)['ticket_id']}/comments"
    for body, field in [({}, "body"), ({"body": "x", "attachments": ["s3://x"]},
                                        "attachments[0]"),
                        ({"body": "x", "author_contact_id": "x"}, "author_contact_id")]:
        reply = service.post(path, body, token=tenant.admin_token)
        assert reply.status == 422, reply.json
        assert reply.json["errors"][0]["field"] == field


def test_lists_by_each_dimension(service: ApiClient, tenant: Tenant) -> None:
    contact, company = new_id("con"), new_id("cmp")
    team = new_id("tea")
    agent = new_id("usr")
    one = open_ticket(service, tenant.admin_token, contact_id=contact, company_id=company,
                      priority="urgent", team_id=team, assignee_id=agent, status="open")
    two = open_ticket(service, tenant.admin_token, contact_id=contact, priority="low")
    token = tenant.admin_token

    def ids(query: str) -> list[str]:
        reply = service.get(f"/tickets?{query}", token=token)
        assert reply.status == 200, reply.json
        return [t["ticket_id"] for t in reply.json["items"]]

    assert ids(f"contact_id={contact}") == [two["ticket_id"], one["ticket_id"]]
    assert ids(f"company_id={company}") == [one["ticket_id"]]
    assert ids(f"team_id={team}") == [one["ticket_id"]]
    assert ids(f"assignee_id={agent}") == [one["ticket_id"]]
    assert one["ticket_id"] in ids("priority=urgent")
    assert two["ticket_id"] not in ids("priority=urgent")
    assert one["ticket_id"] in ids("status=open") and two["ticket_id"] in ids("status=new")
    page = service.get(f"/tickets?contact_id={contact}&limit=1", token=token).json
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = service.get(f"/tickets?contact_id={contact}&limit=1&cursor={page['next_cursor']}",
                       token=token).json
    assert [t["ticket_id"] for t in rest["items"]] == [one["ticket_id"]]
    forged = service.get(f"/tickets?team_id={team}&cursor={page['next_cursor']}", token=token)
    assert forged.status == 400 and forged.json["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("query, field", [
    ("status=archived", "status"), ("priority=asap", "priority"), ("sla=late", "sla"),
    ("status=open&priority=low", "status"), ("limit=0", "limit"),
    ("assignee_id=bob", "assignee_id"), ("sla=at_risk&within_minutes=x", "within_minutes"),
])
def test_bad_list_queries_are_400_naming_the_field(service: ApiClient, tenant: Tenant,
                                                   query: str, field: str) -> None:
    reply = service.get(f"/tickets?{query}", token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_roles(service: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    agent = tenants.user(tenant, "support_agent")
    viewer = tenants.user(tenant, "viewer")
    made = service.post("/tickets", {"subject": "From an agent"}, token=agent)
    assert made.status == 201, made.json
    path = f"/tickets/{made.json['ticket_id']}"
    assert service.patch(path, {"status": "open"}, token=agent).status == 200
    assert service.get(path, token=viewer).status == 200
    assert service.post("/tickets", {"subject": "x"}, token=viewer).status == 403
    assert service.patch(path, {"status": "pending"}, token=viewer).status == 403
    assert service.delete(path, token=agent).status == 403
    assert service.delete(path, token=tenant.admin_token).status == 204
    assert service.get(path, token=tenant.admin_token).status == 404


def test_agents_do_not_see_other_teams_tickets(service: ApiClient, tenants: Tenants,
                                               tenant: Tenant) -> None:
    agent = tenants.user(tenant, "support_agent")
    theirs = open_ticket(service, tenant.admin_token, team_id=new_id("tea"),
                         assignee_id=new_id("usr"))
    path = f"/tickets/{theirs['ticket_id']}"
    assert service.get(path, token=agent).status == 404
    listed = service.get("/tickets", token=agent).json["items"]
    assert theirs["ticket_id"] not in [t["ticket_id"] for t in listed]


def test_another_tenant_sees_nothing(service: ApiClient, tenants: Tenants,
                                     tenant: Tenant) -> None:
    other = tenants.create("Other")
    ticket = open_ticket(service, tenant.admin_token)
    path = f"/tickets/{ticket['ticket_id']}"
    assert service.get(path, token=other.admin_token).status == 404
    assert service.patch(path, {"status": "open"}, token=other.admin_token).status == 404
    assert service.post(f"{path}/comments", {"body": "x"}, token=other.admin_token).status == 404
    assert ticket["ticket_id"] not in str(service.get("/tickets", token=other.admin_token).json)
