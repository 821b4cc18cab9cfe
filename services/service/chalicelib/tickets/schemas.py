"""Request and response bodies of /tickets, its comments and history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from crm_shared.validation import Payload

Channel = Literal["email", "web", "phone", "chat", "social", "api"]
TicketType = Literal["question", "incident", "complaint", "request", "return"]
Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "pending", "on_hold", "resolved", "closed"]
USER_ID = r"^usr_[0-9A-HJKMNP-TV-Z]{26}$"
TEAM_ID = r"^tea_[0-9A-HJKMNP-TV-Z]{26}$"
CONTACT_ID = r"^con_[0-9A-HJKMNP-TV-Z]{26}$"
COMPANY_ID = r"^cmp_[0-9A-HJKMNP-TV-Z]{26}$"
FILE_ID = r"^fil_[0-9A-HJKMNP-TV-Z]{26}$"
Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$",
                                       to_lower=True, strip_whitespace=True)]
Tier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$",
                                        to_lower=True, strip_whitespace=True)]
Scalar = str | int | float | bool | None
MAX_PROPERTIES = 50


class TicketFields(Payload):
    """Everything a client may write; on PATCH only the fields sent change (null clears)."""

    subject: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    channel: Channel | None = None
    type: TicketType | None = None
    priority: Priority | None = None
    status: Status | None = None
    contact_id: str | None = Field(default=None, pattern=CONTACT_ID)
    company_id: str | None = Field(default=None, pattern=COMPANY_ID)
    assignee_id: str | None = Field(default=None, pattern=USER_ID)
    team_id: str | None = Field(default=None, pattern=TEAM_ID)
    customer_tier: Tier | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    properties: dict[str, Scalar] | None = None

    @field_validator("properties")
    @classmethod
    def _properties(cls, value: dict[str, Scalar] | None) -> dict[str, Scalar] | None:
        if value is not None:
            if len(value) > MAX_PROPERTIES:
                raise ValueError(f"at most {MAX_PROPERTIES} properties")
            for key, item in value.items():
                if not key or len(key) > 64 or not key.replace("_", "a").isalnum():
                    raise ValueError(f"{key!r} is not a property name (a-z, 0-9, _)")
                if isinstance(item, str) and len(item) > 2000:
                    raise ValueError(f"{key} is longer than 2000 characters")
        return value


class TicketCreate(TicketFields):
    subject: str = Field(min_length=1, max_length=300)
    status: Literal["new", "open", "pending", "on_hold"] | None = None


class SlaOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    policy_id: str | None = None
    business_hours_id: str | None = None
    first_response_due: str | None = None
    resolution_due: str | None = None
    first_response_target_minutes: int | None = None
    resolution_target_minutes: int | None = None
    first_response_breached: bool = False
    resolution_breached: bool = False
    breached: bool = False
    paused: bool = False
    running_since: str | None = None
    remaining_seconds: int | None = None


class TicketMetrics(BaseModel):
    """Business seconds the SLA clock ran until the first public reply and resolution."""

    model_config = ConfigDict(defer_build=True)

    first_response_seconds: int | None = None
    resolution_seconds: int | None = None


class TicketOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    ticket_id: str
    subject: str
    description: str | None = None
    channel: str
    type: str
    priority: str
    status: str
    contact_id: str | None = None
    company_id: str | None = None
    assignee_id: str | None = None
    team_id: str | None = None
    customer_tier: str | None = None
    tags: list[str] = Field(default_factory=list)
    properties: dict[str, Any] = Field(default_factory=dict)
    created_by: str | None = None
    first_response_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    reopen_count: int = 0
    public_reply_count: int = 0
    routing: dict[str, Any] | None = None
    sla: SlaOut | None = None
    metrics: TicketMetrics = Field(default_factory=TicketMetrics)
    erased: bool = False
    created_at: str
    updated_at: str
    version: int


class TicketPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[TicketOut]
    next_cursor: str | None


class CommentIn(Payload):
    """`body` is optional here so an unknown ticket is a 404 before the body is judged;
    the use case names it when missing. `author_contact_id` records the customer's own
    message (always public); otherwise the caller is the author."""

    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    public: bool = False
    author_contact_id: str | None = Field(default=None, pattern=CONTACT_ID)
    attachments: list[Annotated[str, StringConstraints(pattern=FILE_ID)]] = Field(
        default_factory=list, max_length=10)


class CommentOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    comment_id: str
    ticket_id: str
    body: str | None = None
    public: bool
    author_kind: str
    author_id: str | None = None
    author_contact_id: str | None = None
    attachments: list[str] = Field(default_factory=list)
    erased: bool = False
    created_at: str


class CommentPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[CommentOut]
    next_cursor: str | None


class HistoryOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    entry_id: str
    from_status: str | None = None
    to_status: str
    at: str
    by: str | None = None


class HistoryPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[HistoryOut]
    next_cursor: str | None
