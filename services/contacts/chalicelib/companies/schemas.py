"""Request and response bodies of /companies."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from chalicelib.contacts.schemas import AddressIn
from crm_shared.filters import SearchPlan
from crm_shared.money import Money
from crm_shared.validation import Payload

MAX_TAGS = 20  # each tag is an entry item in the write's transaction (100 items at most)
TAG = re.compile(r"[a-z0-9][a-z0-9 _.-]{0,49}")


class CompanyFields(Payload):
    """Everything a client may write; on PATCH only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    domain: str | None = Field(default=None, min_length=1, max_length=300)
    industry: str | None = Field(default=None, min_length=1, max_length=100)
    employees: StrictInt | None = Field(default=None, ge=0, le=10**8)
    annual_revenue: Money | None = None
    addresses: list[AddressIn] | None = Field(default=None, max_length=10)
    parent_id: str | None = Field(default=None, pattern=r"^cmp_[0-9A-Z]{26}$")
    owner_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")
    team_id: str | None = Field(default=None, pattern=r"^tea_[0-9A-Z]{26}$")
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    properties: dict[str, Any] | None = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str] | None) -> list[str] | None:
        if tags is None:
            return None
        normalized = sorted({t.strip().lower() for t in tags})
        for index, tag in enumerate(normalized):
            if not TAG.fullmatch(tag):
                raise ValueError(f"tag {index} ({tag!r}): letters, digits, space _ . - only")
        return normalized


class CompanyCreate(CompanyFields):
    name: str = Field(min_length=1, max_length=200)


class CompanyOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    company_id: str
    name: str
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: dict[str, Any] | None = None
    addresses: list[dict[str, Any]] = Field(default_factory=list)
    parent_id: str | None = None
    owner_id: str | None = None
    team_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    properties: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    version: int


class CompanyPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[CompanyOut]
    next_cursor: str | None


class SearchPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[CompanyOut]
    next_cursor: str | None
    plan: SearchPlan


class Change(BaseModel):
    op: Literal["upsert", "delete"]
    company_id: str
    updated_at: str
    company: CompanyOut | None = None


class ChangePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[Change]
    next_since: str | None
    has_more: bool


class Node(BaseModel):
    company_id: str
    name: str | None = None
    parent_id: str | None = None
    depth: int  # negative above the company (ancestors), positive below it


class Hierarchy(BaseModel):
    model_config = ConfigDict(defer_build=True)

    company: Node
    ancestors: list[Node]
    descendants: list[Node]
    truncated: bool


CompanyId = Annotated[str, Field(pattern=r"^cmp_[0-9A-HJKMNP-TV-Z]{26}$")]
MAX_MERGED = 10


class CompanyMergeIn(Payload):
    """Optional here so that an unknown survivor is a 404 before the body is judged; the
    use case names `merge_ids` when it is missing."""

    merge_ids: list[CompanyId] | None = Field(default=None, min_length=1, max_length=MAX_MERGED)


class CompanyMergeOut(BaseModel):
    """The survivor as GET shows it, what was merged, and what each feature moved."""

    model_config = ConfigDict(defer_build=True)

    company: CompanyOut
    merged_ids: list[str]
    moved: dict[str, int]
