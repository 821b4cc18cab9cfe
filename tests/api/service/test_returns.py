"""Returns: requested on a ticket, the status flow with timestamped steps and an event per
step, the note each step leaves on the ticket, lists, roles, bad input, and what contact
erasure and merges do to returns and knowledge-base votes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.events.envelope import Event, envelope_for
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle

TABLE = "crm-test-service"
LINE = {"sku": "MUG-1", "product_name": "Blue mug", "quantity": 2, "reason": "damaged"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    """The service's unpublished outbox items of a type (a Scan, in a test, to look behind
    the API); `settle` publishes and clears them."""
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    found = [json.loads(i["detail"]["S"]) for page in pages for i in page["Items"]
             if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
             and i["detail_type"]["S"] == detail_type]
    return [e["data"] for e in sorted(found, key=lambda e: e["metadata"]["event_id"])]


def ticket(service: ApiClient, token: str, **fields: Any) -> dict[str, Any]:
    made = service.post("/tickets", {"subject": "Broken mug", "type": "return", **fields},
                        token=token)
    assert made.status == 201, made.json
    return dict(made.json)


def request(service: ApiClient, token: str, ticket_id: str, **fields: Any) -> dict[str, Any]:
    made = service.post("/returns", {"ticket_id": ticket_id, "order_id": new_id("ord"),
                                     "lines": [LINE], **fields}, token=token)
    assert made.status == 201, made.json
    return dict(made.json)


def field_of(reply: Any) -> str:
    return str(reply.json["errors"][0]["field"])


def test_request_shows_on_the_ticket_with_its_event(service: ApiClient, session: Any,
                                                    tenant: Tenant,
                                                    runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    contact = new_id("con")
    case = ticket(service, tenant.admin_token, contact_id=contact)
    made = service.post("/returns", {
        "ticket_id": case["ticket_id"], "external_order_ref": "SHOP-1001", "type": "complaint",
        "lines": [LINE, {"product_name": "Teapot", "quantity": 1, "reason": "wrong_item"}],
        "notes": "Customer at home after 5pm",
        "address": {"line1": "1 Main St", "city": "Lyon", "country": "FR"}},
        token=tenant.admin_token)
    assert made.status == 201, made.json
    ret = made.json
    assert made.header("Location") == f"/returns/{ret['return_id']}"
    assert made.header("ETag") == '"1"'
    assert ret["status"] == "requested" and ret["contact_id"] == contact
    assert ret["type"] == "complaint" and ret["order_id"] is None
    assert [(s["status"], s["by"]) for s in ret["history"]] == [
        ("requested", f"user:{tenant.admin_user_id}")]
    assert ret["history"][0]["at"] == ret["created_at"]
    notes = service.get(f"/tickets/{case['ticket_id']}/comments",
                        token=tenant.admin_token).json["items"]
    assert [(c["public"], c["author_kind"]) for c in notes] == [(True, "system")]
    assert ret["return_id"] in notes[0]["body"] and "Blue mug" in notes[0]["body"]
    unchanged = service.get(f"/tickets/{case['ticket_id']}", token=tenant.admin_token).json
    assert unchanged["version"] == case["version"] and unchanged["first_response_at"] is None
    [requested] = [e for e in outbox(session, tenant.tenant_id, "ReturnRequested")
                   if e["return_id"] == ret["return_id"]]
    assert requested["request"] == ret and requested["ticket_id"] == case["ticket_id"]
    commented = [e for e in outbox(session, tenant.tenant_id, "TicketCommented")
                 if e["ticket_id"] == case["ticket_id"]]
    assert len(commented) == 1 and commented[0]["comment"]["author_kind"] == "system"


def test_the_flow_with_a_step_each_and_illegal_moves(service: ApiClient, session: Any,
                                                     tenant: Tenant,
                                                     runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    case = ticket(service, tenant.admin_token)
    ret = request(service, tenant.admin_token, case["ticket_id"])
    path = f"/returns/{ret['return_id']}"
    early = service.patch(path, {"status": "refunded"}, token=tenant.admin_token)
    assert early.status == 409 and field_of(early) == "status", early.json
    approved = service.patch(path, {"status": "approved", "note": "label sent"},
                             token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert approved.status == 200 and approved.json["version"] == 2, approved.json
    stale = service.patch(path, {"notes": "late"}, token=tenant.admin_token,
                          headers={"If-Match": '"1"'})
    assert stale.status == 412
    locked = service.patch(path, {"lines": [LINE]}, token=tenant.admin_token)
    assert locked.status == 409 and field_of(locked) == "status"
    assert service.patch(path, {"status": "received"}, token=tenant.admin_token).status == 200
    no_refund = service.patch(path, {"status": "replaced", "refund": {"amount": 100,
                                                                      "currency": "EUR"}},
                              token=tenant.admin_token)
    assert no_refund.status == 422 and field_of(no_refund) == "refund"
    refunded = service.patch(path, {"status": "refunded", "refund": {"amount": 1999,
                                                                     "currency": "eur"}},
                             token=tenant.admin_token)
    assert refunded.status == 200, refunded.json
    final = refunded.json
    assert final["refund"] == {"amount": 1999, "currency": "EUR"}
    assert [s["status"] for s in final["history"]] == [
        "requested", "approved", "received", "refunded"]
    assert final["history"][1]["note"] == "label sent"
    assert all(s["at"] for s in final["history"])
    after = service.patch(path, {"status": "replaced"}, token=tenant.admin_token)
    assert after.status == 409 and field_of(after) == "status"
    for kind, count in (("ReturnApproved", 1), ("ReturnReceived", 1), ("ReturnRefunded", 1),
                        ("ReturnReplaced", 0), ("ReturnRejected", 0)):
        found = [e for e in outbox(session, tenant.tenant_id, kind)
                 if e["return_id"] == ret["return_id"]]
        assert len(found) == count, kind
    [done] = [e for e in outbox(session, tenant.tenant_id, "ReturnRefunded")
              if e["return_id"] == ret["return_id"]]
    assert done["request"] == final
    notes = service.get(f"/tickets/{case['ticket_id']}/comments",
                        token=tenant.admin_token).json["items"]
    assert [n["body"].split()[-1] for n in notes[1:]] == ["approved.", "received.",
                                                          "refunded."]
    other = request(service, tenant.admin_token, case["ticket_id"])
    rejected = service.patch(f"/returns/{other['return_id']}", {"status": "rejected"},
                             token=tenant.admin_token)
    assert rejected.status == 200 and rejected.json["status"] == "rejected"
    assert service.patch(f"/returns/{other['return_id']}", {"status": "approved"},
                         token=tenant.admin_token).status == 409


def test_bad_input_names_the_field(service: ApiClient, tenant: Tenant, tenants: Tenants
                                   ) -> None:
    case = ticket(service, tenant.admin_token)
    base = {"ticket_id": case["ticket_id"], "order_id": new_id("ord"), "lines": [LINE]}
    for change, field in [
            ({"ticket_id": new_id("tkt")}, "ticket_id"),
            ({"ticket_id": "tkt_x"}, "ticket_id"),
            ({"order_id": None}, "order_id"),
            ({"order_id": "ord_nope"}, "order_id"),
            ({"lines": []}, "lines"),
            ({"lines": [{**LINE, "quantity": 0}]}, "lines[0].quantity"),
            ({"lines": [{**LINE, "reason": "meh"}]}, "lines[0].reason"),
            ({"lines": [{"quantity": 1, "reason": "other"}]}, "lines[0]"),
            ({"type": "gift"}, "type"),
            ({"contact_id": "nobody"}, "contact_id"),
            ({"address": {"line1": "x", "city": "y", "country": "France"}}, "address.country"),
            ({"status": "approved"}, "status")]:
        body = {k: v for k, v in {**base, **change}.items() if v is not None}
        reply = service.post("/returns", body, token=tenant.admin_token)
        assert reply.status == 422 and field_of(reply) == field, (change, reply.json)
    ret = request(service, tenant.admin_token, case["ticket_id"])
    path = f"/returns/{ret['return_id']}"
    for body, field in [({"status": "lost"}, "status"), ({"lines": None}, "lines"),
                        ({"note": "no step"}, "note"), ({"refund": {"amount": -1,
                                                                    "currency": "EUR"}},
                                                        "refund.amount")]:
        reply = service.patch(path, body, token=tenant.admin_token)
        assert reply.status == 422 and field_of(reply) == field, (body, reply.json)
    assert service.get(f"/returns/{new_id('ret')}", token=tenant.admin_token).status == 404
    assert service.patch("/returns/bogus", {}, token=tenant.admin_token).status == 404
    for query, field in [("status=lost", "status"), ("ticket_id=x", "ticket_id"),
                         ("contact_id=tkt_1", "contact_id"),
                         ("status=requested&ticket_id=" + case["ticket_id"], "ticket_id"),
                         ("cursor=forged", "cursor")]:
        reply = service.get(f"/returns?{query}", token=tenant.admin_token)
        assert reply.status == 400 and field_of(reply) == field, (query, reply.json)
    other = tenants.create("Elsewhere")
    theirs = ticket(service, other.admin_token)
    crossing = service.post("/returns", {**base, "ticket_id": theirs["ticket_id"]},
                            token=tenant.admin_token)
    assert crossing.status == 422 and field_of(crossing) == "ticket_id"


def test_lists_by_status_ticket_and_contact(service: ApiClient, tenant: Tenant) -> None:
    contact = new_id("con")
    case = ticket(service, tenant.admin_token, contact_id=contact)
    made = [request(service, tenant.admin_token, case["ticket_id"]) for _ in range(3)]
    service.patch(f"/returns/{made[0]['return_id']}", {"status": "approved"},
                  token=tenant.admin_token)
    ids = [r["return_id"] for r in made]
    by_ticket = service.get(f"/returns?ticket_id={case['ticket_id']}&limit=2",
                            token=tenant.admin_token).json
    assert [r["return_id"] for r in by_ticket["items"]] == ids[::-1][:2]
    rest = service.get(f"/returns?ticket_id={case['ticket_id']}&limit=2&cursor="
                       f"{by_ticket['next_cursor']}", token=tenant.admin_token).json
    assert [r["return_id"] for r in rest["items"]] == [ids[0]]
    wrong_list = service.get(f"/returns?contact_id={contact}&cursor="
                             f"{by_ticket['next_cursor']}", token=tenant.admin_token)
    assert wrong_list.status == 400 and field_of(wrong_list) == "cursor"
    by_contact = service.get(f"/returns?contact_id={contact}", token=tenant.admin_token).json
    assert {r["return_id"] for r in by_contact["items"]} == set(ids)
    approved = service.get("/returns?status=approved", token=tenant.admin_token).json
    assert ids[0] in [r["return_id"] for r in approved["items"]]
    requested = service.get("/returns?status=requested", token=tenant.admin_token).json
    assert ids[0] not in [r["return_id"] for r in requested["items"]]


def test_roles(service: ApiClient, tenant: Tenant, tenants: Tenants) -> None:
    agent, viewer = tenants.user(tenant, "support_agent"), tenants.user(tenant, "viewer")
    case = ticket(service, agent)
    ret = request(service, agent, case["ticket_id"])
    assert service.patch(f"/returns/{ret['return_id']}", {"status": "approved"},
                         token=agent).status == 200
    assert service.get(f"/returns/{ret['return_id']}", token=viewer).status == 200
    assert service.get("/returns", token=viewer).status == 200
    assert service.post("/returns", {"ticket_id": case["ticket_id"]},
                        token=viewer).status == 403
    assert service.patch(f"/returns/{ret['return_id']}", {"status": "received"},
                         token=tenants.user(tenant, "sales_rep")).status == 403


def publish(session: Any, tenant: Tenant, event: Event) -> None:
    put_bus_event(session, event.source, event.detail_type(),
                  envelope_for(event, tenant.tenant_id, "system").model_dump(mode="json"))


def test_contact_events_reach_returns_and_kb_votes(service: ApiClient, session: Any,
                                                   tenant: Tenant,
                                                   runtimes: dict[str, Any]) -> None:
    ana, bob, survivor = new_id("con"), new_id("con"), new_id("con")
    case = ticket(service, tenant.admin_token)
    hers = request(service, tenant.admin_token, case["ticket_id"], contact_id=ana,
                   notes="Ana's flat 4B", address={"line1": "4B Elm", "city": "Oslo",
                                                   "country": "NO"},
                   lines=[{**LINE, "comment": "Ana dropped it"}])
    service.patch(f"/returns/{hers['return_id']}", {"status": "approved",
                                                     "note": "call Ana"},
                  token=tenant.admin_token)
    his = request(service, tenant.admin_token, case["ticket_id"], contact_id=bob)
    made = service.post("/kb/articles", {"title": "Mugs", "body": "Care."},
                        token=tenant.admin_token).json
    path = f"/kb/articles/{made['article_id']}"
    service.post(f"{path}/publish", token=tenant.admin_token)
    assert service.post(f"{path}/votes", {"helpful": True, "contact_id": ana},
                        token=tenant.admin_token).status == 201
    settle(runtimes)
    for _ in range(2):  # a redelivery changes nothing twice
        publish(session, tenant, ContactErased(contact_id=ana,
                                               erased_at="2026-01-01T00:00:00Z"))
    publish(session, tenant, ContactMerged(contact_id=survivor, merged_ids=[bob],
                                           contact={"contact_id": survivor}))
    settle(runtimes)
    erased = service.get(f"/returns/{hers['return_id']}", token=tenant.admin_token).json
    assert erased["erased"] and erased["contact_id"] is None
    assert erased["notes"] is None and erased["address"] is None
    assert all(s["note"] is None for s in erased["history"])
    assert "comment" not in erased["lines"][0] and erased["lines"][0]["sku"] == "MUG-1"
    assert service.get(f"/returns?contact_id={ana}", token=tenant.admin_token).json[
        "items"] == []
    moved = service.get(f"/returns?contact_id={survivor}", token=tenant.admin_token).json
    assert [r["return_id"] for r in moved["items"]] == [his["return_id"]]
    # the vote's voter is gone (she may vote again), its count stays
    assert service.get(path, token=tenant.admin_token).json["helpful_count"] == 1
    again = service.post(f"{path}/votes", {"helpful": False, "contact_id": ana},
                         token=tenant.admin_token)
    assert again.status == 201 and again.json["helpful_count"] == 1
