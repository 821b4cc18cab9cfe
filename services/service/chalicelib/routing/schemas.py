"""Bodies of /tickets/routing-rules and /tickets/agents/{agent_id}/skills."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.tickets.schemas import TEAM_ID, USER_ID, Tag, TicketFields
from crm_shared.filters import MAX_FILTER_GROUPS, FilterGroup
from crm_shared.validation import Payload

Strategy = Literal["round_robin", "least_open", "skills"]
FIELDS = frozenset({"subject", "description", "channel", "type", "priority", "contact_id",
                    "company_id", "customer_tier", "tags", "properties"})


class RuleFields(Payload):
    """A rule sends the tickets its `filter_groups` match (OR of ANDs over the ticket; none
    match every ticket) to `assignee_id`, or to `team_id` and one of its members chosen by
    `strategy`."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    filter_groups: list[FilterGroup] | None = Field(default=None, max_length=MAX_FILTER_GROUPS)
    team_id: str | None = Field(default=None, pattern=TEAM_ID)
    assignee_id: str | None = Field(default=None, pattern=USER_ID)
    strategy: Strategy | None = None
    position: int | None = Field(default=None, ge=0, le=1_000_000)
    enabled: bool | None = None

    @field_validator("filter_groups")
    @classmethod
    def _fields(cls, groups: list[FilterGroup] | None) -> list[FilterGroup] | None:
        for group in groups or []:
            for flt in group.filters:
                if flt.field.split(".")[0] not in FIELDS:
                    raise ValueError(f"cannot route on {flt.field!r}; use one of "
                                     + ", ".join(sorted(FIELDS)))
        return groups


class RuleCreate(RuleFields):
    name: str = Field(min_length=1, max_length=100)


class RuleOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    rule_id: str
    name: str
    filter_groups: list[dict[str, Any]]
    team_id: str | None = None
    assignee_id: str | None = None
    strategy: str
    position: int
    enabled: bool
    version: int
    created_at: str
    updated_at: str


class RuleList(BaseModel):
    items: list[RuleOut]


class SimulateIn(Payload):
    """A ticket as it would be created; nothing is written."""

    ticket: TicketFields


class Decision(BaseModel):
    model_config = ConfigDict(defer_build=True)

    rule_id: str | None = None
    team_id: str | None = None
    assignee_id: str | None = None
    strategy: str | None = None
    reason: str


class SkillsIn(Payload):
    """Optional so an unknown agent is a 404 before the body is judged."""

    skills: list[Tag] | None = Field(default=None, max_length=50)


class SkillsOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    agent_id: str
    skills: list[str]
    open_tickets: int
