"""Request and response bodies of /leads."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_shared.validation import Payload

CompanySize = Literal["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]
WritableStatus = Literal["new", "working", "qualified", "disqualified"]
Text = Field(default=None, max_length=200)
USER_ID = r"^usr_[0-9A-Z]{26}$"
TEAM_ID = r"^tea_[0-9A-Z]{26}$"
SOURCE = r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,49}$"
TAG = r"[a-z0-9][a-z0-9 _.-]{0,49}"  # as contacts' tags (and workflows' add_tag)
MAX_TAGS = 20


class Utm(Payload):
    source: str | None = Field(default=None, max_length=200)
    medium: str | None = Field(default=None, max_length=200)
    campaign: str | None = Field(default=None, max_length=200)
    term: str | None = Field(default=None, max_length=200)
    content: str | None = Field(default=None, max_length=200)


class LeadFields(Payload):
    """Everything a client may write; on PATCH only the fields sent change (null clears)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=254)
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    company_name: str | None = Field(default=None, min_length=1, max_length=200)
    company_size: CompanySize | None = None
    industry: str | None = Field(default=None, min_length=1, max_length=100)
    title: str | None = Text
    source: str | None = Field(default=None, pattern=SOURCE)
    utm: Utm | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    owner_id: str | None = Field(default=None, pattern=USER_ID)
    team_id: str | None = Field(default=None, pattern=TEAM_ID)
    status: WritableStatus | None = None
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str] | None) -> list[str] | None:
        """Trimmed, lowercase, each once, sorted; shaped like contacts' tags."""
        if tags is None:
            return None
        tags = sorted({t.strip().lower() for t in tags})
        for index, tag in enumerate(tags):
            if not re.fullmatch(TAG, tag):
                raise ValueError(f"tag {index} ({tag!r}): letters, digits, space _ . - only")
        return tags


class LeadCreate(LeadFields):
    status: Literal["new", "working"] | None = None


class LeadOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    lead_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company_name: str | None = None
    company_size: str | None = None
    industry: str | None = None
    title: str | None = None
    source: str | None = None
    utm: dict[str, Any] = Field(default_factory=dict)
    notes: str | None = None
    owner_id: str | None = None
    team_id: str | None = None
    status: str
    tags: list[str] = Field(default_factory=list)
    duplicate_of: str | None = None
    assignment_status: str | None = None
    assignment_note: str | None = None
    contact_id: str | None = None
    company_id: str | None = None
    opportunity_id: str | None = None
    converted_at: str | None = None
    erased_at: str | None = None
    form_id: str | None = None
    created_by: str | None = None
    created_at: str
    updated_at: str
    version: int


class LeadPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[LeadOut]
    next_cursor: str | None
