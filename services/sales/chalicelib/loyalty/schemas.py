"""Bodies of /loyalty."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from crm_shared.filters import MAX_FILTER_GROUPS, FilterGroup
from crm_shared.validation import Payload


class BonusRule(Payload):
    """Extra points for a paid order matching `filter_groups` (over the order record)."""

    name: str = Field(min_length=1, max_length=100)
    filter_groups: list[FilterGroup] = Field(min_length=1, max_length=MAX_FILTER_GROUPS)
    points: StrictInt = Field(ge=1, le=1_000_000)


class Tier(Payload):
    name: str = Field(min_length=1, max_length=50)
    threshold: StrictInt = Field(ge=0, le=10**12, description="Lifetime points to reach it.")
    benefits: list[str] = Field(default_factory=list, max_length=20)


class Program(Payload):
    enabled: bool = False
    points_per_unit: StrictInt = Field(default=1, ge=0, le=10_000,
                                       description="Points per major currency unit paid.")
    product_points: dict[str, StrictInt] = Field(default_factory=dict, max_length=200,
                                                 description="Extra points per unit bought.")
    bonus_rules: list[BonusRule] = Field(default_factory=list, max_length=20)
    expiry_days: StrictInt | None = Field(default=None, ge=1, le=3650)
    tiers: list[Tier] = Field(default_factory=list, max_length=10)

    @field_validator("tiers")
    @classmethod
    def _ordered(cls, tiers: list[Tier]) -> list[Tier]:
        names = [t.name for t in tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        return sorted(tiers, key=lambda t: t.threshold)


class ProgramOut(Program):
    model_config = ConfigDict(defer_build=True, extra="ignore")

    version: int = 0


class Enrol(Payload):
    contact_id: str = Field(pattern=r"^con_[0-9A-Z]{26}$")


class Redeem(Payload):
    """`points` is required; it is optional here so that an unknown member answers 404."""

    points: StrictInt | None = Field(default=None, ge=1, le=10**9)
    reason: str | None = Field(default=None, max_length=500)


class Adjust(Payload):
    points: StrictInt | None = Field(default=None, ge=-(10**9), le=10**9)
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class Entry(BaseModel):
    entry_id: str
    kind: str
    points: int
    balance: int
    at: str
    order_id: str | None = None
    reason: str | None = None
    expires_at: str | None = None


class MemberOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    contact_id: str
    balance: int
    lifetime_points: int
    tier: str | None = None
    joined_at: str
    history: list[Entry] = Field(default_factory=list)
    next_cursor: str | None = None


class EntryOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    entry: Entry
    balance: int
    tier: str | None = None


def dump(program: dict[str, Any]) -> dict[str, Any]:
    return Program(**program).model_dump(mode="json")
