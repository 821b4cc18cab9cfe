"""Bodies of /tickets/inbound/quarantine."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class QuarantineOut(BaseModel):
    """An inbound email that became no ticket, and why (too_large, malformed,
    unknown_address, unprocessable)."""

    model_config = ConfigDict(defer_build=True)

    quarantine_id: str
    reason: str
    detail: str | None = None
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None
    size: int
    received_at: str


class QuarantinePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[QuarantineOut]
    next_cursor: str | None
