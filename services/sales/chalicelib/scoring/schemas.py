"""Request and response bodies of /leads/scoring-rules and /leads/{lead_id}/score."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from crm_shared.filters import FilterGroup
from crm_shared.validation import Payload


class ScoringRuleIn(Payload):
    rule_id: str | None = Field(default=None, pattern=r"^scr_[0-9A-Z]{26}$")
    name: str = Field(min_length=1, max_length=120)
    filter_groups: list[FilterGroup] = Field(min_length=1, max_length=10)
    points: StrictInt = Field(ge=-1000, le=1000)


class ScoringRulesIn(Payload):
    rules: list[ScoringRuleIn] = Field(max_length=100)


class ScoringRuleOut(BaseModel):
    rule_id: str
    name: str
    filter_groups: list[dict[str, Any]]
    points: int


class ScoringRulesOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    rules: list[ScoringRuleOut]
    version: int


class ScoreOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    lead_id: str
    score: int
    factors: list[dict[str, Any]]
    probability: float | None
    probability_factors: list[dict[str, Any]]
