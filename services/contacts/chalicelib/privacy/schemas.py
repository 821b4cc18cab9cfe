"""Request and response bodies of consent, erasure, data export and merge.

Request fields a route cannot do without are still optional here: the route must answer
404 for an unknown contact before it judges the body, so "missing" is checked in the use
case, after the lookup, and named as the field all the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.contacts.schemas import ContactOut
from crm_shared.validation import Payload

CHANNELS = ("email", "sms", "phone", "whatsapp", "wechat")
ConsentStatus = Literal["granted", "denied", "unsubscribed", "pending"]
LegalBasis = Literal["consent", "contract", "legitimate_interest", "legal_obligation",
                     "vital_interest", "public_task"]
MAX_MERGED = 10
ContactId = Annotated[str, Field(pattern=r"^con_[0-9A-Z]{26}$")]


class ConsentIn(Payload):
    """A consent statement. `source` is a short token (form, import, api, call, ...), never
    free text: history is kept, and free text invites personal data into it."""

    status: ConsentStatus | None = None
    legal_basis: LegalBasis | None = None
    source: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,49}$")
    obtained_at: datetime | None = Field(
        default=None, description="When the person gave or refused it (default: now).")


class ConsentOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    contact_id: str
    channel: str
    status: str
    legal_basis: str | None = None
    source: str
    obtained_at: str
    changed_at: str
    changed_by: str
    version: int


class ConsentList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ConsentOut]


class ConsentChange(BaseModel):
    change_id: str
    channel: str
    status: str
    legal_basis: str | None = None
    source: str
    obtained_at: str
    changed_at: str
    changed_by: str
    moved_from: str | None = None


class ConsentDetail(BaseModel):
    """The channel's current statement (null if none was ever recorded) and its history."""

    model_config = ConfigDict(defer_build=True)

    channel: str
    current: ConsentOut | None
    history: list[ConsentChange]
    next_cursor: str | None


class ErasureOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    contact_id: str
    erased_at: str
    erased_by: str
    counts: dict[str, int]


class DataExport(BaseModel):
    model_config = ConfigDict(defer_build=True)

    contact_id: str
    contact: dict[str, Any]
    records: dict[str, list[dict[str, Any]]]


class MergeIn(Payload):
    from_ids: list[ContactId] | None = Field(default=None, min_length=1, max_length=MAX_MERGED)


class MergedFrom(BaseModel):
    contact_id: str
    fields: list[str]
    merged_at: str


class MergeOut(BaseModel):
    """The survivor as GET shows it, plus what came from where (`merged_from`)."""

    model_config = ConfigDict(defer_build=True)

    contact: ContactOut
    merged_from: list[MergedFrom]
    merged_ids: list[str]
    moved: dict[str, int]
