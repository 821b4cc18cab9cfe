"""Request and response bodies of /campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.money import Money
from crm_shared.validation import Payload

SegmentId = Annotated[str, Field(pattern=r"^seg_[0-9A-Z]{26}$")]


class Schedule(Payload):
    """Omit `send_at` (or the schedule) to send at launch."""

    send_at: datetime | None = None


class CampaignFields(Payload):
    """On PATCH (drafts only) only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    segment_ids: list[SegmentId] | None = Field(default=None, min_length=1, max_length=10)
    template_id: str | None = Field(default=None, max_length=40)
    sender_identity_id: str | None = Field(default=None, max_length=40)
    schedule: Schedule | None = None
    throttle_per_minute: int | None = Field(default=None, ge=1, le=100_000, description=(
        "At most this many messages a minute for this campaign (the tenant's throttle)."))
    cost: Money | None = Field(default=None, description=(
        "What the campaign cost, for its ROI; may be changed after the launch too."))


class CampaignCreate(CampaignFields):
    name: str = Field(min_length=1, max_length=200)
    channel: Literal["email", "sms"]
    segment_ids: list[SegmentId] = Field(min_length=1, max_length=10)
    template_id: str = Field(max_length=40)


class Stats(BaseModel):
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    uncertain: int = 0
    delivered: int = 0
    bounced: int = 0
    complained: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0


class CampaignOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    campaign_id: str
    name: str
    channel: str
    segment_ids: list[str]
    template_id: str
    sender_identity_id: str | None = None
    schedule: dict[str, str | None]
    throttle_per_minute: int | None = None
    status: Literal["draft", "scheduled", "sending", "paused", "sent", "cancelled"]
    launch_id: str | None = None
    launched_at: str | None = None
    completed_at: str | None = None
    stats: Stats
    cost: dict[str, Any] | None = None
    created_at: str
    updated_at: str
    version: int


class CampaignPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[CampaignOut]
    next_cursor: str | None


class TenantStats(BaseModel):
    model_config = ConfigDict(defer_build=True)

    campaigns: int
    by_status: dict[str, int]
    totals: Stats
    channels: dict[str, ChannelRoi] | None = Field(default=None, description=(
        "With group_by=channel: every campaign's funnel, conversions and ROI per channel, "
        "from maintained totals."))


class Revenue(BaseModel):
    currency: str
    amount: int


class CampaignRoi(BaseModel):
    """The funnel from maintained counters (unique opens and clicks: one per recipient),
    deals won and attributed (source_campaign_id, else a touch in the window), ROI =
    (revenue - cost) / cost in the cost's currency."""

    model_config = ConfigDict(defer_build=True)

    campaign_id: str
    channel: str
    recipients: int
    sent: int
    delivered: int
    bounced: int
    unique_opens: int
    unique_clicks: int
    unsubscribes: int
    conversions: int
    revenue: list[Revenue]
    cost: dict[str, Any] | None = None
    roi: float | None = None
    attribution_window_days: int


class CurrencyRoi(BaseModel):
    currency: str | None = None
    cost: int
    revenue: int
    roi: float | None = None


class ChannelRoi(BaseModel):
    recipients: int
    sent: int
    delivered: int
    bounced: int
    unique_opens: int
    unique_clicks: int
    unsubscribes: int
    conversions: int
    money: list[CurrencyRoi]


class Attribution(Payload):
    window_days: int = Field(ge=1, le=365, description=(
        "A won deal counts for the campaign its contact last opened or clicked within this "
        "many days (unless the deal names its source_campaign_id)."))


class AttributionOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    window_days: int
