"""CSAT after resolution, NPS on a schedule: the message command marketing gets, answers by
signed link once, what low scores do, settings, erasure and merges, on moto."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.events.contacts_events import ContactCreated, ContactErased, ContactMerged
from crm_shared.events.envelope import Event, envelope_for
from crm_shared.events.service_events import SurveySent
from crm_shared.ids import new_id
from crm_shared.messaging import MessageCommand
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle

LINE = re.compile(r"^(\d+|Or tell us more): \S+\?token=([A-Za-z0-9_-]+)$", re.M)


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def other(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Other")
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def own(runtimes: dict[str, Any]) -> dict[str, Any]:
    """Only the service's own runtime: marketing must not consume the messages queue
    before the test reads what the service put on it."""
    return {"service": runtimes["service"]}


def publish(session: Any, tenant: Tenant, event: Event) -> None:
    put_bus_event(session, event.source, event.detail_type(),
                  envelope_for(event, tenant.tenant_id, "system").model_dump(mode="json"))


def commands(session: Any, tenant: Tenant) -> list[MessageCommand]:
    """The tenant's message commands on marketing's queue (taken off it), validated."""
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName="crm-test-marketing-messages")["QueueUrl"]
    found = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return found
        for message in got:
            command = MessageCommand.model_validate_json(message["Body"])
            if command.tenant_id == tenant.tenant_id:
                found.append(command)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def links(command: MessageCommand) -> dict[str, str]:
    """score (or "more") -> token, from the message's text."""
    assert command.text is not None
    return {("more" if label.startswith("Or") else label): token
            for label, token in LINE.findall(command.text)}


def contact(session: Any, tenant: Tenant, own: dict[str, Any], email: str) -> str:
    contact_id = new_id("con")
    publish(session, tenant, ContactCreated(contact_id=contact_id, contact={
        "contact_id": contact_id, "version": 1, "emails": [{"address": email}]}))
    settle(own)
    return contact_id


def resolved_ticket(service: ApiClient, tenant: Tenant, own: dict[str, Any],
                    **fields: Any) -> str:
    made = service.post("/tickets", {"subject": "Survey me", **fields},
                        token=tenant.admin_token)
    assert made.status == 201, made.json
    ticket_id = str(made.json["ticket_id"])
    done = service.patch(f"/tickets/{ticket_id}", {"status": "resolved"},
                         token=tenant.admin_token)
    assert done.status == 200, done.json
    settle(own)
    return ticket_id


def answer(service: ApiClient, body: dict[str, Any]) -> Any:
    return service.post("/surveys/responses", body)  # public: no token


def field_of(reply: Any) -> str:
    return str(reply.json["errors"][0]["field"])


def test_a_resolved_ticket_sends_a_csat_with_one_click_links(
        service: ApiClient, session: Any, tenant: Tenant, own: dict[str, Any]) -> None:
    ana = contact(session, tenant, own, "ana@example.org")
    commands(session, tenant)  # whatever came before
    ticket_id = resolved_ticket(service, tenant, own, contact_id=ana)
    [command] = commands(session, tenant)
    assert command.channel == "email" and command.to_contact_id == ana
    assert command.to_address is None and command.idempotency_key.startswith("survey-srv_")
    assert ticket_id in (command.text or "") and command.html and command.subject
    assert sorted(links(command)) == ["1", "2", "3", "4", "5", "more"]

    # a requester known only by address is asked at that address
    resolved_ticket(service, tenant, own, properties={"requester_email": "zoe@example.org"})
    [by_address] = commands(session, tenant)
    assert by_address.to_address == "zoe@example.org" and by_address.to_contact_id is None

    # a SurveySent delivered again repeats the same key: marketing sends once per key
    survey_id = command.idempotency_key.removeprefix("survey-")
    publish(session, tenant, SurveySent(survey_id=survey_id, kind="csat", contact_id=ana,
                                        ticket_id=ticket_id, expires_at="2030-01-01T00:00:00Z"))
    settle(own)
    [repeat] = commands(session, tenant)
    assert repeat.idempotency_key == command.idempotency_key


