"""Request and response bodies of /opportunities (the record is the contract in
docs: every sales feature and every Opportunity* event carries it whole)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from crm_shared.money import Money
from crm_shared.validation import Payload

MAX_CONTACTS = 20  # each is a link entry in the deal's transaction (100 items at most)
MAX_LINES = 50
ForecastCategory = Literal["pipeline", "best_case", "commit", "closed", "omitted"]
ContactId = Annotated[str, Field(pattern=r"^con_[0-9A-Z]{26}$")]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class ProductLineIn(Payload):
    product_id: str = Field(pattern=r"^prd_[0-9A-Z]{26}$")
    quantity: StrictInt = Field(default=1, ge=1, le=1_000_000)
    unit_price: Money | None = Field(default=None, description="The product's price if absent.")
    discount_percent: Percent = 0


class OpportunityFields(Payload):
    """Everything a client may write; on PATCH only the fields sent change (null clears)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    company_id: str | None = Field(default=None, pattern=r"^cmp_[0-9A-Z]{26}$")
    company_name: str | None = Field(default=None, min_length=1, max_length=200)
    contact_ids: list[ContactId] | None = Field(default=None, max_length=MAX_CONTACTS)
    owner_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")
    team_id: str | None = Field(default=None, pattern=r"^tea_[0-9A-Z]{26}$")
    pipeline_id: str | None = Field(default=None, min_length=1, max_length=40)
    stage: str | None = Field(default=None, min_length=1, max_length=80)
    amount: Money | None = None
    product_lines: list[ProductLineIn] | None = Field(default=None, max_length=MAX_LINES)
    discount_percent: Percent | None = Field(default=None,
                                             description="A discount on the whole deal.")
    expected_close_date: date | None = None
    probability: StrictInt | None = Field(default=None, ge=0, le=100)
    forecast_category: ForecastCategory | None = None
    source: str | None = Field(default=None, min_length=1, max_length=100)
    source_campaign_id: str | None = Field(default=None, pattern=r"^cam_[0-9A-Z]{26}$")
    lead_id: str | None = Field(default=None, pattern=r"^lea_[0-9A-Z]{26}$")
    lost_reason: str | None = Field(default=None, min_length=1, max_length=500)
    engaged_at: date | None = None
    closed_at: date | None = None


class OpportunityCreate(OpportunityFields):
    name: str = Field(min_length=1, max_length=200)


class ProductLineOut(BaseModel):
    product_id: str
    name: str
    quantity: int
    unit_price: dict[str, Any]
    discount_percent: float


class OpportunityOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    opportunity_id: str
    name: str
    company_id: str | None = None
    company_name: str | None = None
    contact_ids: list[str] = Field(default_factory=list)
    owner_id: str
    team_id: str | None = None
    pipeline_id: str
    stage: str
    stage_kind: Literal["open", "won", "lost"]
    amount: dict[str, Any] | None = None
    product_lines: list[ProductLineOut] = Field(default_factory=list)
    discount_percent: float | None = None
    expected_close_date: str | None = None
    probability: int
    forecast_category: ForecastCategory
    source: str | None = None
    source_campaign_id: str | None = None
    lead_id: str | None = None
    lost_reason: str | None = None
    engaged_at: str | None = None
    closed_at: str | None = None
    approval_status: Literal["none", "pending", "approved", "rejected"] = "none"
    created_at: str
    updated_at: str
    version: int


class OpportunityPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[OpportunityOut]
    next_cursor: str | None


class StageEntry(BaseModel):
    pipeline_id: str
    stage: str
    stage_kind: str
    entered_at: str
    exited_at: str | None = None
    duration_seconds: int | None = None


class HistoryPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[StageEntry]
    next_cursor: str | None
