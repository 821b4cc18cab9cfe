"""Request and response bodies of /contacts."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_shared.filters import SearchPlan
from crm_shared.validation import Payload

LifecycleStage = Literal["subscriber", "lead", "opportunity", "customer", "evangelist", "other"]
Label = Field(default=None, max_length=50)
MAX_EMAILS = 10
MAX_PHONES = 10
MAX_TAGS = 50


class EmailIn(Payload):
    address: str = Field(min_length=3, max_length=254)
    label: str | None = Label
    primary: bool = False


class PhoneIn(Payload):
    number: str = Field(min_length=3, max_length=40)
    label: str | None = Label
    primary: bool = False


class AddressIn(Payload):
    label: str | None = Label
    street: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class ImportantDate(Payload):
    label: str = Field(min_length=1, max_length=100)
    date: date


def _tags(tags: list[str] | None) -> list[str] | None:
    return None if tags is None else sorted({t.strip().lower() for t in tags})


class ContactFields(Payload):
    """Everything a client may write; on PATCH only the fields sent change."""

    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    emails: list[EmailIn] | None = Field(default=None, max_length=MAX_EMAILS)
    phones: list[PhoneIn] | None = Field(default=None, max_length=MAX_PHONES)
    addresses: list[AddressIn] | None = Field(default=None, max_length=10)
    social: dict[str, str] | None = Field(default=None, max_length=20)
    company_id: str | None = Field(default=None, pattern=r"^cmp_[0-9A-Z]{26}$")
    title: str | None = Field(default=None, max_length=200)
    owner_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")
    team_id: str | None = Field(default=None, pattern=r"^tea_[0-9A-Z]{26}$")
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    lifecycle_stage: LifecycleStage | None = None
    source: str | None = Field(default=None, max_length=100)
    birthday: date | None = None
    important_dates: list[ImportantDate] | None = Field(default=None, max_length=20)
    preferences: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None

    _normalize_tags = field_validator("tags")(_tags)

    @field_validator("tags")
    @classmethod
    def _tag_shape(cls, tags: list[str] | None) -> list[str] | None:
        import re

        for index, tag in enumerate(tags or []):
            if not re.fullmatch(r"[a-z0-9][a-z0-9 _.-]{0,49}", tag):
                raise ValueError(f"tag {index} ({tag!r}): letters, digits, space _ . - only")
        return tags


class ContactCreate(ContactFields):
    lifecycle_stage: LifecycleStage | None = "lead"


class EmailOut(BaseModel):
    address: str
    label: str | None = None
    primary: bool = False


class PhoneOut(BaseModel):
    number: str
    label: str | None = None
    primary: bool = False


class ContactOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    contact_id: str
    first_name: str | None = None
    last_name: str | None = None
    emails: list[EmailOut] = Field(default_factory=list)
    phones: list[PhoneOut] = Field(default_factory=list)
    addresses: list[dict[str, Any]] = Field(default_factory=list)
    social: dict[str, str] = Field(default_factory=dict)
    company_id: str | None = None
    title: str | None = None
    owner_id: str | None = None
    team_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    lifecycle_stage: str | None = None
    source: str | None = None
    source_lead_id: str | None = None  # the sales lead it was converted from
    birthday: str | None = None
    important_dates: list[dict[str, Any]] = Field(default_factory=list)
    preferences: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    version: int


class ContactPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ContactOut]
    next_cursor: str | None


class SearchPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ContactOut]
    next_cursor: str | None
    plan: SearchPlan


class Change(BaseModel):
    op: Literal["upsert", "delete"]
    contact_id: str
    updated_at: str
    contact: ContactOut | None = None


class ChangePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[Change]
    next_since: str | None
    has_more: bool