def test_one_click_answer_once_and_the_lists(service: ApiClient, session: Any,
                                             tenant: Tenant, other: Tenant,
                                             own: dict[str, Any]) -> None:
    ben = contact(session, tenant, own, "ben@example.org")
    commands(session, tenant)
    ticket_id = resolved_ticket(service, tenant, own, contact_id=ben)
    [command] = commands(session, tenant)
    tokens = links(command)

    wrong = answer(service, {"token": tokens["4"], "score": 5})
    assert wrong.status == 422 and field_of(wrong) == "score"
    made = answer(service, {"token": tokens["4"], "comment": "Quick and kind"})
    assert made.status == 201, made.json
    assert made.json["score"] == 4 and made.json["ticket_id"] == ticket_id
    assert made.json["contact_id"] == ben and made.json["kind"] == "csat"
    again = answer(service, {"token": tokens["5"]})  # another link of the same survey
    assert again.status == 409 and field_of(again) == "token"
    assert answer(service, {"token": tokens["4"]}).status == 409

    for query in (f"ticket_id={ticket_id}", f"contact_id={ben}", ""):
        listed = service.get(f"/surveys/responses?{query}", token=tenant.admin_token)
        assert listed.status == 200, listed.json
        assert made.json["response_id"] in [r["response_id"] for r in listed.json["items"]]
    theirs = service.get(f"/surveys/responses?ticket_id={ticket_id}", token=other.admin_token)
    assert theirs.status == 200 and theirs.json["items"] == []
    assert service.get("/surveys/responses").status == 401  # listing is not public
    for bad, field in (("ticket_id=con_1", "ticket_id"), ("contact_id=x", "contact_id"),
                       (f"ticket_id={ticket_id}&contact_id={ben}", "contact_id"),
                       ("limit=101", "limit"), ("cursor=forged", "cursor")):
        reply = service.get(f"/surveys/responses?{bad}", token=tenant.admin_token)
        assert reply.status == 400 and field_of(reply) == field, (bad, reply.json)


def test_forged_expired_and_malformed_answers_name_the_field(
        service: ApiClient, session: Any, tenant: Tenant, own: dict[str, Any]) -> None:
    cid = contact(session, tenant, own, "cai@example.org")
    commands(session, tenant)
    resolved_ticket(service, tenant, own, contact_id=cid)
    [command] = commands(session, tenant)
    tokens = links(command)
    generic = tokens["more"]
    flipped = generic[:-3] + ("A" if generic[-3] != "A" else "B") + generic[-2:]
    cursor = service.get("/surveys/responses?limit=1", token=tenant.admin_token).json
    for body, field in (({"token": flipped, "score": 3}, "token"),
                        ({"token": "nonsense", "score": 3}, "token"),
                        ({"token": cursor["next_cursor"] or "x", "score": 3}, "token"),
                        ({"token": generic}, "score"),
                        ({"token": generic, "score": 7}, "score"),  # CSAT is 1..5
                        ({"token": generic, "score": 11}, "score"),
                        ({"token": generic, "score": "five"}, "score"),
                        ({"token": generic, "score": 3, "comment": "x" * 2001}, "comment"),
                        ({"token": generic, "score": 3, "tenant_id": "ten_x"}, "tenant_id"),
                        ({"score": 3}, "token")):
        reply = answer(service, body)
        assert reply.status in (400, 422), (body, reply.json)
        assert field_of(reply) == field, (body, reply.json)
    clock.advance(31 * 86400)
    try:
        late = answer(service, {"token": generic, "score": 3})
        assert late.status == 400 and field_of(late) == "token"
        assert late.json["code"] == "token_expired"
    finally:
        clock.reset()
    assert answer(service, {"token": generic, "score": 3}).status == 201


def test_a_low_csat_reopens_the_ticket(service: ApiClient, session: Any, tenant: Tenant,
                                       own: dict[str, Any]) -> None:
    dan = contact(session, tenant, own, "dan@example.org")
    commands(session, tenant)
    ticket_id = resolved_ticket(service, tenant, own, contact_id=dan)
    [command] = commands(session, tenant)
    assert answer(service, {"token": links(command)["1"], "comment": "Not fixed"}).status == 201
    settle(own)
    read = service.get(f"/tickets/{ticket_id}", token=tenant.admin_token).json
    assert read["status"] == "open" and read["reopen_count"] == 1

    # a good score changes nothing
    calm = resolved_ticket(service, tenant, own, contact_id=dan)
    [command] = commands(session, tenant)
    assert answer(service, {"token": links(command)["5"]}).status == 201
    settle(own)
    assert service.get(f"/tickets/{calm}", token=tenant.admin_token).json["status"] == \
        "resolved"


