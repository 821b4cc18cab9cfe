"""Request and response bodies of /journeys."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.validation import Payload

StepId = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")]
FilterBody = dict[str, Any]


class Trigger(Payload):
    """`event_type` from the event catalog; `filter` (`{filter_groups: [...]}`) over the
    event's data, e.g. `form_id` of FormSubmitted or `contact.lifecycle_stage`."""

    event_type: str = Field(max_length=80)
    filter: FilterBody | None = None


class Reentry(Payload):
    """May a contact enter again after leaving: never, always, or after `days`."""

    mode: Literal["never", "always", "after_days"] = "never"
    days: int | None = Field(default=None, ge=1, le=3650)


class StepBase(Payload):
    id: StepId
    next: StepId | None = Field(default=None, description=(
        "The step after this one; default: the next in the list (the end after the last)."))


class SendStep(StepBase):
    type: Literal["send_message"]
    template_id: str = Field(max_length=40)


class WaitStep(StepBase):
    type: Literal["wait"]
    days: int = Field(default=0, ge=0, le=365)
    hours: int = Field(default=0, ge=0, le=24 * 365)
    minutes: int = Field(default=0, ge=0, le=60 * 24)


class WaitEventStep(StepBase):
    """Wait until the journey's last message is opened or clicked, at most `timeout_hours`."""

    type: Literal["wait_until"]
    event: Literal["opened", "clicked"]
    timeout_hours: int = Field(ge=1, le=24 * 90)


class BranchStep(Payload):
    """`condition` (the last message opened/clicked) or `filter` over the contact's segment
    record; go to `then` when it holds, else to `else` (null: leave the journey)."""

    id: StepId
    type: Literal["branch"]
    condition: Literal["opened", "clicked"] | None = None
    filter: FilterBody | None = None
    then: StepId | None = None
    otherwise: StepId | None = Field(default=None, alias="else")

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True,
                              populate_by_name=True)


class UpdateContactStep(StepBase):
    """Carried out by the contacts service (a WorkflowActionRequested command)."""

    type: Literal["update_contact"]
    add_tag: str | None = Field(default=None, min_length=1, max_length=60)
    lifecycle_stage: Literal["subscriber", "lead", "opportunity", "customer", "evangelist",
                             "other"] | None = None  # the contacts service's stages


class TaskStep(StepBase):
    """Carried out by the sales service (a WorkflowActionRequested command)."""

    type: Literal["create_task"]
    title: str = Field(min_length=1, max_length=200)
    task_type: Literal["call", "email", "meeting", "todo"] = "todo"
    assignee_id: str | None = Field(default=None, max_length=40)
    due_in_days: int | None = Field(default=None, ge=0, le=365)


class ExitStep(Payload):
    id: StepId
    type: Literal["exit"]


Step = Annotated[SendStep | WaitStep | WaitEventStep | BranchStep | UpdateContactStep
                 | TaskStep | ExitStep, Field(discriminator="type")]


class JourneyFields(Payload):
    """On PATCH: rename, pause or activate (the steps of a journey with people in it stay)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: Literal["active", "paused"] | None = None


class JourneyCreate(Payload):
    name: str = Field(min_length=1, max_length=200)
    status: Literal["active", "paused"] = "active"
    trigger: Trigger
    reentry: Reentry = Field(default_factory=Reentry)
    steps: list[Step] = Field(min_length=1, max_length=50)


class EnrollIn(Payload):
    """Checked after the journey is found (another tenant's journey is a 404 first)."""

    contact_id: str | None = Field(default=None, pattern=r"^con_[0-9A-Z]{26}$")


class StepStats(BaseModel):
    entered: int = 0
    completed: int = 0
    exited: int = 0


class JourneyOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    journey_id: str
    name: str
    status: str
    trigger: dict[str, Any]
    reentry: dict[str, Any]
    steps: list[dict[str, Any]]
    stats: dict[str, int]
    step_stats: dict[str, StepStats] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    version: int


class JourneyPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[JourneyOut]
    next_cursor: str | None


class EnrollmentOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    enrollment_id: str
    journey_id: str
    contact_id: str
    status: str
    step_id: str | None = None
    outcome: str | None = None
    history: list[str]
    entered_at: str
    finished_at: str | None = None


class EnrollmentPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[EnrollmentOut]
    next_cursor: str | None


class Enrolled(BaseModel):
    model_config = ConfigDict(defer_build=True)

    enrolled: bool
    enrollment: EnrollmentOut | None = None
