"""The only code that knows the aggregates' keys.

- channel totals `T#<t>#CAMPAIGN_TOTALS` / `CHANNEL#<channel>`, money by currency
  `.../MONEY#<channel>#<currency>`: one Query answers the tenant's stats;
- a campaign's money `T#<t>#CAMPAIGN#<id>` / `MONEY#<currency>` (beside the campaign);
- a contact's last touch `T#<t>#TOUCH#<contact_id>` / `LAST`;
- a conversion `T#<t>#CONVERSION#<opportunity_id>` / `CONVERSION`;
- the settings `T#<t>#MARKETING_SETTINGS` / `SETTINGS`.
"""

from __future__ import annotations

from chalicelib.campaigns.repository import campaign_pk
from chalicelib.roi.models import (
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


def channel_money_key(tenant_id: str, channel: str, currency: str) -> MoneyItem:
    return MoneyItem(PK=totals_pk(tenant_id), SK=f"MONEY#{channel}#{currency}")


def campaign_money_key(tenant_id: str, campaign_id: str, currency: str) -> MoneyItem:
    return MoneyItem(PK=campaign_pk(tenant_id, campaign_id), SK=f"MONEY#{currency}")


def channel_totals(tenant_id: str) -> tuple[list[ChannelTotalsItem], list[MoneyItem]]:
    """Every channel's counters and money: one Query each (a handful of items)."""
    counters = list(ChannelTotalsItem.query(totals_pk(tenant_id),
                                            ChannelTotalsItem.SK.startswith("CHANNEL#")))
    money = list(MoneyItem.query(totals_pk(tenant_id), MoneyItem.SK.startswith("MONEY#")))
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