def test_nps_goes_out_per_interval_and_a_detractor_gets_a_follow_up(
        service: ApiClient, session: Any, tenant: Tenant, other: Tenant,
        own: dict[str, Any], runtimes: dict[str, Any]) -> None:
    eve = contact(session, tenant, own, "eve@example.org")
    commands(session, tenant)
    runtime = runtimes["service"]
    runtime.tick()
    settle(own)
    assert [c for c in commands(session, tenant) if c.to_contact_id == eve] == []
    clock.advance(91 * 86400)
    try:
        runtime.tick()
        settle(own)
        [nps] = [c for c in commands(session, tenant) if c.to_contact_id == eve]
        assert sorted(links(nps), key=lambda k: (len(k), k))[:11] == [str(n) for n in
                                                                      range(11)]
        runtime.tick()  # not due again for another interval
        settle(own)
        assert [c for c in commands(session, tenant) if c.to_contact_id == eve] == []
        reply = answer(service, {"token": links(nps)["3"], "comment": "Too slow"})
        assert reply.status == 201 and reply.json["kind"] == "nps"
        settle(own)
    finally:
        clock.reset()
    mine = service.get(f"/tickets?contact_id={eve}", token=tenant.admin_token).json["items"]
    [follow_up] = [t for t in mine if t["subject"] == "Follow up: NPS score 3"]
    assert follow_up["description"] == "Too slow" and "nps-low" in follow_up["tags"]
    theirs = service.get("/tickets", token=other.admin_token).json["items"]
    assert all(t["subject"] != "Follow up: NPS score 3" for t in theirs)


def test_settings(service: ApiClient, tenants: Tenants, tenant: Tenant,
                  other: Tenant) -> None:
    read = service.get("/surveys/settings", token=tenant.admin_token)
    assert read.status == 200 and read.json["nps_interval_days"] == 90
    changed = service.patch("/surveys/settings", {"nps_interval_days": 30,
                                                  "csat_reopen_on_low": False},
                            token=tenant.admin_token)
    assert changed.status == 200 and changed.json["nps_interval_days"] == 30
    assert changed.json["csat_reopen_on_low"] is False and changed.json["csat_enabled"]
    assert service.get("/surveys/settings", token=other.admin_token).json[
        "nps_interval_days"] == 90
    agent = service.patch("/surveys/settings", {"nps_enabled": False},
                          token=tenants.user(tenant, "support_agent"))
    assert agent.status == 403
    for body, field in (({"nps_interval_days": 1}, "nps_interval_days"),
                        ({"link_valid_days": 0}, "link_valid_days"),
                        ({"csat_enabled": "sometimes"}, "csat_enabled"),
                        ({"colour": "red"}, "colour"), ({}, "body")):
        reply = service.patch("/surveys/settings", body, token=tenant.admin_token)
        assert reply.status in (400, 422) and field_of(reply) == field, (body, reply.json)
    restored = service.patch("/surveys/settings", {"nps_interval_days": 90,
                                                   "csat_reopen_on_low": True},
                             token=tenant.admin_token)
    assert restored.status == 200


def test_erasure_strips_comments_and_a_merge_moves_responses(
        service: ApiClient, session: Any, tenant: Tenant, own: dict[str, Any]) -> None:
    fay, gus = (contact(session, tenant, own, f"{n}@example.org") for n in ("fay", "gus"))
    commands(session, tenant)
    answered = {}
    for person in (fay, gus):
        resolved_ticket(service, tenant, own, contact_id=person)
        [command] = commands(session, tenant)
        reply = answer(service, {"token": links(command)["5"], "comment": f"I am {person}"})
        assert reply.status == 201
        answered[person] = reply.json["response_id"]
    settle(own)

    publish(session, tenant, ContactErased(contact_id=fay, erased_at="2026-01-01T00:00:00Z"))
    survivor = new_id("con")
    publish(session, tenant, ContactMerged(contact_id=survivor, merged_ids=[gus], contact={
        "contact_id": survivor, "version": 3, "emails": [{"address": "gus@example.org"}]}))
    settle(own)

    def listed(query: str) -> list[dict[str, Any]]:
        reply = service.get(f"/surveys/responses?{query}&limit=100", token=tenant.admin_token)
        assert reply.status == 200, reply.json
        return list(reply.json["items"])

    assert listed(f"contact_id={fay}") == []
    [erased] = [r for r in listed("") if r["response_id"] == answered[fay]]
    assert erased["comment"] is None and erased["contact_id"] is None and erased["score"] == 5
    assert listed(f"contact_id={gus}") == []
    [moved] = listed(f"contact_id={survivor}")
    assert moved["response_id"] == answered[gus] and moved["comment"] == f"I am {gus}"
