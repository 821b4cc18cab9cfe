"""Request and response bodies of /interactions, the timelines and the 360 summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.contacts.schemas import ContactOut
from chalicelib.timeline.domain import MAX_PARTIES
from crm_shared.validation import Payload

Kind = Literal["call", "email", "meeting", "chat", "note", "complaint", "visit"]
MAX_BODY_BYTES = 65_536
ANY_ID = r"^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$"


def _body_size(body: str | None) -> str | None:
    if body is not None and len(body.encode()) > MAX_BODY_BYTES:
        raise ValueError(f"must be at most {MAX_BODY_BYTES} bytes (UTF-8)")
    return body


class Participant(Payload):
    """Exactly one of: a contact of the tenant, a user of the tenant, an outside email."""

    contact_id: str | None = Field(default=None, pattern=r"^con_[0-9A-HJKMNP-TV-Z]{26}$")
    user_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-HJKMNP-TV-Z]{26}$")
    email: str | None = Field(default=None, min_length=3, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=50)  # e.g. from, to, cc, attendee

    @model_validator(mode="after")
    def _one(self) -> Participant:
        if sum(v is not None for v in (self.contact_id, self.user_id, self.email)) != 1:
            raise ValueError("give exactly one of contact_id, user_id, email")
        return self


class InteractionEdit(Payload):
    """What PATCH may change."""

    subject: str | None = Field(default=None, max_length=500)
    body: str | None = None
    occurred_at: datetime | None = None
    duration_seconds: int | None = Field(default=None, ge=0, le=7 * 86_400)

    _body = field_validator("body")(_body_size)


class InteractionIn(InteractionEdit):
    kind: Kind
    direction: Literal["inbound", "outbound"] | None = None
    channel: str | None = Field(default=None, min_length=1, max_length=50)
    participants: list[Participant] = Field(default_factory=list, max_length=50)
    related_ids: list[str] = Field(default_factory=list, max_length=MAX_PARTIES * 2)
    owner_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-HJKMNP-TV-Z]{26}$")
    team_id: str | None = Field(default=None, pattern=r"^tea_[0-9A-HJKMNP-TV-Z]{26}$")

    @field_validator("related_ids")
    @classmethod
    def _ids(cls, ids: list[str]) -> list[str]:
        import re

        for index, value in enumerate(ids):
            if not re.fullmatch(ANY_ID, value):
                raise ValueError(f"item {index} ({value!r}) is not an id such as con_…, cmp_…, "
                                 "opp_…, tkt_…")
        return list(dict.fromkeys(ids))


class InteractionOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    interaction_id: str
    kind: str
    direction: str | None = None
    channel: str | None = None
    subject: str | None = None
    body: str | None = None
    occurred_at: str
    duration_seconds: int | None = None
    participants: list[dict[str, Any]] = Field(default_factory=list)
    related_ids: list[str] = Field(default_factory=list)
    party_ids: list[str] = Field(default_factory=list)
    owner_id: str | None = None
    team_id: str | None = None
    erased: bool = False
    created_at: str
    updated_at: str
    version: int


class SourceOut(BaseModel):
    service: str
    type: str
    id: str


class EntryOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    entry_id: str
    kind: str
    summary: str
    occurred_at: str
    source: SourceOut
    link: str | None = None


class TimelinePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[EntryOut]
    next_cursor: str | None


class CompanyBrief(BaseModel):
    company_id: str
    name: str | None = None
    domain: str | None = None


class SummaryOut(BaseModel):
    """The 360 card: the profile, its company, and the timeline's numbers."""

    model_config = ConfigDict(defer_build=True)

    contact: ContactOut
    company: CompanyBrief | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    total: int = 0
    last_occurred_at: str | None = None
    latest: list[EntryOut] = Field(default_factory=list)
    latest_by_kind: dict[str, list[EntryOut]] = Field(default_factory=dict)
