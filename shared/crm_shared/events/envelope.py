"""The event envelope every CRM event travels in (ARCHITECTURE §5)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from crm_shared import clock, context
from crm_shared.ids import new_id


class EventMetadata(BaseModel):
    """Unknown metadata is ignored, not refused: a producer deployed before its consumers
    may add a field (source_ip did) without their rejecting every event it sends."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(description="Unique per event; consumers deduplicate on it.")
    tenant_id: str
    occurred_at: str = Field(description="ISO 8601 UTC.")
    schema_version: int = Field(ge=1)
    correlation_id: str | None = None
    actor: str = Field(description="Who caused it: user:<id>, api_key:<id>, operator, system")
    source_ip: str | None = Field(default=None, description="The request's client IP, if any.")
    user_agent: str | None = Field(default=None, description="The request's User-Agent.")


class Event(BaseModel):
    """Base of every event's `data`. Subclasses name their bus `source` and `detail_type`.

    Consumers ignore unknown fields so that adding a field never breaks them; removing or
    retyping one is a breaking change that the schema test refuses.
    """

    model_config = ConfigDict(extra="ignore", defer_build=True)

    source: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    @classmethod
    def detail_type(cls) -> str:
        """PascalCase past tense, the class name itself (`ContactCreated`)."""
        return cls.__name__


class Envelope(BaseModel):
    """`detail` of the EventBridge event: metadata plus the event's data."""

    model_config = ConfigDict(extra="forbid")

    metadata: EventMetadata
    data: dict[str, Any]


def envelope_for(event: Event, tenant_id: str, actor: str | None = None) -> Envelope:
    """Wrap `event` with metadata taken from the current request or event context."""
    ctx = context.current()
    if actor is None:
        actor = ctx.principal.actor if ctx.principal else "system:crm"
    return Envelope(
        metadata=EventMetadata(
            event_id=new_id("evt"),
            tenant_id=tenant_id,
            occurred_at=clock.iso(),
            schema_version=type(event).schema_version,
            correlation_id=ctx.correlation_id,
            actor=actor,
            source_ip=ctx.source_ip,
            user_agent=ctx.user_agent,
        ),
        data=event.model_dump(mode="json"),
    )
