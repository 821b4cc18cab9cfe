"""The only code that knows the aggregates' keys.

- channel totals `T#<t>#CAMPAIGN_TOTALS` / `CHANNEL#<channel>`, money by currency
  `.../MONEY#<channel>#<currency>`: one Query answers the tenant's stats;
- their per-message shards `T#<t>#CAMPAIGN_TOTALS#<nn>` / `CHANNEL#<channel>` (nn as the
  campaign's counter shards), each its own partition, read in one BatchGetItem;
- a campaign's money `T#<t>#CAMPAIGN#<id>` / `MONEY#<currency>` (beside the campaign);
- a contact's last touch `T#<t>#TOUCH#<contact_id>` / `LAST`;
- a conversion `T#<t>#CONVERSION#<opportunity_id>` / `CONVERSION`;
- the settings `T#<t>#MARKETING_SETTINGS` / `SETTINGS`.
"""

from __future__ import annotations

from chalicelib.campaigns.repository import COUNTER_SHARDS, batch_raw, campaign_pk, shard_of
from chalicelib.roi.models import (
    CHANNEL_COUNTERS,
    ChannelTotalsItem,
    ConversionItem,
    MoneyItem,
    SettingsItem,
    TouchItem,
)
from crm_shared.dynamo import tenant_key

DEFAULT_WINDOW_DAYS = 30


def totals_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "CAMPAIGN_TOTALS")


def channel_key(tenant_id: str, channel: str) -> ChannelTotalsItem:
    return ChannelTotalsItem(PK=totals_pk(tenant_id), SK=f"CHANNEL#{channel}")


def channel_shard_key(tenant_id: str, channel: str, spread: str) -> ChannelTotalsItem:
    """The key-only totals shard of the channel that the message `spread` counts on."""
    return ChannelTotalsItem(PK=_shard_pk(tenant_id, shard_of(spread)), SK=f"CHANNEL#{channel}")


def _shard_pk(tenant_id: str, shard: int) -> str:
    return tenant_key(tenant_id, "CAMPAIGN_TOTALS", f"{shard:02d}")


def channel_money_key(tenant_id: str, channel: str, currency: str) -> MoneyItem:
    return MoneyItem(PK=totals_pk(tenant_id), SK=f"MONEY#{channel}#{currency}")


def campaign_money_key(tenant_id: str, campaign_id: str, currency: str) -> MoneyItem:
    return MoneyItem(PK=campaign_pk(tenant_id, campaign_id), SK=f"MONEY#{currency}")


def channel_totals(tenant_id: str) -> tuple[list[ChannelTotalsItem], list[MoneyItem]]:
    """Every channel's counters (its shards added) and money: one Query each (a handful of
    items), and one BatchGetItem of the channels' shards."""
    counters = list(ChannelTotalsItem.query(totals_pk(tenant_id),
                                            ChannelTotalsItem.SK.startswith("CHANNEL#")))
    money = list(MoneyItem.query(totals_pk(tenant_id), MoneyItem.SK.startswith("MONEY#")))
    keys = {item.SK: [(_shard_pk(tenant_id, n), item.SK) for n in range(COUNTER_SHARDS)]
            for item in counters}
    found = batch_raw([k for ks in keys.values() for k in ks]) if keys else {}
    for item in counters:
        for key in keys[item.SK]:
            if key in found:
                shard = ChannelTotalsItem.from_raw_data(found[key])
                item.add_shards({name: int(getattr(shard, name) or 0)
                                 for name in CHANNEL_COUNTERS})
    return counters, money


def campaign_money(tenant_id: str, campaign_id: str) -> list[MoneyItem]:
    return list(MoneyItem.query(campaign_pk(tenant_id, campaign_id),
                                MoneyItem.SK.startswith("MONEY#"), consistent_read=True))


def touch_key(tenant_id: str, contact_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "TOUCH", contact_id), "LAST"


def last_touch(tenant_id: str, contact_id: str) -> TouchItem | None:
    try:
        return TouchItem.get(*touch_key(tenant_id, contact_id), consistent_read=True)
    except TouchItem.DoesNotExist:
        return None


def conversion(tenant_id: str, opportunity_id: str) -> ConversionItem | None:
    try:
        return ConversionItem.get(tenant_key(tenant_id, "CONVERSION", opportunity_id),
                                  "CONVERSION", consistent_read=True)
    except ConversionItem.DoesNotExist:
        return None


def new_conversion(tenant_id: str, opportunity_id: str, **fields: str) -> ConversionItem:
    return ConversionItem(PK=tenant_key(tenant_id, "CONVERSION", opportunity_id),
                          SK="CONVERSION", **fields)


def settings_key(tenant_id: str) -> SettingsItem:
    return SettingsItem(PK=tenant_key(tenant_id, "MARKETING_SETTINGS"), SK="SETTINGS")


def window_days(tenant_id: str) -> int:
    try:
        item = SettingsItem.get(tenant_key(tenant_id, "MARKETING_SETTINGS"), "SETTINGS")
    except SettingsItem.DoesNotExist:
        return DEFAULT_WINDOW_DAYS
    return int(item.attribution_window_days or DEFAULT_WINDOW_DAYS)
