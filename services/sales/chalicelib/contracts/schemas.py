"""Bodies of /contracts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from crm_shared.money import Money
from crm_shared.validation import Payload

BillingPeriod = Literal["monthly", "quarterly", "yearly"]
Status = Literal["draft", "active", "expired", "renewed", "ended"]
MAX_CONTACTS = 10  # each is a link entry in the contract's transaction


def _ids(values: list[str] | None, prefix: str) -> list[str] | None:
    import re

    for index, value in enumerate(values or []):
        if not re.fullmatch(rf"{prefix}_[0-9A-Z]{{26}}", value):
            raise ValueError(f"item {index} is not a {prefix}_ id")
    return None if values is None else list(dict.fromkeys(values))


class ContractFields(Payload):
    """On PATCH only the fields sent change; `status` may go draft -> active."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    company_id: str | None = Field(default=None, pattern=r"^cmp_[0-9A-Z]{26}$")
    contact_ids: list[str] | None = Field(default=None, max_length=MAX_CONTACTS)
    opportunity_id: str | None = Field(default=None, pattern=r"^opp_[0-9A-Z]{26}$")
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    value: Money | None = None
    billing_period: BillingPeriod | None = None
    auto_renew: bool | None = None
    status: Literal["draft", "active"] | None = None
    file_ids: list[str] | None = Field(default=None, max_length=20)
    owner_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")

    _contacts = field_validator("contact_ids")(lambda v: _ids(v, "con"))
    _files = field_validator("file_ids")(lambda v: _ids(v, "fil"))


class ContractCreate(ContractFields):
    name: str = Field(min_length=1, max_length=200)
    company_id: str = Field(pattern=r"^cmp_[0-9A-Z]{26}$")
    start_date: dt.date
    end_date: dt.date
    value: Money
    billing_period: BillingPeriod = "yearly"
    auto_renew: bool = False
    status: Literal["draft", "active"] = "draft"


class Renew(Payload):
    """A new term after this one: by default as long as the last, at the same value."""

    end_date: dt.date | None = None
    value: Money | None = None


class End(Payload):
    reason: str | None = Field(default=None, max_length=500)


class ContractSettings(Payload):
    notice_days: list[StrictInt] = Field(default_factory=lambda: [90, 30, 7], min_length=1,
                                         max_length=10)

    @field_validator("notice_days")
    @classmethod
    def _positive(cls, days: list[int]) -> list[int]:
        if any(d < 1 or d > 3650 for d in days):
            raise ValueError("each notice is 1 to 3650 days before the end")
        return sorted(set(days), reverse=True)


class ContractOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    contract_id: str
    name: str
    company_id: str
    contact_ids: list[str] = Field(default_factory=list)
    opportunity_id: str | None = None
    start_date: str
    end_date: str
    value: dict[str, Any]
    billing_period: str
    auto_renew: bool
    status: Status
    file_ids: list[str] = Field(default_factory=list)
    owner_id: str | None = None
    notices_sent: list[int] = Field(default_factory=list)
    renewal_opportunity_id: str | None = None
    renewed_from: str | None = None
    renewed_by: str | None = None
    ended_reason: str | None = None
    created_at: str
    updated_at: str
    version: int


class ContractPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ContractOut]
    next_cursor: str | None
