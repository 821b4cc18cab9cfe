"""Bodies of /surveys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.validation import Payload


class ResponseIn(Payload):
    """`token` from the survey link; `score` when the link carried none (a one-click link's
    score stands: another one is refused)."""

    token: str = Field(min_length=1, max_length=1000)
    score: int | None = Field(default=None, ge=0, le=10)
    comment: str | None = Field(default=None, max_length=2000)


class ResponseOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    response_id: str
    survey_id: str
    kind: str
    score: int
    comment: str | None = None
    contact_id: str | None = None
    ticket_id: str | None = None
    responded_at: str


class ResponsePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ResponseOut]
    next_cursor: str | None


class SettingsIn(Payload):
    """The settings sent change; the others keep theirs."""

    csat_enabled: bool | None = None
    csat_reopen_on_low: bool | None = None
    nps_enabled: bool | None = None
    nps_interval_days: int | None = Field(default=None, ge=7, le=730)
    nps_follow_up_on_detractor: bool | None = None
    link_valid_days: int | None = Field(default=None, ge=1, le=365)


class SettingsOut(BaseModel):
    """CSAT after each resolution (a score <= 2 reopens the ticket), NPS per contact every
    `nps_interval_days` (a detractor, <= 6, gets a follow-up ticket)."""

    model_config = ConfigDict(defer_build=True)

    csat_enabled: bool
    csat_reopen_on_low: bool
    nps_enabled: bool
    nps_interval_days: int
    nps_follow_up_on_detractor: bool
    link_valid_days: int
