"""Campaign counters are added once per send batch, not per recipient: a recipient's
transactions write only its own items (no hot campaign or channel-totals item under
concurrent senders), and a batch adds what its recipients' final records say, once,
whatever redelivers it, duplicates it or kills it midway.

The planner's send batches are held here instead of queued, and handed to the sends
function (`handle_sends`' processor) as SQS would: the same message again (same owner), or
a duplicate message (another owner)."""

from __future__ import annotations

import json
from typing import Any

import botocore.client
import pytest

from tests.api.marketing.helpers import (
    launch_to,
    module,
    sending_tenant,
    sent_to,
    ses_sent,
    written_key,
)
from tests.support.client import ApiClient, Tenant, Tenants


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    return sending_tenant(tenants, runtimes, marketing, "Counting Co")


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The send batches the planner queues, kept for the test to deliver."""
    planner = module("chalicelib.campaigns.planner")
    kept: list[dict[str, Any]] = []
    monkeypatch.setattr(planner, "_queue_sends",
                        lambda messages, delays: kept.extend(messages))
    return kept


def deliver(message: dict[str, Any], owner: str, receives: int = 1) -> bool:
    """The sends function on one SQS record; False when the record failed."""
    batches = module("chalicelib.delivery.batches")
    record = {"messageId": owner, "receiptHandle": f"handle-{owner}",
              "body": json.dumps(message), "messageAttributes": {}, "md5OfBody": "",
              "attributes": {"ApproximateReceiveCount": str(receives)},
              "eventSource": "aws:sqs", "awsRegion": "us-east-1",
              "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:crm-test-marketing-sends"}
    try:
        result = batches.process_sends({"Records": [record]})
    except Exception:  # noqa: BLE001 - powertools raises when every record failed
        return False
    return not result.get("batchItemFailures")


def counters(marketing: ApiClient, tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    got = marketing.get(f"/campaigns/{campaign_id}", token=tenant.admin_token).json
    stats = got["stats"]
    return {"status": got["status"], "sent": stats["sent"], "skipped": stats["skipped"],
            "failed": stats["failed"], "uncertain": stats["uncertain"]}


def channel_sent(marketing: ApiClient, tenant: Tenant) -> int:
    reply = marketing.get("/campaigns/stats?group_by=channel", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return int(((reply.json.get("channels") or {}).get("email") or {}).get("sent") or 0)


def test_a_redelivered_or_duplicated_batch_counts_nothing_twice(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        held: list[dict[str, Any]]) -> None:
    totals = channel_sent(marketing, tenant)
    addresses, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 4, denied=(2,))
    [message] = held
    done = {"status": "sent", "sent": 3, "skipped": 1, "failed": 0, "uncertain": 0}

    assert deliver(message, "first")
    assert counters(marketing, tenant, campaign_id) == done
    assert channel_sent(marketing, tenant) == totals + 3
    assert deliver(message, "first", receives=2)  # the same message again
    assert deliver(message, "duplicate")  # the planner queued it twice
    assert counters(marketing, tenant, campaign_id) == done
    assert channel_sent(marketing, tenant) == totals + 3
    assert [len(sent_to(a)) for a in addresses] == [1, 1, 0, 1]


def test_a_batch_killed_midway_counts_each_recipient_once_when_redelivered(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        held: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    totals = channel_sent(marketing, tenant)
    addresses, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 6, denied=(1, 4))
    [message] = held
    sender_module = module("chalicelib.delivery.sender")
    real, calls = sender_module.deliver, {"n": 0}

    def killed_at_the_fourth(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the process was killed")  # 2 sent, 1 skipped before
        return str(real(*args, **kwargs))

    monkeypatch.setattr(sender_module, "deliver", killed_at_the_fourth)
    assert not deliver(message, "first")
    assert [len(sent_to(a)) for a in addresses] == [1, 0, 1, 0, 0, 0]
    # nothing is counted before the batch is done
    assert counters(marketing, tenant, campaign_id) == {
        "status": "sending", "sent": 0, "skipped": 0, "failed": 0, "uncertain": 0}
    assert channel_sent(marketing, tenant) == totals

    assert deliver(message, "first", receives=2)  # what the first attempt did counts too
    done = {"status": "sent", "sent": 4, "skipped": 2, "failed": 0, "uncertain": 0}
    assert counters(marketing, tenant, campaign_id) == done
    assert channel_sent(marketing, tenant) == totals + 4
    assert deliver(message, "duplicate") and deliver(message, "first", receives=3)
    assert counters(marketing, tenant, campaign_id) == done
    assert channel_sent(marketing, tenant) == totals + 4
    assert [len(sent_to(a)) for a in addresses] == [1, 0, 1, 1, 0, 1]


def test_a_batch_waits_for_a_recipient_another_attempt_holds(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        held: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first attempt dies inside SES's window on the second recipient (its claim stays);
    a duplicate message cannot count that recipient yet, so it is not done; the first
    message's redelivery marks it uncertain and counts the whole batch once."""
    addresses, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 4)
    [message] = held
    providers = module("chalicelib.delivery.providers")
    real, calls = providers.ses(), {"n": 0}

    class DiesAfterSending:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def send_raw_email(self, **kw: Any) -> Any:
            calls["n"] += 1
            answer = real.send_raw_email(**kw)
            if calls["n"] == 2:
                raise RuntimeError("killed after SES accepted, before the record")
            return answer

    monkeypatch.setattr(providers, "ses", lambda: DiesAfterSending())
    assert not deliver(message, "first")
    assert not deliver(message, "duplicate")  # sends the last two, then waits
    assert [len(sent_to(a)) for a in addresses] == [1, 1, 1, 1]
    assert counters(marketing, tenant, campaign_id)["status"] == "sending"
    assert counters(marketing, tenant, campaign_id)["sent"] == 0

    assert deliver(message, "first", receives=2)
    assert counters(marketing, tenant, campaign_id) == {
        "status": "sent", "sent": 3, "skipped": 0, "failed": 0, "uncertain": 1}
    assert deliver(message, "duplicate", receives=2)
    assert counters(marketing, tenant, campaign_id)["sent"] == 3
    assert [len(sent_to(a)) for a in addresses] == [1, 1, 1, 1]


