"""Request and response bodies of /business-hours and /sla-policies."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.tickets.schemas import USER_ID, Priority, TicketType, Tier
from crm_shared.business_hours import check_day, zone
from crm_shared.validation import Payload

Interval = list[str]


class WeekHours(Payload):
    """Opening intervals per weekday, `[["09:00", "12:00"], ["13:00", "17:00"]]`; a day left
    out is closed. Overlapping or inverted intervals are refused, naming the day."""

    mon: list[Interval] | None = None
    tue: list[Interval] | None = None
    wed: list[Interval] | None = None
    thu: list[Interval] | None = None
    fri: list[Interval] | None = None
    sat: list[Interval] | None = None
    sun: list[Interval] | None = None

    @field_validator("*")
    @classmethod
    def _day(cls, value: list[Interval] | None) -> list[Interval] | None:
        if value is not None:
            if len(value) > 6:
                raise ValueError("at most 6 intervals a day")
            check_day(value)
        return value


class BusinessHoursFields(Payload):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    time_zone: str | None = Field(default=None, max_length=64)
    hours: WeekHours | None = None
    holidays: list[dt.date] | None = Field(default=None, max_length=366)
    is_default: bool | None = None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value


class BusinessHoursCreate(BusinessHoursFields):
    name: str = Field(min_length=1, max_length=100)
    time_zone: str = Field(max_length=64)
    hours: WeekHours


class BusinessHoursOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    business_hours_id: str
    name: str
    time_zone: str
    hours: dict[str, list[list[str]]]
    holidays: list[str]
    is_default: bool
    version: int
    created_at: str
    updated_at: str


class BusinessHoursList(BaseModel):
    items: list[BusinessHoursOut]


class Target(Payload):
    first_response_minutes: int = Field(ge=1, le=525_600)
    resolution_minutes: int = Field(ge=1, le=525_600)

    @field_validator("resolution_minutes")
    @classmethod
    def _after_first_response(cls, value: int, info: Any) -> int:
        first = info.data.get("first_response_minutes")
        if first is not None and value < first:
            raise ValueError("must not be shorter than first_response_minutes")
        return value


WARN_HELP = (
    "Business minutes before a target's due time at which the ticket is at risk: the SLA "
    "sweep then announces TicketSlaAtRisk once per ticket and target, and the assignee (or "
    "the team's manager when nobody is assigned) gets an `sla_at_risk` notification. None "
    "(the default) warns when a fifth of the target is left (12 minutes of a 1 hour "
    "target); 0 never warns; a threshold longer than the target warns as the clock starts.")


class Escalation(Payload):
    """What a breach does besides SlaBreached: raise the priority one step, reassign to the
    ticket team's lead (its manager) or the assignee's manager, and whom to notify."""

    raise_priority: bool = False
    reassign_to: Literal["team_lead", "manager"] | None = None
    notify_user_ids: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("notify_user_ids")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        import re

        for user_id in value:
            if not re.match(USER_ID, user_id):
                raise ValueError(f"{user_id!r} is not a user id")
        return value


class PolicyFields(Payload):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    business_hours_id: str | None = Field(default=None, pattern=r"^bhr_[0-9A-Z]{26}$")
    position: int | None = Field(default=None, ge=0, le=1_000_000)
    types: list[TicketType] | None = Field(default=None, max_length=5)
    customer_tiers: list[Tier] | None = Field(default=None, max_length=20)
    targets: dict[Priority, Target] | None = Field(default=None, min_length=1)
    escalation: Escalation | None = None
    warn_before_minutes: int | None = Field(default=None, ge=0, le=525_600,
                                            description=WARN_HELP)
    is_default: bool | None = None


class PolicyCreate(PolicyFields):
    name: str = Field(min_length=1, max_length=100)
    targets: dict[Priority, Target] = Field(min_length=1)


class PolicyOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    policy_id: str
    name: str
    business_hours_id: str | None = None
    position: int
    types: list[str]
    customer_tiers: list[str]
    targets: dict[str, dict[str, int]]
    escalation: dict[str, Any]
    warn_before_minutes: int | None = Field(default=None, description=WARN_HELP)
    is_default: bool
    version: int
    created_at: str
    updated_at: str


class PolicyList(BaseModel):
    items: list[PolicyOut]
