"""Journeys: triggers (an event and a filter over its data), steps run once per
(enrollment, step) by events and the schedule, re-entry rules, stats, commands the contacts
and sales services carry out, and every bad definition named by field."""

from __future__ import annotations

import email
import re
from typing import Any

import pytest

from crm_shared import clock
from tests.api.marketing.helpers import contact, module, sending_tenant, sent_to, template
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.services import load_app

TRACK = re.compile(r"/t/([ocu])/([A-Za-z0-9_-]+)")
IMAGE = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    return sending_tenant(tenants, runtimes, marketing, "Journeys Co")


def tick(runtimes: dict[str, Any]) -> None:
    """The marketing schedules, with marketing's modules loaded (settle leaves another's)."""
    load_app("marketing")
    runtimes["marketing"].tick()


def journey(marketing: ApiClient, tenant: Tenant, steps: list[dict[str, Any]],
            trigger: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    reply = marketing.post("/journeys", {"name": unique("Journey "), "trigger": trigger or {
        "event_type": "JourneyStartRequested"}, "steps": steps, **fields},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def shown(marketing: ApiClient, tenant: Tenant, journey_id: str) -> dict[str, Any]:
    reply = marketing.get(f"/journeys/{journey_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def enrollments(marketing: ApiClient, tenant: Tenant, journey_id: str) -> list[dict[str, Any]]:
    reply = marketing.get(f"/journeys/{journey_id}/enrollments", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


def address(person: dict[str, Any]) -> str:
    return str(person["emails"][0]["address"])


def token_of(raw: Any, kind: str) -> str:
    message = email.message_from_string(raw.raw_data)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    return next(t for k, t in TRACK.findall(html.get_payload(decode=True).decode())
                if k == kind)


def test_a_new_lead_gets_the_message_and_an_opener_is_tagged_and_gets_a_task(
        marketing: ApiClient, contacts: ApiClient, sales: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    tpl = template(marketing, tenant)
    made = journey(marketing, tenant, [
        {"id": "hello", "type": "send_message", "template_id": tpl},
        {"id": "wait_open", "type": "wait_until", "event": "opened", "timeout_hours": 48},
        {"id": "opened", "type": "branch", "condition": "opened", "then": "tag",
         "else": None},
        {"id": "tag", "type": "update_contact", "add_tag": "engaged",
         "lifecycle_stage": "opportunity"},
        {"id": "call", "type": "create_task", "title": "Call the engaged lead",
         "task_type": "call", "due_in_days": 1},
    ], trigger={"event_type": "ContactCreated", "filter": {"filter_groups": [{"filters": [
        {"field": "contact.lifecycle_stage", "operator": "eq", "value": "lead"}]}]}})
    jid = made["journey_id"]
    lead = contact(contacts, tenant, lifecycle_stage="lead")
    other = contact(contacts, tenant, lifecycle_stage="customer")
    settle(runtimes)

    assert len(sent_to(address(lead))) == 1 and not sent_to(address(other))
    [waiting] = enrollments(marketing, tenant, jid)
    assert waiting["contact_id"] == lead["contact_id"] and waiting["status"] == "active"
    assert waiting["step_id"] == "wait_open"

    # the schedule before the deadline: nothing moves, nothing is sent again
    tick(runtimes)
    settle(runtimes)
    assert len(sent_to(address(lead))) == 1

    [raw] = sent_to(address(lead))
    assert marketing.get(f"/t/o/{token_of(raw, 'o')}", headers=IMAGE).status == 200
    settle(runtimes)
    [done] = enrollments(marketing, tenant, jid)
    assert done["status"] == "completed" and done["outcome"] == "completed"
    assert [h.split(":")[0] for h in done["history"]] == [
        "hello", "wait_open", "opened", "tag", "call"]

    person = contacts.get(f"/contacts/{lead['contact_id']}", token=tenant.admin_token).json
    assert "engaged" in person["tags"]
    assert person["lifecycle_stage"] == "opportunity"
    tasks = sales.get(f"/tasks?contact_id={lead['contact_id']}", token=tenant.admin_token)
    assert [t["title"] for t in tasks.json["items"]] == ["Call the engaged lead"], tasks.json

    stats = shown(marketing, tenant, jid)
    assert stats["stats"] == {"enrolled": 1, "completed": 1, "exited": 0}
    assert stats["step_stats"]["hello"] == {"entered": 1, "completed": 1, "exited": 0}
    assert stats["step_stats"]["call"] == {"entered": 1, "completed": 1, "exited": 0}

    # a second run of the finished enrollment changes nothing
    runner = module("chalicelib.journeys.runner")
    assert runner.run(tenant.tenant_id, done["enrollment_id"]) == "completed"
    settle(runtimes)
    assert len(sent_to(address(lead))) == 1
    tasks = sales.get(f"/tasks?contact_id={lead['contact_id']}", token=tenant.admin_token)
    assert len(tasks.json["items"]) == 1

    # paused: new leads no longer enter (the later tests' contacts are leads too)
    paused = marketing.patch(f"/journeys/{jid}", {"status": "paused"}, token=tenant.admin_token)
    assert paused.status == 200 and paused.json["status"] == "paused"
    contact(contacts, tenant, lifecycle_stage="lead")
    settle(runtimes)
    assert len(enrollments(marketing, tenant, jid)) == 1


def test_a_wait_ends_on_the_schedule_and_a_timeout_takes_the_else_branch(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    tpl = template(marketing, tenant)
    made = journey(marketing, tenant, [
        {"id": "pause", "type": "wait", "days": 1},
        {"id": "hello", "type": "send_message", "template_id": tpl},
        {"id": "wait_click", "type": "wait_until", "event": "clicked", "timeout_hours": 2},
        {"id": "clicked", "type": "branch", "condition": "clicked", "then": "done",
         "else": "bye"},
        {"id": "done", "type": "exit"},
        {"id": "bye", "type": "update_contact", "add_tag": "cold"},
    ])
    person = contact(contacts, tenant)
    settle(runtimes)
    entered = marketing.post(f"/journeys/{made['journey_id']}/enrollments",
                             {"contact_id": person["contact_id"]}, token=tenant.admin_token)
    assert entered.status == 200 and entered.json["enrolled"], entered.json
    settle(runtimes)
    tick(runtimes)
    assert not sent_to(address(person))
    clock.advance(86400 + 60)
    try:
        tick(runtimes)
        settle(runtimes)
        assert len(sent_to(address(person))) == 1
        clock.advance(2 * 3600 + 60)
        try:
            tick(runtimes)
            tick(runtimes)
            settle(runtimes)
        finally:
            clock.advance(-2 * 3600 - 60)
    finally:
        clock.advance(-86400 - 60)
    [done] = enrollments(marketing, tenant, made["journey_id"])
    assert done["status"] == "completed", done
    assert done["history"][-2:] == ["clicked:branch:no", "bye"]
    assert len(sent_to(address(person))) == 1
    tags = contacts.get(f"/contacts/{person['contact_id']}", token=tenant.admin_token).json
    assert "cold" in tags["tags"]
    # re-entry "never" (the default): the contact does not enter again
    again = marketing.post(f"/journeys/{made['journey_id']}/enrollments",
                           {"contact_id": person["contact_id"]}, token=tenant.admin_token)
    assert again.status == 200 and again.json == {"enrolled": False, "enrollment": None}


def _won(session: Any, tenant: Tenant, event_id: str, contact_ids: list[str]) -> None:
    put_bus_event(session, "crm.sales", "OpportunityWon", {
        "metadata": {"event_id": event_id, "tenant_id": tenant.tenant_id,
                     "occurred_at": clock.iso(), "schema_version": 1, "actor": "system"},
        "data": {"opportunity_id": "opp_1", "opportunity": {"contact_ids": contact_ids,
                                                           "amount": 10}}})


def test_reentry_rules_and_exactly_once_per_event(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, session: Any,
        runtimes: dict[str, Any]) -> None:
    steps = [{"id": "tag", "type": "update_contact", "add_tag": "won"}]
    always = journey(marketing, tenant, steps, {"event_type": "OpportunityWon"},
                     reentry={"mode": "always"})
    later = journey(marketing, tenant, steps, {"event_type": "OpportunityWon"},
                    reentry={"mode": "after_days", "days": 30})
    never = journey(marketing, tenant, steps, {"event_type": "OpportunityWon"})
    paused = journey(marketing, tenant, steps, {"event_type": "OpportunityWon"},
                     status="paused")
    person = contact(contacts, tenant)
    settle(runtimes)
    ids = [person["contact_id"]]
    _won(session, tenant, unique("evt_won"), ids)
    settle(runtimes)
    _won(session, tenant, "evt_won_same", ids)
    _won(session, tenant, "evt_won_same", ids)  # the same event twice: one entry
    settle(runtimes)
    counts = {name: len(enrollments(marketing, tenant, j["journey_id"]))
              for name, j in (("always", always), ("later", later), ("never", never),
                              ("paused", paused))}
    assert counts == {"always": 2, "later": 1, "never": 1, "paused": 0}
    clock.advance(31 * 86400)
    try:
        _won(session, tenant, unique("evt_won"), ids)
        settle(runtimes)
    finally:
        clock.advance(-31 * 86400)
    assert len(enrollments(marketing, tenant, later["journey_id"])) == 2
    assert len(enrollments(marketing, tenant, never["journey_id"])) == 1
    assert shown(marketing, tenant, always["journey_id"])["step_stats"]["tag"] == {
        "entered": 3, "completed": 3, "exited": 0}

    # a workflow's start_journey names the journey; activating a paused one lets it in
    assert marketing.patch(f"/journeys/{paused['journey_id']}", {"status": "active"},
                           token=tenant.admin_token).status == 200
    put_bus_event(session, "crm.platform", "JourneyStartRequested", {
        "metadata": {"event_id": unique("evt_js"), "tenant_id": tenant.tenant_id,
                     "occurred_at": clock.iso(), "schema_version": 1, "actor": "system"},
        "data": {"run_id": "run_1", "workflow_id": "wf_1", "action_index": 0,
                 "journey_id": paused["journey_id"], "contact_id": person["contact_id"]}})
    settle(runtimes)
    [entered] = enrollments(marketing, tenant, paused["journey_id"])
    assert entered["status"] == "completed"


def test_attribute_branches_read_the_contact(marketing: ApiClient, contacts: ApiClient,
                                            tenant: Tenant, runtimes: dict[str, Any]) -> None:
    made = journey(marketing, tenant, [
        {"id": "vip", "type": "branch", "filter": {"filter_groups": [{"filters": [
            {"field": "title", "operator": "eq", "value": "CEO"}]}]}, "then": "tag",
         "else": None},
        {"id": "tag", "type": "update_contact", "add_tag": "vip"},
    ])
    boss, clerk = contact(contacts, tenant, title="CEO"), contact(contacts, tenant, title="Clerk")
    settle(runtimes)
    for person in (boss, clerk):
        assert marketing.post(f"/journeys/{made['journey_id']}/enrollments",
                              {"contact_id": person["contact_id"]},
                              token=tenant.admin_token).json["enrolled"]
    settle(runtimes)
    outcomes = {e["contact_id"]: e["outcome"]
                for e in enrollments(marketing, tenant, made["journey_id"])}
    assert outcomes == {boss["contact_id"]: "completed", clerk["contact_id"]: "exited"}
    stats = shown(marketing, tenant, made["journey_id"])
    assert stats["stats"] == {"enrolled": 2, "completed": 1, "exited": 1}
    assert stats["step_stats"]["vip"] == {"entered": 2, "completed": 1, "exited": 1}


def test_bad_journeys_name_the_field(marketing: ApiClient, tenant: Tenant) -> None:
    tpl = template(marketing, tenant)
    good = [{"id": "a", "type": "send_message", "template_id": tpl}]
    cases = [
        ({"trigger": {"event_type": "NoSuchEvent"}}, "trigger.event_type"),
        ({"trigger": {"event_type": "TicketCreated"}}, "trigger.event_type"),
        ({"trigger": {"event_type": "FormSubmitted", "filter": {"filter_groups": [
            {"filters": [{"field": "nope", "operator": "eq", "value": 1}]}]}}},
         "trigger.filter.filter_groups[0].filters[0].field"),
        ({"steps": [{"id": "a", "type": "send_message",
                     "template_id": "tpl_01JZZZZZZZZZZZZZZZZZZZZZZZ"}]}, "steps[0].template_id"),
        ({"steps": [{"id": "a", "type": "send_message", "template_id": "x"}]},
         "steps[0].template_id"),
        ({"steps": [*good, {"id": "b", "type": "branch", "condition": "opened",
                            "then": "missing"}]}, "steps[1].then"),
        ({"steps": [*good, {"id": "b", "type": "branch", "condition": "opened",
                            "else": "missing"}]}, "steps[1].else"),
        ({"steps": [{**good[0], "next": "missing"}]}, "steps[0].next"),
        ({"steps": [*good, {"id": "b", "type": "branch"}]}, "steps[1].condition"),
        ({"steps": [*good, good[0]]}, "steps[1].id"),
        ({"steps": [{"id": "w", "type": "wait"}]}, "steps[0].days"),
        ({"steps": [{"id": "u", "type": "update_contact"}]}, "steps[0].add_tag"),
        ({"steps": [{"id": "u", "type": "update_contact", "lifecycle_stage": "mql"}]},
         "steps[0].update_contact.lifecycle_stage"),
        ({"steps": [{"id": "x", "type": "teleport"}]}, "steps[0]"),
        ({"steps": [{**good[0], "colour": "red"}]}, "steps[0].send_message.colour"),
        ({"steps": []}, "steps"),
        ({"reentry": {"mode": "after_days"}}, "reentry.days"),
        ({"reentry": {"mode": "sometimes"}}, "reentry.mode"),
        ({"status": "running"}, "status"),
    ]
    for change, field in cases:
        body = {"name": "Bad", "trigger": {"event_type": "FormSubmitted"}, "steps": good,
                **change}
        reply = marketing.post("/journeys", body, token=tenant.admin_token)
        assert reply.status == 422, (change, reply.json)
        assert any(e["field"].startswith(field) for e in reply.json["errors"]), (
            change, reply.json)


def test_enrollment_input_roles_and_tenants(marketing: ApiClient, contacts: ApiClient,
                                           tenant: Tenant, tenants: Tenants,
                                           runtimes: dict[str, Any]) -> None:
    made = journey(marketing, tenant, [{"id": "x", "type": "exit"}])
    path = f"/journeys/{made['journey_id']}/enrollments"
    for body, field in (({"contact_id": "nope"}, "contact_id"), ({}, "contact_id"),
                        ({"contact_id": "con_01JZZZZZZZZZZZZZZZZZZZZZZZ"}, "contact_id")):
        reply = marketing.post(path, body, token=tenant.admin_token)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == field, reply.json
    other = tenants.create("Journeys Other Co")
    settle(runtimes)
    stranger = contact(contacts, other)
    settle(runtimes)
    crossing = marketing.post(path, {"contact_id": stranger["contact_id"]},
                              token=tenant.admin_token)
    assert crossing.status == 422 and crossing.json["errors"][0]["field"] == "contact_id"
    assert marketing.post(path, {"contact_id": stranger["contact_id"]},
                          token=other.admin_token).status == 404
    assert marketing.get(f"/journeys/{made['journey_id']}", token=other.admin_token
                         ).status == 404
    viewer = tenants.user(tenant, "viewer")
    assert marketing.post("/journeys", {}, token=viewer).status == 403
    assert marketing.get("/journeys", token=viewer).status == 200
    bad_patch = marketing.patch(f"/journeys/{made['journey_id']}", {"status": None},
                                token=tenant.admin_token)
    assert bad_patch.status == 422 and bad_patch.json["errors"][0]["field"] == "status"
    stale = marketing.patch(f"/journeys/{made['journey_id']}", {"name": "x"},
                            token=tenant.admin_token, headers={"If-Match": '"99"'})
    assert stale.status == 412


def test_an_erased_contact_leaves_every_journey(marketing: ApiClient, contacts: ApiClient,
                                               tenant: Tenant,
                                               runtimes: dict[str, Any]) -> None:
    made = journey(marketing, tenant, [
        {"id": "pause", "type": "wait", "hours": 1},
        {"id": "hello", "type": "send_message", "template_id": template(marketing, tenant)},
    ])
    person = contact(contacts, tenant)
    settle(runtimes)
    assert marketing.post(f"/journeys/{made['journey_id']}/enrollments",
                          {"contact_id": person["contact_id"]},
                          token=tenant.admin_token).json["enrolled"]
    settle(runtimes)
    erased = contacts.post(f"/contacts/{person['contact_id']}/erase", token=tenant.admin_token)
    assert erased.status in (200, 202), erased.json
    settle(runtimes)
    [left] = enrollments(marketing, tenant, made["journey_id"])
    assert (left["status"], left["outcome"]) == ("exited", "contact_erased")
    clock.advance(3600 + 60)
    try:
        tick(runtimes)
        settle(runtimes)
    finally:
        clock.advance(-3600 - 60)
    assert not sent_to(address(person))
    assert shown(marketing, tenant, made["journey_id"])["step_stats"]["pause"]["exited"] == 1
