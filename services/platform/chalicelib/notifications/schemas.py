"""Request and response bodies of /notifications (they also document it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.validation import Payload

NoticeType = Literal["assigned", "mention", "sla", "sla_at_risk", "task_due", "approval"]


class Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


class NotificationOut(Out):
    notification_id: str
    type: str
    title: str
    body: str | None
    link: dict[str, str] | None
    event_type: str
    actor: str | None
    read: bool
    read_at: str | None
    created_at: str
    updated_at: str


class NotificationPage(Out):
    items: list[NotificationOut]
    next_cursor: str | None


class NotificationChange(Out):
    notification_id: str
    deleted: bool
    notification: NotificationOut | None = Field(description="None for a tombstone.")


class NotificationChanges(Out):
    items: list[NotificationChange]
    next_since: str | None = Field(description="Give it as `since` to get what changed next.")
    has_more: bool


class ReadAllOut(Out):
    marked: int
    remaining: bool


class TypePreference(Payload):
    in_app: bool = True
    digest: bool = Field(default=True, description="Include in the daily digest, if on.")


class PreferencesIn(Payload):
    types: dict[NoticeType, TypePreference] = Field(default_factory=dict)
    digest: bool = Field(default=False, description="A daily email of unread notices.")


class PreferencesOut(Out):
    types: dict[str, TypePreference]
    digest: bool
