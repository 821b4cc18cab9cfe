"""Request and response bodies of /leads/forms."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from crm_shared.validation import Payload

LEAD_TARGETS = frozenset({"name", "email", "phone", "company_name", "company_size", "industry",
                          "title", "notes", "utm.source", "utm.medium", "utm.campaign",
                          "utm.term", "utm.content"})
FIELD_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,64}")
ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:\d{1,5})?")


class FormFields(Payload):
    """On PATCH only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    allowed_origins: list[str] | None = Field(default=None, max_length=20)
    field_map: dict[str, str] | None = Field(default=None, max_length=50,
                                             description="form field -> lead field")
    default_source: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,49}$")
    default_owner_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")
    honeypot_field: str | None = Field(default=None, max_length=64)
    rate_limit_per_minute: StrictInt | None = Field(default=None, ge=1, le=10_000)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str] | None) -> list[str] | None:
        if origins is None:
            return None
        out = []
        for index, raw in enumerate(origins):
            origin = raw.strip().lower().rstrip("/")
            if not ORIGIN.fullmatch(origin):
                raise ValueError(f"origin {index} ({raw!r}) must be scheme://host[:port]")
            out.append(origin)
        return sorted(set(out))

    @field_validator("field_map")
    @classmethod
    def _map(cls, mapping: dict[str, str] | None) -> dict[str, str] | None:
        for form_field, target in (mapping or {}).items():
            if not FIELD_NAME.fullmatch(form_field):
                raise ValueError(f"{form_field!r} is not a form field name")
            if target not in LEAD_TARGETS:
                raise ValueError(f"{form_field!r} maps to {target!r}, not a lead field "
                                 f"({', '.join(sorted(LEAD_TARGETS))})")
        return mapping


class FormCreate(FormFields):
    name: str = Field(min_length=1, max_length=120)
    field_map: dict[str, str] = Field(min_length=1, max_length=50)


class FormOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    form_id: str
    form_key: str
    name: str
    allowed_origins: list[str] = Field(default_factory=list)
    field_map: dict[str, str]
    default_source: str | None = None
    default_owner_id: str | None = None
    honeypot_field: str | None = None
    rate_limit_per_minute: int
    created_at: str
    updated_at: str
    version: int


class FormPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[FormOut]
    next_cursor: str | None


class Submission(BaseModel):
    """A visitor's form post: any fields; the form's mapping decides what they mean."""

    model_config = ConfigDict(extra="allow", defer_build=True)


class Received(BaseModel):
    model_config = ConfigDict(defer_build=True)

    status: str
    lead_id: str | None = None
