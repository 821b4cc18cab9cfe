"""Feedback and tracking count on sharded counters: a campaign's ~100,000 concurrent
delivery notifications, opens and clicks each add to one of several counter-shard items
(and channel-totals shards), each its own partition, chosen by a stable hash of the message,
instead of all writing the one campaign item and the one channel item in their
transactions. Counts stay exact and exactly once (the condition on the send record is
unchanged); a campaign read is still one DynamoDB call (BatchGetItem of the campaign and
its shards) and sums them, with whatever counters older campaigns kept on their item."""

from __future__ import annotations

import email
import re
from collections import Counter
from typing import Any

import botocore.client
import botocore.exceptions
import pytest

from tests.api.marketing.helpers import (
    campaign,
    contact,
    launch_to,
    module,
    sending_tenant,
    sent_to,
    static_list,
    template,
    written_key,
)
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle

TRACK = re.compile(r"/t/([ocu])/([A-Za-z0-9_-]+)")
IMAGE = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}
PEOPLE = 24


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    return sending_tenant(tenants, runtimes, marketing, "Shards Co")


@pytest.fixture(scope="module")
def sent(marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
         runtimes: dict[str, Any]) -> tuple[str, list[Any]]:
    """A campaign sent to PEOPLE people: its id and each one's raw email."""
    addresses, campaign_id = launch_to(marketing, contacts, tenant, runtimes, PEOPLE)
    return campaign_id, [sent_to(address)[0] for address in addresses]


def tokens(raw: Any, kind: str) -> list[str]:
    message = email.message_from_string(raw.raw_data)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    payload = html.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return [t for k, t in TRACK.findall(payload.decode()) if k == kind]


def feedback(kind: str, raw: Any) -> str:
    notification: dict[str, Any] = {"notificationType": kind, "mail": {"messageId": raw.id}}
    if kind == "Bounce":
        notification["bounce"] = {"bounceType": "Transient"}
    return str(module("chalicelib.delivery.feedback").handle(notification))


def stats(marketing: ApiClient, tenant: Tenant, campaign_id: str) -> dict[str, int]:
    reply = marketing.get(f"/campaigns/{campaign_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return {k: reply.json["stats"][k] for k in ("sent", "delivered", "bounced", "opened",
                                                 "clicked", "unsubscribed")}


