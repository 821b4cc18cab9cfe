"""Request and response bodies of /audit."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.audit.domain import MAX_RETENTION_DAYS
from crm_shared.validation import Payload


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    entry_id: str
    occurred_at: str
    recorded_at: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    event_type: str
    event_id: str
    correlation_id: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    service: str | None = None
    route: str | None = None
    changes: dict[str, dict[str, Any]] | None = Field(
        default=None, description="Per field: `before` (when the event carried it), `after`.")
    expires_at: str | None = None


class AuditPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[AuditEntryOut]
    next_cursor: str | None


class AuditSettingsIn(Payload):
    retention_days: int = Field(ge=1, le=MAX_RETENTION_DAYS,
                                description="How long new entries are kept (TTL).")


class AuditSettingsOut(BaseModel):
    retention_days: int
    version: int
    updated_at: str | None = None


class AnyBody(BaseModel):
    """Whatever a client sends to a write on the log: the answer is 405 all the same."""

    model_config = ConfigDict(extra="allow")


class Refusal(BaseModel):
    """Never sent: writes on the log answer 405 problem+json."""

    detail: str
