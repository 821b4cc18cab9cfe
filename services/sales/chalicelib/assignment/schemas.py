"""Request and response bodies of /leads/assignment-rules."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from crm_shared.filters import FilterGroup
from crm_shared.validation import Payload

MAX_RULES = 50


class RuleIn(Payload):
    """A condition over lead fields, then one user, or a team shared by a strategy."""

    rule_id: str | None = Field(default=None, pattern=r"^asr_[0-9A-Z]{26}$")
    name: str = Field(min_length=1, max_length=120)
    filter_groups: list[FilterGroup] = Field(default_factory=list, max_length=10)
    user_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")
    team_id: str | None = Field(default=None, pattern=r"^tea_[0-9A-Z]{26}$")
    strategy: Literal["round_robin", "least_loaded"] = "round_robin"
    capacity: StrictInt | None = Field(default=None, ge=1, le=100_000,
                                       description="Most open leads a rep may hold.")
    first_touch_minutes: StrictInt = Field(default=60, ge=0, le=60 * 24 * 30)

    @model_validator(mode="after")
    def _one_target(self) -> RuleIn:
        if (self.user_id is None) == (self.team_id is None):
            raise ValueError("give either user_id or team_id")
        return self


class RulesIn(Payload):
    rules: list[RuleIn] = Field(max_length=MAX_RULES)


class RuleOut(BaseModel):
    rule_id: str
    name: str
    filter_groups: list[dict[str, Any]]
    user_id: str | None = None
    team_id: str | None = None
    strategy: str | None = None
    capacity: int | None = None
    first_touch_minutes: int


class RulesOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    rules: list[RuleOut]
    version: int


class Simulation(BaseModel):
    model_config = ConfigDict(defer_build=True)

    matched_rule_id: str | None
    rule_name: str | None
    owner_id: str | None
    team_id: str | None
    first_touch_due_at: str | None
    reason: str
    checked: list[dict[str, Any]]
