"""Campaign ROI from maintained aggregates: counters the senders, feedback and tracking add
to in their own transactions, revenue attributed once per won deal, the tenant's cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.campaigns import repository as campaign_store
from chalicelib.campaigns.models import CampaignItem
from chalicelib.roi import repository
from chalicelib.roi.models import (
    CHANNEL_COUNTERS,
    ChannelTotalsItem,
    ConversionItem,
    MoneyItem,
    TouchItem,
)
from crm_shared import clock
from crm_shared.events.marketing_events import Engagement
from crm_shared.events.sales_events import OpportunityWon
from crm_shared.unit_of_work import UnitOfWork


def count_channel(uow: UnitOfWork, tenant_id: str, channel: str, **deltas: int) -> None:
    """Add a campaign's counter deltas to its channel's totals too (same transaction)."""
    _add_totals(uow, repository.channel_key(tenant_id, channel), deltas)


def count_channel_message(uow: UnitOfWork, tenant_id: str, channel: str, message_id: str,
                          **deltas: int) -> None:
    """One message's outcome on its channel's totals: on the shard its id hashes to."""
    _add_totals(uow, repository.channel_shard_key(tenant_id, channel, message_id), deltas)


def _add_totals(uow: UnitOfWork, key: ChannelTotalsItem, deltas: dict[str, int]) -> None:
    actions = [getattr(ChannelTotalsItem, n).add(d) for n, d in deltas.items()
               if n in CHANNEL_COUNTERS]
    if actions:
        uow.update(key, actions, label="totals")


def cost_changed(uow: UnitOfWork, item: CampaignItem, before: dict[str, Any] | None,
                 after: dict[str, Any] | None) -> None:
    """Move the channel's cost totals by the campaign's change of cost."""
    changes: dict[str, int] = {}
    for money, sign in ((before, -1), (after, 1)):
        if money:
            changes[money["currency"]] = changes.get(money["currency"], 0) + sign * int(
                money["amount"])
    for currency, delta in changes.items():
        if delta:
            uow.update(repository.channel_money_key(item.tenant_id, item.channel, currency),
                       [MoneyItem.cost.add(delta), MoneyItem.currency.set(currency)],
                       label="totals")


def roi(revenue: int, cost: int) -> float | None:
    return round((revenue - cost) / cost, 4) if cost else None


def touched(uow: UnitOfWork, tenant_id: str, event: Engagement) -> None:
    """Remember a contact's latest campaign open or click (attribution by touch)."""
    if not event.contact_id or not event.campaign_id:
        return
    found = repository.last_touch(tenant_id, event.contact_id)
    if found is not None and found.at >= event.occurred_at:
        return  # an older touch arriving late
    pk, sk = repository.touch_key(tenant_id, event.contact_id)
    uow.put(TouchItem(PK=pk, SK=sk, campaign_id=event.campaign_id, at=event.occurred_at),
            label="touch")


def _attributed(tenant_id: str, opportunity: dict[str, Any]) -> tuple[str, str] | None:
    """The deal's campaign: its source_campaign_id, else the latest touch of one of its
    contacts within the tenant's attribution window."""
    if opportunity.get("source_campaign_id"):
        return str(opportunity["source_campaign_id"]), "source"
    cutoff = clock.iso(clock.now() - timedelta(days=repository.window_days(tenant_id)))
    touches = [t for c in dict.fromkeys(opportunity.get("contact_ids") or [])
               if (t := repository.last_touch(tenant_id, str(c))) is not None
               and t.at >= cutoff]
    if not touches:
        return None
    return max(touches, key=lambda t: t.at).campaign_id, "touch"


def attribute(uow: UnitOfWork, tenant_id: str, event: OpportunityWon) -> str | None:
    """Count a won deal and its amount on its campaign, once per opportunity."""
    if repository.conversion(tenant_id, event.opportunity_id) is not None:
        return None
    found = _attributed(tenant_id, event.opportunity)
    campaign = campaign_store.get(tenant_id, found[0]) if found else None
    if found is None or campaign is None:
        return None
    campaign_id, how = found
    uow.put(repository.new_conversion(tenant_id, event.opportunity_id, campaign_id=campaign_id,
                                      how=how, at=clock.iso()),
            condition=ConversionItem.PK.does_not_exist(), label="conversion")
    uow.update(campaign_store.key(tenant_id, campaign_id), [CampaignItem.conversions.add(1)],
               label="campaign")
    count_channel(uow, tenant_id, campaign.channel, conversions=1)
    amount = event.opportunity.get("amount")
    if isinstance(amount, dict) and amount.get("currency") and amount.get("amount"):
        currency, value = str(amount["currency"]), int(amount["amount"])
        for key in (repository.campaign_money_key(tenant_id, campaign_id, currency),
                    repository.channel_money_key(tenant_id, campaign.channel, currency)):
            uow.update(key, [MoneyItem.revenue.add(value), MoneyItem.currency.set(currency)],
                       label="revenue")
    return campaign_id


def _money(items: list[MoneyItem], cost: dict[str, Any] | None) -> dict[str, Any]:
    revenue = {str(m.currency): int(m.revenue or 0) for m in items if m.currency and m.revenue}
    cost_amount = int(cost["amount"]) if cost else 0
    same = revenue.get(str(cost["currency"]), 0) if cost else 0
    return {"revenue": [{"currency": c, "amount": a} for c, a in sorted(revenue.items())],
            "cost": cost,
            "roi": roi(same, cost_amount) if cost else None}


def campaign_stats(item: CampaignItem) -> dict[str, Any]:
    """A campaign's funnel and ROI: its item and its money items (never its sends)."""
    money = repository.campaign_money(item.tenant_id, item.campaign_id)
    return {"campaign_id": item.campaign_id, "channel": item.channel,
            **_funnel(item, planned="planned"), "conversions": int(item.conversions or 0),
            **_money(money, item.cost),
            "attribution_window_days": repository.window_days(item.tenant_id)}


def _funnel(item: CampaignItem | ChannelTotalsItem, planned: str) -> dict[str, int]:
    """Counters with their shards (`total`)."""
    return {"recipients": item.total(planned), "sent": item.total("sent"),
            "delivered": item.total("delivered"), "bounced": item.total("bounced"),
            "unique_opens": item.total("opened"), "unique_clicks": item.total("clicked"),
            "unsubscribes": item.total("unsubscribed")}


def channel_stats(tenant_id: str) -> dict[str, dict[str, Any]]:
    """Per channel: the same funnel, conversions, revenue, cost and ROI per currency."""
    counters, money = repository.channel_totals(tenant_id)
    found: dict[str, dict[str, Any]] = {}
    for item in counters:
        channel = item.SK.removeprefix("CHANNEL#")
        found[channel] = {**_funnel(item, planned="planned"),
                          "conversions": int(item.conversions or 0), "money": []}
    for m in money:
        channel = m.SK.split("#")[1]
        row = found.setdefault(channel, {**_funnel(ChannelTotalsItem(), planned="planned"),
                                         "conversions": 0, "money": []})
        cost, revenue = int(m.cost or 0), int(m.revenue or 0)
        row["money"].append({"currency": m.currency, "cost": cost, "revenue": revenue,
                             "roi": roi(revenue, cost)})
    return found
