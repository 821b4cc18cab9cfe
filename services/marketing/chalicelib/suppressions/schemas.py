"""Request and response bodies of /suppressions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.validation import Payload


class SuppressionIn(Payload):
    channel: Literal["email", "sms"] = "email"
    address: str = Field(min_length=3, max_length=254)
    reason: Literal["manual", "unsubscribe", "hard_bounce", "complaint"] = "manual"
    note: str | None = Field(default=None, max_length=500)


class SuppressionOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    suppression_id: str
    channel: str
    reason: str
    address: str | None = None  # gone for erased people: only the hash remains
    note: str | None = None
    created_at: str


class SuppressionPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[SuppressionOut]
    next_cursor: str | None
