"""Request and response bodies of /templates and /sender-identities."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.validation import Payload

MAX_HTML = 200_000


class TemplateFields(Payload):
    """On PATCH only the fields sent change; the whole template is re-checked."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    subject: str | None = Field(default=None, max_length=300)
    html: str | None = Field(default=None, max_length=MAX_HTML)
    text: str | None = Field(default=None, max_length=MAX_HTML)


class TemplateCreate(TemplateFields):
    name: str = Field(min_length=1, max_length=120)
    channel: Literal["email", "sms"]
    purpose: Literal["marketing", "transactional"] = "marketing"


class PreviewIn(Payload):
    """Render against a known contact (or sample data), with extra `variables`."""

    contact_id: str | None = Field(default=None, max_length=40)
    variables: dict[str, Any] | None = None


class TemplateOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    template_id: str
    name: str
    channel: str
    purpose: str
    subject: str | None = None
    html: str | None = None
    text: str | None = None
    created_at: str
    updated_at: str
    version: int


class TemplatePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[TemplateOut]
    next_cursor: str | None


class Rendered(BaseModel):
    model_config = ConfigDict(defer_build=True)

    subject: str | None = None
    html: str | None = None
    text: str | None = None


class SenderIn(Payload):
    email: str = Field(min_length=3, max_length=254)
    name: str | None = Field(default=None, max_length=120)
    is_default: bool = False


class SenderOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    identity_id: str
    email: str
    name: str | None = None
    status: str
    is_default: bool
    created_at: str


class SenderList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[SenderOut]
