"""Request and response bodies of /segments."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.validation import Payload

ContactId = Field(pattern=r"^con_[0-9A-Z]{26}$")


class SegmentFields(Payload):
    """On PATCH only the fields sent change; a new `filter` re-evaluates the segment."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)
    filter: dict[str, Any] | None = Field(
        default=None, description="`{filter_groups: [...]}` over the contact read model "
        "(dynamic segments only).")


class SegmentCreate(SegmentFields):
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["dynamic", "static"] = "dynamic"


class PreviewIn(Payload):
    filter: dict[str, Any] = Field(description="`{filter_groups: [...]}` to count.")
    sample: int = Field(default=10, ge=0, le=50)


class MembersIn(Payload):
    """Contacts to add to a static list (checked after the list is found)."""

    contact_ids: list[str] | None = Field(default=None, max_length=100)


class Evaluation(BaseModel):
    evaluation_id: str | None = None
    status: str | None = None
    scanned: int = 0
    evaluated_at: str | None = None


class SegmentOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    segment_id: str
    name: str
    kind: str
    description: str | None = None
    filter: dict[str, Any] | None = None
    member_count: int
    evaluation: Evaluation
    created_at: str
    updated_at: str
    version: int


class SegmentPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[SegmentOut]
    next_cursor: str | None


class MemberOut(BaseModel):
    contact_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    added_at: str


class MemberPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[MemberOut]
    next_cursor: str | None


class PreviewOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    count: int
    scanned: int
    truncated: bool
    sample: list[MemberOut]


class MembersAdded(BaseModel):
    model_config = ConfigDict(defer_build=True)

    added: int
    member_count: int
