"""Request and response bodies of /quotas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.money import Money
from crm_shared.validation import Payload

PERIOD = r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$"


class QuotaFields(Payload):
    """On PATCH only the fields sent change (the target stays the same)."""

    period: str | None = Field(default=None, pattern=PERIOD,
                               description='A month ("2026-11") or a quarter ("2026-Q4").')
    amount: Money | None = None


class QuotaCreate(QuotaFields):
    """A target for one user or one team (exactly one of owner_id, team_id) in one period."""

    owner_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")
    team_id: str | None = Field(default=None, pattern=r"^tea_[0-9A-Z]{26}$")
    period: str = Field(pattern=PERIOD)
    amount: Money


class QuotaOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    quota_id: str
    owner_id: str | None
    team_id: str | None
    period: str
    amount: Money
    version: int
    created_at: str
    updated_at: str


class QuotaPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[QuotaOut]
    next_cursor: str | None = None
