"""Interactions, the contact and company timelines, and the 360 summary."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def new_contact(contacts: ApiClient, tenant: Tenant, **fields: Any) -> str:
    reply = contacts.post("/contacts", {"first_name": "Grace", "last_name": unique("Hopper "),
                                        **fields}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def new_company(contacts: ApiClient, tenant: Tenant) -> str:
    slug = unique("t")
    reply = contacts.post("/companies", {"name": f"Initech {slug}",
                                         "domain": f"initech-{slug}.example"},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["company_id"])


def log(contacts: ApiClient, tenant: Tenant, token: str | None = None, **body: Any) -> Any:
    reply = contacts.post("/interactions", {"kind": "note", **body},
                          token=token or tenant.admin_token)
    assert reply.status == 201, reply.json
    return reply


def at(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()


def timeline(contacts: ApiClient, tenant: Tenant, party: str, query: str = "") -> Any:
    prefix = "contacts" if party.startswith("con_") else "companies"
    reply = contacts.get(f"/{prefix}/{party}/timeline{query}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return reply.json


def test_log_a_call_onto_every_party_timeline(contacts: ApiClient, tenant: Tenant) -> None:
    person, company = new_contact(contacts, tenant), new_company(contacts, tenant)
    reply = log(contacts, tenant, kind="call", direction="outbound", channel="phone",
                subject="Renewal", body="Talked about the renewal.", duration_seconds=300,
                occurred_at=at(2), participants=[
                    {"contact_id": person}, {"email": "Boss@Partner.Example", "role": "cc"},
                    {"user_id": tenant.admin_user_id}],
                related_ids=[company, "opp_01J00000000000000000000000"])
    made = reply.json
    assert made["interaction_id"].startswith("int_")
    assert reply.header("ETag") == '"1"'
    assert reply.header("Location") == f"/interactions/{made['interaction_id']}"
    assert made["participants"][1]["email"] == "boss@partner.example"
    assert made["party_ids"] == [person, company]
    assert made["owner_id"] == tenant.admin_user_id
    read = contacts.get(f"/interactions/{made['interaction_id']}", token=tenant.admin_token)
    assert read.status == 200 and read.json == made
    for party in (person, company):
        entries = timeline(contacts, tenant, party)["items"]
        assert entries == [{
            "entry_id": made["interaction_id"], "kind": "call",
            "summary": "Outbound call: Renewal", "occurred_at": made["occurred_at"],
            "source": {"service": "contacts", "type": "interaction",
                       "id": made["interaction_id"]},
            "link": f"/interactions/{made['interaction_id']}"}]


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "fax"}, "kind"),
    ({"direction": "inbound"}, "direction"),
    ({"occurred_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "occurred_at"),
    ({"occurred_at": "2024-01-01T10:00:00"}, "occurred_at"),
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"body": "x" * 65_537}, "body"),
    ({"duration_seconds": -1}, "duration_seconds"),
    ({"related_ids": ["acme"]}, "related_ids"),
    ({"related_ids": ["con_01J00000000000000000000000"]}, "related_ids[0]"),
    ({"related_ids": ["cmp_01J00000000000000000000000"]}, "related_ids[0]"),
    ({"participants": [{"contact_id": "con_01J00000000000000000000000"}]},
     "participants[0].contact_id"),
    ({"participants": [{"email": "a@b.example", "user_id": "usr_01J00000000000000000000000"}]},
     "participants[0]"),
    ({"participants": [{"email": "not-an-email"}]}, "participants[0].email"),
    ({"mood": "happy"}, "mood"),
])
def test_bad_interactions_are_422_naming_the_field(contacts: ApiClient, tenant: Tenant,
                                                   body: dict[str, Any], field: str) -> None:
    reply = contacts.post("/interactions", {"kind": "note", **body}, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.json["errors"][0]["field"] == field


def test_parties_are_capped_and_must_be_in_the_tenant(contacts: ApiClient, tenant: Tenant,
                                                      tenants: Tenants) -> None:
    other = tenants.create("Other")
    theirs = new_contact(contacts, other)
    reply = contacts.post("/interactions", {"kind": "note", "related_ids": [theirs]},
                          token=tenant.admin_token)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "related_ids[0]"
    many = [f"con_01J{i:023d}" for i in range(21)]
    reply = contacts.post("/interactions", {"kind": "note", "related_ids": many},
                          token=tenant.admin_token)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "related_ids"
    deleted = new_contact(contacts, tenant)
    assert contacts.delete(f"/contacts/{deleted}", token=tenant.admin_token).status == 204
    reply = contacts.post("/interactions", {"kind": "note", "related_ids": [deleted]},
                          token=tenant.admin_token)
    assert reply.status == 422


def test_timeline_is_newest_first_and_paged(contacts: ApiClient, tenant: Tenant) -> None:
    person = new_contact(contacts, tenant)
    made = [log(contacts, tenant, subject=f"n{h}", occurred_at=at(h), related_ids=[person]).json
            for h in (5, 1, 3)]
    first = timeline(contacts, tenant, person, "?limit=2")
    assert [e["summary"] for e in first["items"]] == ["Note: n1", "Note: n3"]
    assert first["next_cursor"]
    second = timeline(contacts, tenant, person, f"?limit=2&cursor={first['next_cursor']}")
    assert [e["entry_id"] for e in second["items"]] == [made[0]["interaction_id"]]
    assert second["next_cursor"] is None
    forged = contacts.get(f"/contacts/{person}/timeline?cursor=abc", token=tenant.admin_token)
    assert forged.status == 400 and forged.json["errors"][0]["field"] == "cursor"
    bad_limit = contacts.get(f"/contacts/{person}/timeline?limit=0", token=tenant.admin_token)
    assert bad_limit.status == 400 and bad_limit.json["errors"][0]["field"] == "limit"


def test_timelines_of_missing_or_unseen_parties_are_404(contacts: ApiClient, tenant: Tenant,
                                                        tenants: Tenants) -> None:
    for path in ("/contacts/con_01J00000000000000000000000/timeline",
                 "/contacts/nope/timeline", "/companies/cmp_01J00000000000000000000000/timeline",
                 "/contacts/con_01J00000000000000000000000/summary"):
        reply = contacts.get(path, token=tenant.admin_token)
        assert reply.status == 404, (path, reply.json)
    hidden = new_contact(contacts, tenant)  # owned by the admin, no team
    rep = tenants.user(tenant, "sales_rep")
    assert contacts.get(f"/contacts/{hidden}/timeline", token=rep).status == 404
    assert contacts.get(f"/contacts/{hidden}/summary", token=rep).status == 404
    reply = contacts.post("/interactions", {"kind": "note", "related_ids": [hidden]}, token=rep)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "related_ids[0]"
    mine = log(contacts, tenant, subject="admin's note").json
    assert contacts.get(f"/interactions/{mine['interaction_id']}", token=rep).status == 404


def test_patch_moves_and_rewrites_entries_with_if_match(contacts: ApiClient,
                                                        tenant: Tenant) -> None:
    person = new_contact(contacts, tenant)
    older = log(contacts, tenant, subject="older", occurred_at=at(10), related_ids=[person]).json
    newer = log(contacts, tenant, subject="newer", occurred_at=at(1), related_ids=[person]).json
    path = f"/interactions/{older['interaction_id']}"
    stale = contacts.patch(path, {"subject": "x"}, token=tenant.admin_token,
                           headers={"If-Match": '"7"'})
    assert stale.status == 412
    moved = contacts.patch(path, {"subject": "moved up", "occurred_at": at(0.5)},
                           token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert moved.status == 200, moved.json
    assert moved.header("ETag") == '"2"' and moved.json["subject"] == "moved up"
    entries = timeline(contacts, tenant, person)["items"]
    assert [e["summary"] for e in entries] == ["Note: moved up", "Note: newer"]
    card = contacts.get(f"/contacts/{person}/summary", token=tenant.admin_token).json
    assert card["counts"] == {"note": 2}
    assert [e["entry_id"] for e in card["latest"]] == [older["interaction_id"],
                                                      newer["interaction_id"]]
    assert card["latest"][0]["summary"] == "Note: moved up"
    for body, field in (({"occurred_at": None}, "occurred_at"), ({"kind": "call"}, "kind")):
        bad = contacts.patch(path, body, token=tenant.admin_token)
        assert bad.status == 422 and bad.json["errors"][0]["field"] == field


def test_delete_takes_it_off_timeline_and_summary(contacts: ApiClient, tenant: Tenant) -> None:
    person = new_contact(contacts, tenant)
    keep = log(contacts, tenant, kind="email", direction="inbound", subject="keep",
               occurred_at=at(3), related_ids=[person]).json
    gone = log(contacts, tenant, kind="meeting", subject="gone", related_ids=[person]).json
    path = f"/interactions/{gone['interaction_id']}"
    assert contacts.delete(path, token=tenant.admin_token).status == 204
    assert contacts.get(path, token=tenant.admin_token).status == 404
    assert contacts.delete(path, token=tenant.admin_token).status == 404
    entries = timeline(contacts, tenant, person)["items"]
    assert [e["entry_id"] for e in entries] == [keep["interaction_id"]]
    card = contacts.get(f"/contacts/{person}/summary", token=tenant.admin_token).json
    assert card["counts"] == {"email": 1} and card["total"] == 1
    assert card["latest_by_kind"].keys() == {"email"}
    assert card["last_occurred_at"] == keep["occurred_at"]


def test_summary_is_the_360_card(contacts: ApiClient, tenant: Tenant) -> None:
    company = new_company(contacts, tenant)
    person = new_contact(contacts, tenant, company_id=company)
    card = contacts.get(f"/contacts/{person}/summary", token=tenant.admin_token)
    assert card.status == 200, card.json
    assert card.json["counts"] == {} and card.json["latest"] == []
    assert card.json["company"]["company_id"] == company
    assert card.json["company"]["name"].startswith("Initech")
    for hours in range(7):
        log(contacts, tenant, kind="call" if hours % 2 else "note", subject=f"#{hours}",
            occurred_at=at(hours), related_ids=[person])
    card = contacts.get(f"/contacts/{person}/summary", token=tenant.admin_token).json
    assert card["contact"]["contact_id"] == person
    assert card["counts"] == {"note": 4, "call": 3} and card["total"] == 7
    assert [e["summary"] for e in card["latest"]] == [
        "Note: #0", "Call: #1", "Note: #2", "Call: #3", "Note: #4"]
    assert [e["summary"] for e in card["latest_by_kind"]["call"]] == [
        "Call: #1", "Call: #3", "Call: #5"]
    assert card["last_occurred_at"] == card["latest"][0]["occurred_at"]


def _contacts_module(name: str) -> Any:
    load_app("contacts")
    return importlib.import_module(name)


def test_other_services_events_project_through_a_consumer_handler(
        contacts: ApiClient, tenant: Tenant) -> None:
    """The projection interface, driven by a real consumer handler; redelivery is a no-op."""
    from crm_shared.events.consumer import Consumer
    from crm_shared.events.envelope import Event, envelope_for

    handlers = _contacts_module("chalicelib.timeline.handlers")
    domain = _contacts_module("chalicelib.timeline.domain")

    class TicketOpened(Event):  # stands in for the service service's future event
        source = "crm.service"
        ticket_id: str
        contact_id: str
        subject: str
        opened_at: str

    def mapping(event: Any, ctx: Any) -> tuple[list[str], Any]:
        return [event.contact_id], domain.Entry(
            entry_id=event.ticket_id, kind="ticket", summary=f"Ticket opened: {event.subject}",
            occurred_at=event.opened_at, source=domain.Source("service", "ticket",
                                                              event.ticket_id),
            link=f"/tickets/{event.ticket_id}")

    consumer = Consumer("contacts")
    handlers.subscribe(consumer, {TicketOpened: mapping})
    person = new_contact(contacts, tenant)
    ticket = "tkt_01J00000000000000000000000"
    event = TicketOpened(ticket_id=ticket, contact_id=person, subject="Broken widget",
                         opened_at="2025-01-02T03:04:05.000Z")
    envelope = envelope_for(event, tenant.tenant_id, "user:usr_x").model_dump(mode="json")
    body = json.dumps({"source": "crm.service", "detail-type": "TicketOpened",
                       "detail": envelope})
    for message_id in ("m1", "m2"):  # the same event delivered twice
        result = consumer.process_batch({"Records": [{
            "messageId": message_id, "receiptHandle": "r", "body": body, "attributes": {},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1",
        }]})
        assert result == {"batchItemFailures": []}
    entries = timeline(contacts, tenant, person)["items"]
    assert entries == [{"entry_id": ticket, "kind": "ticket",
                        "summary": "Ticket opened: Broken widget",
                        "occurred_at": "2025-01-02T03:04:05.000Z",
                        "source": {"service": "service", "type": "ticket", "id": ticket},
                        "link": f"/tickets/{ticket}"}]
    card = contacts.get(f"/contacts/{person}/summary", token=tenant.admin_token).json
    assert card["counts"] == {"ticket": 1}


def test_merge_erase_and_export_reach_the_timeline(contacts: ApiClient, tenant: Tenant) -> None:
    parties = _contacts_module("chalicelib.parties")
    loser, survivor, other = (new_contact(contacts, tenant) for _ in range(3))
    both = log(contacts, tenant, subject="both", occurred_at=at(2),
               related_ids=[loser, survivor]).json
    shared = log(contacts, tenant, kind="call", subject="secret plans", body="very personal",
                 occurred_at=at(1), participants=[{"contact_id": loser}],
                 related_ids=[other]).json
    own = log(contacts, tenant, subject="survivor's", occurred_at=at(3),
              related_ids=[survivor]).json
    exported = parties.exporters()["interactions"](tenant.tenant_id, loser)
    assert [r["interaction_id"] for r in exported] == [both["interaction_id"],
                                                       shared["interaction_id"]]
    assert len(parties.exporters()["timeline"](tenant.tenant_id, loser)) == 2

    assert parties.movers()["timeline"](tenant.tenant_id, loser, survivor) >= 2
    entries = timeline(contacts, tenant, survivor)["items"]
    assert [e["entry_id"] for e in entries] == [shared["interaction_id"],
                                                both["interaction_id"], own["interaction_id"]]
    card = contacts.get(f"/contacts/{survivor}/summary", token=tenant.admin_token).json
    assert card["counts"] == {"note": 2, "call": 1}
    moved = contacts.get(f"/interactions/{shared['interaction_id']}",
                         token=tenant.admin_token).json
    assert moved["party_ids"] == [survivor, other]
    assert moved["participants"] == [{"contact_id": survivor}]
    assert parties.exporters()["timeline"](tenant.tenant_id, loser) == []

    assert parties.erasers()["timeline"](tenant.tenant_id, survivor) > 0
    assert parties.exporters()["timeline"](tenant.tenant_id, survivor) == []
    erased = contacts.get(f"/interactions/{shared['interaction_id']}",
                          token=tenant.admin_token).json
    assert erased["subject"] is None and erased["body"] is None and erased["erased"] is True
    assert erased["party_ids"] == [other] and erased["participants"] == []
    left = timeline(contacts, tenant, other)["items"]
    assert [e["summary"] for e in left] == ["Call"]
    other_card = contacts.get(f"/contacts/{other}/summary", token=tenant.admin_token).json
    assert other_card["latest"][0]["summary"] == "Call" and other_card["counts"] == {"call": 1}


def _outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    pages = session.client("dynamodb").get_paginator("scan").paginate(
        TableName="crm-test-contacts")  # a Scan, in a test, to look behind the API
    return [json.loads(i["detail"]["S"])["data"] for page in pages for i in page["Items"]
            if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
            and i["detail_type"]["S"] == detail_type]


def test_edits_and_deletes_are_announced_in_their_transaction(
        contacts: ApiClient, tenant: Tenant, tenants: Tenants, session: Any,
        runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    person, company = new_contact(contacts, tenant), new_company(contacts, tenant)
    made = log(contacts, tenant, kind="call", subject="first", occurred_at=at(2),
               related_ids=[person, company]).json
    path = f"/interactions/{made['interaction_id']}"
    edited = contacts.patch(path, {"subject": "second", "duration_seconds": 60},
                            token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert edited.status == 200, edited.json
    assert contacts.patch(path, {"subject": "second"},  # no change: nothing to announce
                          token=tenant.admin_token).status == 200
    stale = contacts.patch(path, {"subject": "third"}, token=tenant.admin_token,
                           headers={"If-Match": '"1"'})
    assert stale.status == 412
    viewer = tenants.user(tenant, "viewer")
    assert contacts.patch(path, {"subject": "x"}, token=viewer).status == 403
    assert contacts.delete(path, token=viewer).status == 403
    other = tenants.create()
    assert contacts.patch(path, {"subject": "x"}, token=other.admin_token).status == 404
    assert contacts.delete(path, token=other.admin_token).status == 404
    updates = _outbox(session, tenant.tenant_id, "InteractionUpdated")
    assert updates == [{"interaction_id": made["interaction_id"], "kind": "call",
                        "subject": "second", "occurred_at": made["occurred_at"],
                        "duration_seconds": 60, "changed": ["duration_seconds", "subject"],
                        "contact_ids": [person], "company_ids": [company]}]

    assert contacts.delete(path, token=tenant.admin_token).status == 204
    assert contacts.delete(path, token=tenant.admin_token).status == 404
    deletes = _outbox(session, tenant.tenant_id, "InteractionDeleted")
    assert deletes == [{"interaction_id": made["interaction_id"], "kind": "call",
                        "contact_ids": [person], "company_ids": [company]}]
    settle(runtimes)
