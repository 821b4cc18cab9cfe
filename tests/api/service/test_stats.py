"""Service metrics from aggregates the consumer keeps: volume, business-time averages and
p90, SLA attainment, first-contact resolution, reopen rate, backlog, CSAT and NPS answered
through the real survey links; redelivery-safe."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.events.contacts_events import ContactCreated
from crm_shared.events.envelope import envelope_for
from crm_shared.events.service_events import TicketUpdated
from crm_shared.ids import new_id
from crm_shared.messaging import MessageCommand
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle

ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
LINK = re.compile(r"^(\d+): \S+\?token=([A-Za-z0-9_-]+)$", re.M)
ABOUT = re.compile(r"\(ticket (tkt_[0-9A-Z]+)\)")


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


def survey_links(session: Any, tenant: Tenant) -> list[tuple[MessageCommand, dict[str, str]]]:
    """The tenant's survey messages on marketing's queue (taken off it), each with its
    one-click tokens by score."""
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName="crm-test-marketing-messages")["QueueUrl"]
    found = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in got:
            command = MessageCommand.model_validate_json(message["Body"])
            if command.tenant_id == tenant.tenant_id:
                found.append((command, dict(LINK.findall(command.text or ""))))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def redeliver_answers(session: Any, queue_url: str) -> int:
    """Put a second copy of each SurveyResponded waiting on the service's queue (an SQS
    redelivery: the same event id twice); returns how many."""
    sqs = session.client("sqs")
    copied = 0
    for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       VisibilityTimeout=0).get("Messages", []):
        if json.loads(message["Body"]).get("detail-type") == "SurveyResponded":
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"])
            copied += 1
    return copied


def by_key(found: dict[str, Any], metric: str) -> dict[str, Any]:
    return {g["key"]: g[metric] for g in found["groups"]}


def test_csat_answers_count_with_their_tickets_once(
        service: ApiClient, session: Any, tenant: Tenant, runtimes: dict[str, Any],
        aws: dict[str, Any]) -> None:
    token, own = tenant.admin_token, {"service": runtimes["service"]}
    settle(runtimes)
    survey_links(session, tenant)  # whatever came before
    made = {}
    for channel, email in (("email", "ana@example.org"), ("phone", "bob@example.org")):
        ticket = service.post("/tickets", {
            "subject": f"csat {channel}", "channel": channel,
            "assignee_id": tenant.admin_user_id,
            "properties": {"requester_email": email}}, token=token).json
        made[channel] = ticket["ticket_id"]
        resolved = service.patch(f"/tickets/{ticket['ticket_id']}", {"status": "resolved"},
                                 token=token)
        assert resolved.status == 200, resolved.json
    settle(own)  # the service only: marketing must not take the messages first
    tokens = {ABOUT.findall(c.text or "")[0]: t for c, t in survey_links(session, tenant)}
    assert sorted(tokens) == sorted(made.values())

    happy = service.post("/surveys/responses", {"token": tokens[made["email"]]["5"]})
    assert happy.status == 201, happy.json
    settle(own)
    meh = service.post("/surveys/responses", {"token": tokens[made["phone"]]["3"]})
    assert meh.status == 201, meh.json
    own["service"].pump_stream()  # the answer's event onto the queue ...
    assert redeliver_answers(session, aws["services"]["service"]["queue_url"]) == 1
    settle(own)  # ... delivered twice: counted once

    found = stats(service, token)
    [whole] = found["groups"]
    assert found["aggregates_read"] == 1  # the answers joined their tickets' day
    assert whole["csat"] == {"count": 2, "average": 4.0, "satisfied_percent": 50.0}
    assert whole["nps"] == {"count": 0, "promoters": 0, "detractors": 0, "score": None}
    channels = by_key(stats(service, token, "group_by=channel"), "csat")
    assert channels["email"] == {"count": 1, "average": 5.0, "satisfied_percent": 100.0}
    assert channels["phone"] == {"count": 1, "average": 3.0, "satisfied_percent": 0.0}
    assert by_key(stats(service, token, "group_by=agent"), "csat")[
        tenant.admin_user_id]["count"] == 2

    # the answers are part of their tickets' contribution: they move with a reassignment,
    # and a later ticket change keeps them
    service.patch(f"/tickets/{made['email']}", {"assignee_id": None}, token=token)
    settle(own)
    agents = by_key(stats(service, token, "group_by=agent"), "csat")
    assert agents[tenant.admin_user_id] == {"count": 1, "average": 3.0,
                                            "satisfied_percent": 0.0}
    assert agents["none"]["count"] == 1 and agents["none"]["average"] == 5.0
    assert stats(service, token)["groups"][0]["csat"] == whole["csat"]


def test_nps_answers_count_on_their_day_under_none(
        service: ApiClient, session: Any, tenant: Tenant, runtimes: dict[str, Any]) -> None:
    token, own, runtime = tenant.admin_token, {"service": runtimes["service"]}, \
        runtimes["service"]
    people = {}
    for name, score in (("eve", "10"), ("fay", "9"), ("gus", "3")):
        contact_id = new_id("con")
        event = ContactCreated(contact_id=contact_id, contact={
            "contact_id": contact_id, "version": 1,
            "emails": [{"address": f"{name}@example.org"}]})
        put_bus_event(session, event.source, event.detail_type(),
                      envelope_for(event, tenant.tenant_id, "system").model_dump(mode="json"))
        people[contact_id] = score
    settle(own)
    survey_links(session, tenant)
    clock.advance(91 * 86400)  # their first NPS survey falls due
    try:
        runtime.tick()
        settle(own)
        sent = {c.to_contact_id: t for c, t in survey_links(session, tenant)
                if c.variables.get("kind") == "nps"}
        assert sorted(sent) == sorted(people)
        for contact_id, score in people.items():
            reply = service.post("/surveys/responses", {"token": sent[contact_id][score]})
            assert reply.status == 201, reply.json
        settle(own)
        [whole] = stats(service, token)["groups"]  # today's: the detractor's follow-up
        assert whole["nps"] == {"count": 3, "promoters": 2, "detractors": 1,
                                "score": round(100 / 3, 2)}
        assert whole["csat"]["count"] == 0
        channels = stats(service, token, "group_by=channel")
        assert by_key(channels, "nps")["none"] == whole["nps"]
        assert by_key(channels, "volume") == {"email": 1, "none": 0}  # the follow-up
    finally:
        clock.reset()
