"""Maintained campaign aggregates: per-channel counters, money by currency, the last
campaign touch of a contact, conversion markers and the tenant's attribution window."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.campaigns.models import ShardedCounters
from chalicelib.models import MarketingItem

CHANNEL_COUNTERS = ("planned", "sent", "delivered", "bounced", "opened", "clicked",
                    "unsubscribed", "conversions")


class ChannelTotalsItem(ShardedCounters, MarketingItem):
    """A tenant's totals over every campaign of one channel, added to with each campaign's
    own counters in the same transactions: per batch on this item, per message (feedback,
    tracking) on one of its shards (the same class under shard keys)."""

    planned = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    delivered = NumberAttribute(default=0)
    bounced = NumberAttribute(default=0)
    opened = NumberAttribute(default=0)
    clicked = NumberAttribute(default=0)
    unsubscribed = NumberAttribute(default=0)
    conversions = NumberAttribute(default=0)


class MoneyItem(MarketingItem):
    """Cost and attributed revenue in one currency (minor units), of a campaign or of a
    channel's totals."""

    currency = UnicodeAttribute(null=True)
    cost = NumberAttribute(default=0)
    revenue = NumberAttribute(default=0)


class TouchItem(MarketingItem):
    """The latest open or click of a campaign message by a contact (last-touch attribution)."""

    campaign_id = UnicodeAttribute()
    at = UnicodeAttribute()


class ConversionItem(MarketingItem):
    """A won deal was attributed (once, whatever redelivers or re-wins it)."""

    campaign_id = UnicodeAttribute()
    how = UnicodeAttribute()
    at = UnicodeAttribute()


class SettingsItem(MarketingItem):
    attribution_window_days = NumberAttribute(default=30)