def test_a_recipients_transactions_write_only_its_own_items(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No per-recipient transaction touches the campaign's item or the channel's totals
    (hot items under concurrent senders); one transaction per batch does."""
    transactions: list[list[tuple[str, str]]] = []
    real = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            transactions.append([written_key(item) for item in params["TransactItems"]])
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    before = len(ses_sent())
    _, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 3, denied=(0,))
    assert len(ses_sent()) - before == 2

    prefix = f"T#{tenant.tenant_id}#"
    sends_pk = f"{prefix}CAMPAIGN_SENDS#{campaign_id}"
    own = (sends_pk, f"{prefix}OUTBOX#", "T#_system#PROVIDER_MESSAGE#")
    per_recipient = [t for t in transactions if any(pk == sends_pk for pk, _ in t)]
    assert len(per_recipient) == 1 + 2 * 2  # a skip; a claim and a mark for each sent
    for keys in per_recipient:
        assert all(pk.startswith(own) for pk, _ in keys), keys

    campaign_key = (f"{prefix}CAMPAIGN#{campaign_id}", "CAMPAIGN")
    [counted] = [t for t in transactions if any(sk.startswith("BATCH#") for _, sk in t)]
    assert campaign_key in counted and any(sk == "CHANNEL#email" for _, sk in counted)
    assert len(counted) == 3, counted  # the marker, the campaign's counters, the totals
    assert counters(marketing, tenant, campaign_id) == {
        "status": "sent", "sent": 2, "skipped": 1, "failed": 0, "uncertain": 0}


def test_a_batch_retries_its_count_when_dynamodb_reports_a_transaction_conflict(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        held: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches still meet on the campaign's item, once each: DynamoDB cancels one of two
    concurrent transactions (TransactionConflict; moto never does), and it is tried again."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    _, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 2)
    [message] = held
    store = module("chalicelib.campaigns.repository")
    real, conflicts = store.unit_of_work, {"n": 0}

    def conflicting() -> Any:
        uow = real()
        commit = uow.commit

        def once() -> None:
            if conflicts["n"] == 0:
                conflicts["n"] += 1
                reasons = [None, CancellationReason("TransactionConflict"), None]
                raise TransactWriteError("cancelled", cause=VerboseClientError(
                    {"Error": {"Code": "TransactionCanceledException"}}, "TransactWriteItems",
                    cancellation_reasons=reasons))
            commit()

        uow.commit = once
        return uow

    monkeypatch.setattr(store, "unit_of_work", conflicting)
    assert deliver(message, "first")
    assert conflicts["n"] == 1
    assert counters(marketing, tenant, campaign_id) == {
        "status": "sent", "sent": 2, "skipped": 0, "failed": 0, "uncertain": 0}