def channel(marketing: ApiClient, tenant: Tenant) -> dict[str, int]:
    reply = marketing.get("/campaigns/stats?group_by=channel", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    row = reply.json["channels"]["email"]
    return {k: row[k] for k in ("sent", "delivered", "bounced", "unique_opens",
                                "unique_clicks")}


def shard_values(tenant: Tenant, campaign_id: str, name: str) -> list[int]:
    """The counter `name` on each of the campaign's shard items (0 where none exists)."""
    repo = module("chalicelib.campaigns.repository")
    models = module("chalicelib.campaigns.models")
    keys = [(repo._shard_pk(tenant.tenant_id, campaign_id, n), repo.COUNTERS)
            for n in range(repo.COUNTER_SHARDS)]
    found = repo.batch_raw(keys, consistent=True)
    return [int(getattr(models.CampaignCountersItem.from_raw_data(found[k]), name) or 0)
            if k in found else 0 for k in keys]


def test_shards_are_stable_and_spread() -> None:
    repo = module("chalicelib.campaigns.repository")
    ids = [f"msg_{n:04d}" for n in range(2000)]
    first = [repo.shard_of(i) for i in ids]
    assert first == [repo.shard_of(i) for i in ids]  # the same message, the same shard
    spread = Counter(first)
    assert set(spread) == set(range(repo.COUNTER_SHARDS))
    assert max(spread.values()) < 2 * len(ids) / repo.COUNTER_SHARDS


def test_counts_are_exact_over_shards_and_once_per_message(
        marketing: ApiClient, tenant: Tenant, sent: tuple[str, list[Any]]) -> None:
    campaign_id, raws = sent
    before = channel(marketing, tenant)
    delivered, bounced = raws[:20], raws[20:]
    assert {feedback("Delivery", raw) for raw in delivered} == {"delivered"}
    assert {feedback("Bounce", raw) for raw in bounced} == {"bounced"}
    for raw in raws[:15]:
        assert marketing.get(f"/t/o/{tokens(raw, 'o')[0]}", headers=IMAGE).status == 200
    for raw in raws[:9]:
        assert marketing.get(f"/t/c/{tokens(raw, 'c')[0]}").status == 302
    expected = {"sent": PEOPLE, "delivered": 20, "bounced": 4, "opened": 15, "clicked": 9,
                "unsubscribed": 0}
    assert stats(marketing, tenant, campaign_id) == expected
    values = shard_values(tenant, campaign_id, "delivered")
    assert sum(values) == 20 and sum(1 for v in values if v) > 1  # spread over shards
    moved = channel(marketing, tenant)
    assert {k: moved[k] - before[k] for k in moved} == {
        "sent": 0, "delivered": 20, "bounced": 4, "unique_opens": 15, "unique_clicks": 9}

    # SES redelivers notifications; recipients reopen, click other links, reload
    assert {feedback("Delivery", raw) for raw in delivered} == {"duplicate"}
    assert {feedback("Bounce", raw) for raw in bounced} == {"duplicate"}
    for raw in raws[:15]:
        assert marketing.get(f"/t/o/{tokens(raw, 'o')[0]}", headers=IMAGE).status == 200
    for raw in raws[:9]:
        for link in tokens(raw, "c"):
            assert marketing.get(f"/t/c/{link}").status == 302
    assert stats(marketing, tenant, campaign_id) == expected
    assert channel(marketing, tenant) == moved
    listed = marketing.get("/campaigns", token=tenant.admin_token).json["items"]
    [row] = [c for c in listed if c["campaign_id"] == campaign_id]
    assert {k: row["stats"][k] for k in expected} == expected  # lists sum the shards too


def test_a_campaign_read_is_one_dynamodb_call(
        marketing: ApiClient, tenant: Tenant, sent: tuple[str, list[Any]],
        dynamo_calls: Counter[str]) -> None:
    campaign_id, raws = sent
    feedback("Delivery", raws[0])
    dynamo_calls.clear()
    reply = marketing.get(f"/campaigns/{campaign_id}", token=tenant.admin_token)
    assert reply.status == 200 and reply.json["stats"]["delivered"] >= 1
    assert dynamo_calls == Counter({"BatchGetItem": 1})
    dynamo_calls.clear()
    assert marketing.get(f"/campaigns/{campaign_id}/stats",
                         token=tenant.admin_token).status == 200
    # the campaign (was a GetItem), its money and the tenant's attribution window
    assert dynamo_calls == Counter({"BatchGetItem": 1, "Query": 1, "GetItem": 1})


def test_counters_kept_on_the_campaign_item_still_read(
        marketing: ApiClient, tenant: Tenant, sent: tuple[str, list[Any]]) -> None:
    """Campaigns counted before the shards keep their counters on the campaign item and the
    channel totals item: reads add the two."""
    campaign_id, _ = sent
    before = stats(marketing, tenant, campaign_id)
    before_channel = channel(marketing, tenant)
    repo = module("chalicelib.campaigns.repository")
    item_class = module("chalicelib.campaigns.models").CampaignItem
    repo.key(tenant.tenant_id, campaign_id).update(
        [item_class.delivered.add(100), item_class.opened.add(40), item_class.clicked.add(7)])
    aggregates = module("chalicelib.roi.repository")
    totals_class = module("chalicelib.roi.models").ChannelTotalsItem
    aggregates.channel_key(tenant.tenant_id, "email").update(
        [totals_class.delivered.add(100), totals_class.opened.add(40)])
    after = stats(marketing, tenant, campaign_id)
    assert after == {**before, "delivered": before["delivered"] + 100,
                     "opened": before["opened"] + 40, "clicked": before["clicked"] + 7}
    assert channel(marketing, tenant) == {
        **before_channel, "delivered": before_channel["delivered"] + 100,
        "unique_opens": before_channel["unique_opens"] + 40}
    roi = marketing.get(f"/campaigns/{campaign_id}/stats", token=tenant.admin_token).json
    assert (roi["delivered"], roi["unique_opens"], roi["unique_clicks"]) == (
        after["delivered"], after["opened"], after["clicked"])


def test_message_transactions_write_shards_and_retry_conflicts_once(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A notification's or a hit's transaction writes its send record, a campaign counter
    shard, a channel totals shard and its event, never the campaign or channel item; when
    DynamoDB cancels it for a concurrent transaction on a shard (TransactionConflict) it is
    retried and counts once."""
    person = contact(contacts, tenant)
    settle(runtimes)
    made = campaign(marketing, tenant, [static_list(marketing, tenant, [person["contact_id"]])],
                    template(marketing, tenant))
    campaign_id = made["campaign_id"]
    assert marketing.post(f"/campaigns/{campaign_id}/launch",
                          token=tenant.admin_token).status == 202
    settle(runtimes)
    [raw] = sent_to(person["emails"][0]["address"])
    repo = module("chalicelib.campaigns.repository")
    campaign_item = (repo.campaign_pk(tenant.tenant_id, campaign_id), repo.CAMPAIGN)
    channel_item = (f"T#{tenant.tenant_id}#CAMPAIGN_TOTALS", "CHANNEL#email")
    transactions: list[list[tuple[str, str]]] = []
    real = botocore.client.BaseClient._make_api_call

    def conflicting(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            transactions.append([written_key(item) for item in params["TransactItems"]])
            if len(transactions) % 2:  # every first attempt meets a concurrent one
                raise botocore.exceptions.ClientError({
                    "Error": {"Code": "TransactionCanceledException",
                              "Message": "Transaction cancelled"},
                    "CancellationReasons": [{"Code": "TransactionConflict"}] + [
                        {"Code": "None"}] * (len(params["TransactItems"]) - 1)},
                    operation)
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", conflicting)
    assert feedback("Delivery", raw) == "delivered"
    assert marketing.get(f"/t/o/{tokens(raw, 'o')[0]}", headers=IMAGE).status == 200
    assert marketing.get(f"/t/c/{tokens(raw, 'c')[0]}").status == 302
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", real)

    assert len(transactions) == 6  # three, each tried twice
    for keys in transactions:
        assert campaign_item not in keys and channel_item not in keys
        assert sum("#COUNTERS#" in pk for pk, _ in keys) == 1
        assert sum("#CAMPAIGN_TOTALS#" in pk for pk, _ in keys) == 1
    counted = stats(marketing, tenant, campaign_id)
    assert (counted["delivered"], counted["opened"], counted["clicked"]) == (1, 1, 1)
    assert feedback("Delivery", raw) == "duplicate"
    assert stats(marketing, tenant, campaign_id) == counted


def test_pausing_during_a_send_keeps_what_batches_add_meanwhile(
        marketing: ApiClient, tenant: Tenant, sent: tuple[str, list[Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A status change reads the campaign, then writes it: a batch that finishes in between
    (its counters and done batch added to the item) is kept, not overwritten."""
    campaign_id, _ = sent
    logic = module("chalicelib.campaigns.logic")
    repo = module("chalicelib.campaigns.repository")
    item_class = module("chalicelib.campaigns.models").CampaignItem
    item = repo.get(tenant.tenant_id, campaign_id)
    repo.key(tenant.tenant_id, campaign_id).update([item_class.status.set("sending")])
    before = stats(marketing, tenant, campaign_id)
    real = repo.get_counted

    def read_then_a_batch_finishes(tenant_id: str, cid: str) -> Any:
        found = real(tenant_id, cid)
        repo.key(tenant_id, cid).update([item_class.sent.add(5),
                                         item_class.done_batches.add(1)])
        return found

    monkeypatch.setattr(repo, "get_counted", read_then_a_batch_finishes)
    logic.set_status(tenant.tenant_id, campaign_id, "pause")
    monkeypatch.setattr(repo, "get_counted", real)
    after = repo.get(tenant.tenant_id, campaign_id)
    assert after.status == "paused"
    assert int(after.done_batches) == int(item.done_batches) + 1
    assert stats(marketing, tenant, campaign_id)["sent"] == before["sent"] + 5
