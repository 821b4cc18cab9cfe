"""The event backbone on moto: outbox -> stream -> EventBridge -> SQS -> idempotent consumer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from crm_shared.events import publisher
from tests.support.client import ApiClient, Tenants
from tests.support.events import put_bus_event, queue_depth, settle


def everyone_teams(platform: ApiClient, token: str) -> list[dict[str, Any]]:
    items = platform.get("/teams", token=token).json["items"]
    return [team for team in items if team["name"] == "Everyone"]


def outbox_items(session: Any, tenant_id: str) -> list[dict[str, Any]]:
    """Read the table directly (tests only) to see what is still waiting in the outbox."""
    table = session.resource("dynamodb").Table("crm-test-platform")
    items = table.scan()["Items"]  # a Scan, in a test, to look behind the API
    return [i for i in items if i["PK"].startswith(f"T#{tenant_id}#OUTBOX#")]


@pytest.fixture(autouse=True)
def drained(runtimes: dict[str, Any]) -> None:
    settle(runtimes)


def test_tenant_provisioned_reaches_the_consumer_through_the_bus(
    platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any], session: Any
) -> None:
    tenant = tenants.create()
    assert outbox_items(session, tenant.tenant_id), "the event waits in the outbox"
    assert everyone_teams(platform, tenant.admin_token) == []
    settle(runtimes)
    assert outbox_items(session, tenant.tenant_id) == [], "published events leave the outbox"
    teams = everyone_teams(platform, tenant.admin_token)
    assert len(teams) == 1 and teams[0]["manager_id"] == tenant.admin_user_id


def test_put_events_outage_loses_nothing(
    platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any], session: Any
) -> None:
    client = publisher.events_client()

    def outage(**kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://events.us-east-1.amazonaws.com")

    client.meta.events.register("before-call.events.PutEvents", outage, unique_id="outage")
    try:
        tenant = tenants.create()  # the API answers 201 while the bus is down
        for _ in range(3):
            runtimes["platform"].pump_stream()
        assert outbox_items(session, tenant.tenant_id), "unpublished events stay in the outbox"
        assert everyone_teams(platform, tenant.admin_token) == []
    finally:
        client.meta.events.unregister("before-call.events.PutEvents", unique_id="outage")
    settle(runtimes)
    assert outbox_items(session, tenant.tenant_id) == []
    assert len(everyone_teams(platform, tenant.admin_token)) == 1


def test_partially_refused_put_events_retries_only_the_refused(
    tenants: Tenants, runtimes: dict[str, Any], platform: ApiClient, session: Any
) -> None:
    client = publisher.events_client()
    calls: list[int] = []

    def refuse_first(params: dict[str, Any], **kwargs: Any) -> Any:
        calls.append(len(json.loads(params["body"])["Entries"]))
        if len(calls) == 1:
            return ({"status_code": 200}, {"FailedEntryCount": 1, "Entries": [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
                for _ in params["Entries"]]})
        return None

    client.meta.events.register("before-call.events.PutEvents", refuse_first,
                                unique_id="refuse")
    try:
        tenant = tenants.create()
        settle(runtimes)
    finally:
        client.meta.events.unregister("before-call.events.PutEvents", unique_id="refuse")
    assert len(calls) >= 2
    assert len(everyone_teams(platform, tenant.admin_token)) == 1


def test_an_event_delivered_three_times_is_applied_once(
    platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any], session: Any
) -> None:
    tenant = tenants.create()
    table = session.resource("dynamodb").Table("crm-test-platform")
    outbox = outbox_items(session, tenant.tenant_id)
    detail = json.loads(outbox[0]["detail"])
    settle(runtimes)
    for _ in range(3):
        put_bus_event(session, "crm.platform", "TenantProvisioned", detail)
    settle(runtimes)
    assert len(everyone_teams(platform, tenant.admin_token)) == 1
    assert table  # the marker is what made the repeats no-ops


def test_poison_message_reaches_the_dlq_after_five_receives_without_blocking(
    platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any], session: Any,
    aws: dict[str, Any], caplog: pytest.LogCaptureFixture,
) -> None:
    queues = aws["services"]["platform"]
    put_bus_event(session, "crm.platform", "TenantProvisioned", {"metadata": "garbage"})
    tenant = tenants.create()
    runtime = runtimes["platform"]
    runtime.pump_stream()
    runtime.pump_queue()
    assert len(everyone_teams(platform, tenant.admin_token)) == 1, "the good event went through"
    for _ in range(6):
        runtime.pump_queue()
    assert queue_depth(session, queues["queue_url"]) == 0
    dlq = session.client("sqs").receive_message(QueueUrl=queues["dlq_url"],
                                                MaxNumberOfMessages=10,
                                                AttributeNames=["All"])["Messages"]
    assert len(dlq) == 1 and "garbage" in dlq[0]["Body"]
    assert "unreadable event" in caplog.text
    session.client("sqs").delete_message(QueueUrl=queues["dlq_url"],
                                         ReceiptHandle=dlq[0]["ReceiptHandle"])


def test_a_batch_of_ten_with_two_failures_retries_only_those_two(
    tenants: Tenants, runtimes: dict[str, Any], session: Any, aws: dict[str, Any]
) -> None:
    from tests.support.services import load_app

    good = []
    for _ in range(8):
        tenant = tenants.create()
        good.append(tenant)
    runtime = runtimes["platform"]
    settle_stream_only = [runtime.pump_stream() for _ in range(3)]
    assert sum(settle_stream_only) >= 8
    put_bus_event(session, "crm.platform", "TenantProvisioned", {"metadata": "bad-1"})
    put_bus_event(session, "crm.platform", "TenantProvisioned", {"metadata": "bad-2"})
    module = load_app("platform")
    sqs = session.client("sqs")
    url = aws["services"]["platform"]["queue_url"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 10
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"], "attributes": {}, "messageAttributes": {},
                "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": aws["services"]["platform"]["queue_arn"],
                "awsRegion": "us-east-1"} for m in messages]
    result = module.handle_events({"Records": records}, None)
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    bad = {m["MessageId"] for m in messages if "bad-" in m["Body"]}
    assert failed == bad and len(failed) == 2
    for message in messages:
        if message["MessageId"] in failed:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    for _ in range(7):
        runtime.pump_queue()
    dlq = sqs.receive_message(QueueUrl=aws["services"]["platform"]["dlq_url"],
                              MaxNumberOfMessages=10)["Messages"]
    assert len(dlq) == 2
    for message in dlq:
        sqs.delete_message(QueueUrl=aws["services"]["platform"]["dlq_url"],
                           ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def probe(session: Any) -> Iterator[str]:
    """A test subscriber: every contacts event on the bus lands in this queue."""
    sqs, events = session.client("sqs"), session.client("events")
    url = sqs.create_queue(QueueName="crm-test-probe-contacts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events.put_rule(Name="crm-test-probe-contacts", EventBusName="crm-test",
                    EventPattern=json.dumps({"source": ["crm.contacts"]}))
    events.put_targets(Rule="crm-test-probe-contacts", EventBusName="crm-test",
                       Targets=[{"Id": "probe", "Arn": arn}])
    yield url
    events.remove_targets(Rule="crm-test-probe-contacts", EventBusName="crm-test", Ids=["probe"])
    events.delete_rule(Name="crm-test-probe-contacts", EventBusName="crm-test")
    sqs.delete_queue(QueueUrl=url)


def probed(session: Any, url: str) -> list[dict[str, Any]]:
    sqs = session.client("sqs")
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        for message in batch:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_contact_created_during_a_bus_outage_is_answered_and_its_event_delivered_once(
    contacts: ApiClient, tenants: Tenants, runtimes: dict[str, Any], session: Any, probe: str
) -> None:
    tenant = tenants.create()
    settle(runtimes)
    probed(session, probe)
    client = publisher.events_client()

    def outage(**kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://events.us-east-1.amazonaws.com")

    client.meta.events.register("before-call.events.PutEvents", outage, unique_id="outage2")
    try:
        created = contacts.post("/contacts", {"first_name": "Outage"}, token=tenant.admin_token)
        assert created.status == 201, created.json
        for _ in range(3):
            runtimes["contacts"].pump_stream()
        assert probed(session, probe) == []
    finally:
        client.meta.events.unregister("before-call.events.PutEvents", unique_id="outage2")
    settle(runtimes)
    delivered = [e for e in probed(session, probe) if e["detail-type"] == "ContactCreated"]
    assert [e["detail"]["data"]["contact_id"] for e in delivered] == [created.json["contact_id"]]
