"""Request and response bodies of /tasks."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from crm_shared.validation import Payload

TaskType = Literal["call", "email", "meeting", "todo"]


class Links(Payload):
    lead_id: str | None = Field(default=None, pattern=r"^lea_[0-9A-Z]{26}$")
    contact_id: str | None = Field(default=None, pattern=r"^con_[0-9A-Z]{26}$")
    opportunity_id: str | None = Field(default=None, pattern=r"^opp_[0-9A-Z]{26}$")
    ticket_id: str | None = Field(default=None, pattern=r"^tkt_[0-9A-Z]{26}$")


class TaskFields(Payload):
    """On PATCH only the fields sent change (null clears); `links` replaces all links."""

    type: TaskType | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    notes: str | None = Field(default=None, max_length=10_000)
    due_at: AwareDatetime | None = None
    assignee_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$")
    remind_before_minutes: StrictInt | None = Field(default=None, ge=0, le=60 * 24 * 30)
    links: Links | None = None
    completed: bool | None = None


class TaskCreate(TaskFields):
    type: TaskType = "todo"
    title: str = Field(min_length=1, max_length=300)


class TaskOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    task_id: str
    type: str
    title: str
    notes: str | None = None
    due_at: str | None = None
    assignee_id: str | None = None
    remind_before_minutes: int | None = None
    remind_at: str | None = None
    links: dict[str, Any] = Field(default_factory=dict)
    completed: bool = False
    completed_at: str | None = None
    created_by: str | None = None
    created_at: str
    updated_at: str
    version: int


class TaskPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[TaskOut]
    next_cursor: str | None
