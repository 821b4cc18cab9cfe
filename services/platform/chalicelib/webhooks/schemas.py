"""Request and response bodies of /webhooks (they also document it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from crm_shared.events.catalog import CATALOG
from crm_shared.filters import MAX_FILTER_GROUPS, FilterGroup
from crm_shared.validation import Payload


def _known(event_type: str) -> str:
    if event_type not in CATALOG:
        raise ValueError("is not an event type of the catalog")
    return event_type


EventType = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_known)]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=40)]
Url = Annotated[str, Field(min_length=8, max_length=2048)]
ROLE_HELP = (
    "The role the receiver acts as: every delivered body is masked with that role's field "
    "permissions (/permissions/fields), exactly as the API masks a user with the role, so a "
    "`viewer` subscription receives no contact phones. Like a CRM's integration user, it is "
    "chosen per subscription and defaults to `viewer`, the least a receiver can see: give "
    "`admin` (or another role) for a receiver that needs more.")
WebhookRole = Literal["admin", "manager", "sales_rep", "support_agent", "marketer", "viewer"]


class WebhookFilter(Payload):
    """Filter groups over the event's `data` (OR of ANDs, the CRM's one filter grammar)."""

    filter_groups: list[FilterGroup] = Field(min_length=1, max_length=MAX_FILTER_GROUPS)


class WebhookCreate(Payload):
    url: Url
    event_types: EventTypes
    filter: WebhookFilter | None = None
    description: str | None = Field(default=None, max_length=500)
    role: WebhookRole = Field(default="viewer", description=ROLE_HELP)


class WebhookUpdate(Payload):
    url: Url | None = None
    event_types: EventTypes | None = None
    filter: WebhookFilter | None = None
    description: str | None = Field(default=None, max_length=500)
    role: WebhookRole | None = Field(default=None, description=ROLE_HELP)
    enabled: bool | None = None


class WebhookSettings(Payload):
    disable_after_failures: int = Field(ge=1, le=1000)


class Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


class WebhookOut(Out):
    webhook_id: str
    url: str
    description: str | None
    event_types: list[str]
    filter: dict[str, Any] | None
    role: str = Field(description=ROLE_HELP)
    enabled: bool
    disabled_reason: str | None
    key_ids: list[str] = Field(description="Live signing keys, newest first.")
    created_at: str
    updated_at: str
    version: int


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="Shown once: keep it to verify X-CRM-Signature.")
    key_id: str


class WebhookPage(Out):
    items: list[WebhookOut]
    next_cursor: str | None


class SecretOut(Out):
    webhook_id: str
    key_id: str
    secret: str = Field(description="Shown once.")
    previous_key_id: str | None
    previous_expires_at: str | None


class WebhookSettingsOut(Out):
    disable_after_failures: int


class AttemptOut(Out):
    at: str
    status: str
    latency_ms: int | None
    response_code: int | None
    error: str | None


class DeliveryOut(Out):
    delivery_id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    attempt_count: int
    attempts: list[AttemptOut]
    next_attempt_at: str | None
    replay_of: str | None
    error: str | None
    created_at: str
    updated_at: str
    completed_at: str | None
    payload: dict[str, Any]


class DeliveryPage(Out):
    items: list[DeliveryOut]
    next_cursor: str | None
