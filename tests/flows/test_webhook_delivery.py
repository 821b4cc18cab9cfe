"""Webhook deliveries end to end: real HTTP to a loopback receiver that verifies every
signature with the shipped `verify`, retries that wait on SQS visibility while the clock
moves, the 24 h limit and the DLQ, auto-disable, and a replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.events.automation_events import WebhookCallRequested
from crm_shared.events.envelope import envelope_for
from crm_shared.webhook_signature import verify
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle
from tests.support.makers.webhooks import Receiver, receiver
from tests.support.makers.workflows import make_workflow, runs_of

CHECKED: set[int] = set()


@pytest.fixture(scope="module", autouse=True)
def sqs_follows_the_clock() -> Iterator[None]:
    """moto's SQS keeps visibility on the wall clock; make it read crm_shared.clock, so
    moving time makes a waiting retry visible, as the passing hours would."""
    from moto.sqs import models

    real = models.unix_time_millis

    def shifted(*args: Any) -> float:
        offset = (clock.now() - datetime.now(UTC)).total_seconds() * 1000
        return float(real(*args)) + offset

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models, "unix_time_millis", shifted)
        yield


@pytest.fixture(scope="module")
def hooks() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    found = tenants.create("Flow")
    settle(runtimes)
    return found


def subscribe(platform: ApiClient, tenant: Tenant, url: str) -> dict[str, Any]:
    reply = platform.post("/webhooks", {"url": url, "event_types": ["ContactCreated"]},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def verified(hooks: Receiver, secret: str, event_id: str) -> list[int]:
    """How many deliveries of the event arrived, each checked as a receiver would."""
    got = hooks.of_event(event_id)
    for one in got:
        if id(one) not in CHECKED:  # checked on arrival, as the receiver does
            assert verify(one.headers["X-CRM-Signature"], one.body, [secret],
                          now=clock.now().timestamp())
            CHECKED.add(id(one))
    return [len(got)]


def delivery(platform: ApiClient, tenant: Tenant, webhook_id: str) -> dict[str, Any]:
    [found] = platform.get(f"/webhooks/{webhook_id}/deliveries",
                           token=tenant.admin_token).json["items"]
    return dict(found)


def test_retries_with_backoff_then_delivers_once_and_replays(
        platform: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        hooks: Receiver) -> None:
    hook = subscribe(platform, tenant, hooks.url)
    hooks.answers[:] = [500, 503]
    made = contacts.post("/contacts", {"first_name": "Retry", "last_name": "Me"},
                         token=tenant.admin_token)
    assert made.status == 201
    settle(runtimes)
    first = delivery(platform, tenant, hook["webhook_id"])
    event_id = first["event_id"]
    assert verified(hooks, hook["secret"], event_id) == [1]
    assert first["status"] == "pending" and first["attempt_count"] == 1
    settle(runtimes)  # the retry waits a minute: nothing moves
    assert verified(hooks, hook["secret"], event_id) == [1]
    clock.advance(61)
    settle(runtimes)
    assert verified(hooks, hook["secret"], event_id) == [2]  # 503: next in 2 minutes
    clock.advance(60)
    settle(runtimes)
    assert verified(hooks, hook["secret"], event_id) == [2]
    clock.advance(61)
    settle(runtimes)
    done = delivery(platform, tenant, hook["webhook_id"])
    assert verified(hooks, hook["secret"], event_id) == [3]
    assert done["status"] == "delivered" and done["attempt_count"] == 3
    assert [a["response_code"] for a in done["attempts"]] == [500, 503, 200]
    clock.advance(3600)
    settle(runtimes)
    assert verified(hooks, hook["secret"], event_id) == [3]  # never again by itself
    replay = platform.post(f"/webhooks/{hook['webhook_id']}/deliveries/"
                           f"{done['delivery_id']}/replay", token=tenant.admin_token)
    assert replay.status == 202 and replay.json["replay_of"] == done["delivery_id"]
    settle(runtimes)
    assert verified(hooks, hook["secret"], event_id) == [4]  # the same X-CRM-Event-Id
    platform.delete(f"/webhooks/{hook['webhook_id']}", token=tenant.admin_token)


def test_a_receiver_down_for_24_hours_ends_in_the_dlq(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, runtimes: dict[str, Any],
        hooks: Receiver, session: Any) -> None:
    tenant = tenants.create("Down")
    settle(runtimes)
    hook = subscribe(platform, tenant, hooks.url + "/down")
    hooks.default = 500
    try:
        contacts.post("/contacts", {"first_name": "Never", "last_name": "There"},
                      token=tenant.admin_token)
        settle(runtimes)
        for _ in range(40):  # step through every backoff until the 24 h are over
            clock.advance(12 * 3600 if _ > 10 else 2 ** _ * 60 + 1)
            settle(runtimes)
            if delivery(platform, tenant, hook["webhook_id"])["status"] != "pending":
                break
    finally:
        hooks.default = 200
    done = delivery(platform, tenant, hook["webhook_id"])
    assert done["status"] == "failed" and done["error"] == "no successful attempt within 24 hours"
    assert 10 <= done["attempt_count"] <= 15
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName="crm-test-platform-webhooks-dlq")["QueueUrl"]
    parked = [json.loads(m["Body"]) for m in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert {"tenant_id": tenant.tenant_id, "webhook_id": hook["webhook_id"],
            "delivery_id": done["delivery_id"]} in parked


def test_410_disables_at_once_and_n_failures_disable(
        platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any],
        hooks: Receiver) -> None:
    tenant = tenants.create("Gone")
    settle(runtimes)
    gone = subscribe(platform, tenant, hooks.url + "/gone")
    hooks.answers[:] = [410]
    platform.post(f"/webhooks/{gone['webhook_id']}/ping", token=tenant.admin_token)
    settle(runtimes)
    read = platform.get(f"/webhooks/{gone['webhook_id']}", token=tenant.admin_token).json
    assert read["enabled"] is False and "410" in read["disabled_reason"]
    assert platform.post(f"/webhooks/{gone['webhook_id']}/ping",
                         token=tenant.admin_token).status == 409
    assert platform.request("PUT", "/webhooks/settings", {"disable_after_failures": 2},
                            token=tenant.admin_token).status == 200
    failing = subscribe(platform, tenant, hooks.url + "/failing")
    hooks.answers[:] = [500, 500]
    platform.post(f"/webhooks/{failing['webhook_id']}/ping", token=tenant.admin_token)
    settle(runtimes)
    clock.advance(61)
    settle(runtimes)
    read = platform.get(f"/webhooks/{failing['webhook_id']}", token=tenant.admin_token).json
    assert read["enabled"] is False and read["disabled_reason"] == (
        "2 consecutive failed deliveries")
    again = platform.patch(f"/webhooks/{failing['webhook_id']}", {"enabled": True},
                           token=tenant.admin_token)
    assert again.status == 200 and again.json["enabled"] is True


def test_a_workflow_calls_a_webhook_once_signed_and_masked(
        platform: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        hooks: Receiver, session: Any) -> None:
    hook = platform.post("/webhooks", {"url": hooks.url + "/workflow",
                                       "event_types": ["ContractRenewed"]},
                         token=tenant.admin_token).json
    flow = make_workflow(platform, tenant.admin_token, "ContactCreated", [
        {"type": "call_webhook", "webhook_id": hook["webhook_id"]}],
        [{"filters": [{"field": "contact.last_name", "operator": "eq", "value": "Called"}]}])
    made = contacts.post("/contacts", {"first_name": "Wf", "last_name": "Called",
                                       "phones": [{"number": "+14155550199"}]},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["status"] == "completed", run
    assert run["actions"][0]["result"]["webhook_id"] == hook["webhook_id"]
    [got] = [r for r in hooks.received if r.path == "/hook/workflow"]
    assert verify(got.headers["X-CRM-Signature"], got.body, [hook["secret"]],
                  now=clock.now().timestamp())
    assert got.headers["X-CRM-Key-Id"] == hook["key_id"]
    assert got.json["type"] == "ContactCreated" == got.headers["X-CRM-Event-Type"]
    contact = got.json["data"]["contact"]
    assert contact["contact_id"] == made.json["contact_id"]
    assert "phones" not in contact, "masked with the webhook's role (viewer)"
    # the call delivered twice on the bus, and requested again under a new event id
    call = WebhookCallRequested(run_id=run["run_id"], workflow_id=flow["workflow_id"],
                                action_index=0, webhook_id=hook["webhook_id"],
                                event_type="ContactCreated", payload=got.json["data"])
    detail = envelope_for(call, tenant.tenant_id, "system:test").model_dump(mode="json")
    again = envelope_for(call, tenant.tenant_id, "system:test").model_dump(mode="json")
    for body in (detail, detail, again):
        put_bus_event(session, "crm.platform", "WebhookCallRequested", body)
    settle(runtimes)
    assert len([r for r in hooks.received if r.path == "/hook/workflow"]) == 1
    assert delivery(platform, tenant, hook["webhook_id"])["status"] == "delivered"
    platform.delete(f"/workflows/{flow['workflow_id']}", token=tenant.admin_token)
    platform.delete(f"/webhooks/{hook['webhook_id']}", token=tenant.admin_token)


@pytest.mark.parametrize("action, field, message", [
    ({"url": "https://10.0.0.7/in"}, "url", "private"),
    ({"url": "https://93.184.216.34/unregistered"}, "url", "no enabled webhook"),
    ({"webhook_id": "web_01J00000000000000000000000"}, "webhook_id", "no such webhook"),
])
def test_a_call_nothing_can_sign_or_reach_fails_the_run_naming_the_field(
        platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any],
        action: dict[str, Any], field: str, message: str) -> None:
    tenant = tenants.create("Calls")
    settle(runtimes)
    flow = make_workflow(platform, tenant.admin_token, "TeamChanged",
                         [{"type": "call_webhook", **action}])
    made = platform.post("/teams", {"name": "Callers"}, token=tenant.admin_token)
    assert made.status == 201, made.json
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["status"] == "failed", run
    error = run["actions"][0]["error"]
    assert [e["field"] for e in error["errors"]] == [field]
    assert message in error["errors"][0]["message"], error
