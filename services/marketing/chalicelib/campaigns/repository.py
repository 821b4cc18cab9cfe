"""The only code that knows campaign keys.

- a campaign `T#<t>#CAMPAIGN#<id>` / `CAMPAIGN`, listed on GSI1 `T#<t>#CAMPAIGNS` by
  `<created_at>#<id>`, on DUE while scheduled;
- a finished batch `T#<t>#CAMPAIGN#<id>` / `BATCH#<batch_id>` (expires after 30 days);
- a counter shard `T#<t>#CAMPAIGN#<id>#COUNTERS#<nn>` / `COUNTERS`, nn < COUNTER_SHARDS,
  chosen by a stable hash of the message: each shard is its own partition key, so that
  feedback and tracking spread their writes over partitions (a shard in the campaign's
  own partition would share its 1,000 WCU/s). The campaign and its shards are read in one
  BatchGetItem; the campaign's partition is not queried, as it holds a finished-batch
  item per 100 recipients.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from typing import Any

from chalicelib import SERVICE
from chalicelib.campaigns.models import (
    SHARDED,
    BatchDoneItem,
    CampaignCountersItem,
    CampaignItem,
)
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

CAMPAIGN = "CAMPAIGN"
COUNTERS = "COUNTERS"
DUE_JOB = "campaign_launch"
#: Per-message counter writes spread over this many items (campaign and channel totals).
#: More shards: fewer conflicting transactions and more partitions; each read of a
#: campaign's counters reads every shard (one BatchGetItem, 1 + COUNTER_SHARDS items).
COUNTER_SHARDS = 10

Key = tuple[str, str]


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def campaign_pk(tenant_id: str, campaign_id: str) -> str:
    return tenant_key(tenant_id, "CAMPAIGN", campaign_id)


def new_campaign(tenant_id: str, campaign_id: str, **fields: Any) -> CampaignItem:
    item = CampaignItem(PK=campaign_pk(tenant_id, campaign_id), SK=CAMPAIGN,
                        campaign_id=campaign_id, tenant_id=tenant_id, **fields)
    item.GSI1PK = tenant_key(tenant_id, "CAMPAIGNS")
    item.GSI1SK = f"{item.created_at}#{campaign_id}"
    return item


def key(tenant_id: str, campaign_id: str) -> CampaignItem:
    """A key-only item, for counter updates."""
    return CampaignItem(PK=campaign_pk(tenant_id, campaign_id), SK=CAMPAIGN)


def shard_of(spread: str) -> int:
    """The counter shard of a message: stable across processes and redeliveries."""
    return int.from_bytes(hashlib.sha256(spread.encode()).digest()[:4], "big") % COUNTER_SHARDS


def counters_key(tenant_id: str, campaign_id: str, spread: str) -> CampaignCountersItem:
    """The key-only counter shard that the message `spread` counts on."""
    return CampaignCountersItem(PK=_shard_pk(tenant_id, campaign_id, shard_of(spread)),
                                SK=COUNTERS)


def _shard_pk(tenant_id: str, campaign_id: str, shard: int) -> str:
    return tenant_key(tenant_id, "CAMPAIGN", campaign_id, COUNTERS, f"{shard:02d}")


def _shard_keys(tenant_id: str, campaign_id: str) -> list[Key]:
    return [(_shard_pk(tenant_id, campaign_id, n), COUNTERS) for n in range(COUNTER_SHARDS)]


def get(tenant_id: str, campaign_id: str) -> CampaignItem | None:
    """The campaign item alone (its own counters only): for writers and senders."""
    try:
        return CampaignItem.get(campaign_pk(tenant_id, campaign_id), CAMPAIGN,
                                consistent_read=True)
    except CampaignItem.DoesNotExist:
        return None


def get_counted(tenant_id: str, campaign_id: str) -> CampaignItem | None:
    """The campaign with its counter shards added (`total`): one consistent BatchGetItem."""
    key = (campaign_pk(tenant_id, campaign_id), CAMPAIGN)
    found = batch_raw([key, *_shard_keys(tenant_id, campaign_id)], consistent=True)
    if key not in found:
        return None
    item = CampaignItem.from_raw_data(found[key])
    item.add_shards(_shard_sum(found, _shard_keys(tenant_id, campaign_id)))
    return item


def add_counters(items: Sequence[CampaignItem]) -> None:
    """Add their counter shards to a page of campaigns (those launched: no other has any),
    in BatchGetItems of 100 keys, eventually consistent as the list Query is."""
    launched = [i for i in items if i.launch_id]
    keys = {i.campaign_id: _shard_keys(i.tenant_id, i.campaign_id) for i in launched}
    found = batch_raw([k for ks in keys.values() for k in ks])
    for item in launched:
        item.add_shards(_shard_sum(found, keys[item.campaign_id]))


def _shard_sum(found: dict[Key, dict[str, Any]], keys: Iterable[Key]) -> dict[str, int]:
    summed = dict.fromkeys(SHARDED, 0)
    for key in keys:
        if key in found:
            shard = CampaignCountersItem.from_raw_data(found[key])
            for name in SHARDED:
                summed[name] += int(getattr(shard, name) or 0)
    return summed


def batch_raw(keys: Sequence[Key], consistent: bool = False) -> dict[Key, dict[str, Any]]:
    """Items of any type by key, raw as DynamoDB sent them: one BatchGetItem per 100 keys
    (more only for what DynamoDB leaves unprocessed under throttling)."""
    table = CampaignItem.Meta.table_name
    wanted = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    found: dict[Key, dict[str, Any]] = {}
    backoff = 0.02
    while wanted:
        request: dict[str, Any] = {"Keys": wanted[:100]}
        if consistent:
            request["ConsistentRead"] = True
        response = CampaignItem._get_connection().connection.dispatch(
            "BatchGetItem", {"RequestItems": {table: request}})
        for raw in response.get("Responses", {}).get(table, []):
            found[(raw["PK"]["S"], raw["SK"]["S"])] = raw
        unprocessed = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        wanted = unprocessed + wanted[100:]
        if unprocessed:
            time.sleep(backoff)
            backoff = min(backoff * 2, 1.0)
    return found


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[CampaignItem],
                                                                  str | None]:
    """A page of campaigns, newest first, with their counter shards added."""
    items, next_cursor = query_page(lambda **kw: CampaignItem.gsi1.query(
        tenant_key(tenant_id, "CAMPAIGNS"), scan_index_forward=False, **kw),
        f"{tenant_id}:campaigns", cursor, limit)
    add_counters(items)
    return items, next_cursor


def batch_done(tenant_id: str, campaign_id: str, batch_id: str, now: str) -> BatchDoneItem:
    from datetime import timedelta

    from crm_shared import clock

    return BatchDoneItem(PK=campaign_pk(tenant_id, campaign_id), SK=f"BATCH#{batch_id}",
                         finished_at=now, expires_at=clock.now() + timedelta(days=30))
