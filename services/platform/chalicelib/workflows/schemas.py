"""Request and response bodies of /workflows: a trigger, conditions and ordered actions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from crm_shared.filters import MAX_FILTER_GROUPS, FilterGroup
from crm_shared.validation import Payload

MAX_ACTIONS = 20
USER_ID = r"^usr_[0-9A-Z]{26}$"
TEAM_ID = r"^tea_[0-9A-Z]{26}$"
TAG = r"^[a-z0-9][a-z0-9 _.-]{0,49}$"
FIELD = r"^[a-z][a-z0-9_]{0,63}$"


class Trigger(Payload):
    event_type: str = Field(min_length=1, max_length=80,
                            description="Any detail-type of the event catalog.")


class SetField(Payload):
    type: Literal["set_field"]
    field: str = Field(pattern=FIELD)
    value: Any = Field(description="Checked by the service owning the entity; null clears.")


class AssignOwner(Payload):
    """A named user, or the next member of a team in turn (round robin)."""

    type: Literal["assign_owner"]
    user_id: str | None = Field(default=None, pattern=USER_ID)
    team_id: str | None = Field(default=None, pattern=TEAM_ID)

    @model_validator(mode="after")
    def _one(self) -> AssignOwner:
        if (self.user_id is None) == (self.team_id is None):
            raise ValueError("give exactly one of user_id and team_id")
        return self


class AddTag(Payload):
    type: Literal["add_tag"]
    tag: str = Field(pattern=TAG)


class RemoveTag(Payload):
    type: Literal["remove_tag"]
    tag: str = Field(pattern=TAG)


class CreateTask(Payload):
    type: Literal["create_task"]
    title: str = Field(min_length=1, max_length=300)
    task_type: Literal["call", "email", "meeting", "todo"] = "todo"
    notes: str | None = Field(default=None, max_length=10_000)
    due_in_minutes: StrictInt | None = Field(default=None, ge=0, le=60 * 24 * 365)
    assignee_id: str | None = Field(default=None, pattern=USER_ID,
                                    description="None: the entity's owner.")


class SendMessage(Payload):
    """Email or SMS through marketing's transactional messaging; `subject`, `text` and
    `html` are Jinja2 with the trigger event's data as `variables`."""

    type: Literal["send_message"]
    channel: Literal["email", "sms"]
    to: Literal["contact", "address"] = "contact"
    to_address: str | None = Field(default=None, min_length=3, max_length=254)
    template_id: str | None = Field(default=None, max_length=40)
    subject: str | None = Field(default=None, max_length=300)
    text: str | None = Field(default=None, max_length=20_000)
    html: str | None = Field(default=None, max_length=100_000)

    @model_validator(mode="after")
    def _shape(self) -> SendMessage:
        if (self.to == "address") != (self.to_address is not None):
            raise ValueError("to_address is required with to=address, and only then")
        inline = any(v is not None for v in (self.subject, self.text, self.html))
        if (self.template_id is None) == (not inline):
            raise ValueError("give either template_id or an inline subject/text/html")
        if inline and self.channel == "email" and not (self.subject and (self.text or self.html)):
            raise ValueError("an inline email needs a subject and a text or html body")
        if inline and self.channel == "sms" and (not self.text or self.subject or self.html):
            raise ValueError("an inline SMS has text only")
        return self


class RequestApproval(Payload):
    type: Literal["request_approval"]
    approver_id: str | None = Field(default=None, pattern=USER_ID,
                                    description="None: any of the tenant's admins.")
    reason: str = Field(min_length=1, max_length=500)


class StartJourney(Payload):
    type: Literal["start_journey"]
    journey_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")


class CallWebhook(Payload):
    type: Literal["call_webhook"]
    webhook_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    url: str | None = Field(default=None, pattern=r"^https://[^\s]{1,2000}$")

    @model_validator(mode="after")
    def _one(self) -> CallWebhook:
        if (self.webhook_id is None) == (self.url is None):
            raise ValueError("give exactly one of webhook_id and url")
        return self


class Wait(Payload):
    """Pause the run, then continue with the next action."""

    type: Literal["wait"]
    minutes: StrictInt = Field(default=0, ge=0, le=60 * 24 * 90)
    hours: StrictInt = Field(default=0, ge=0, le=24 * 90)
    days: StrictInt = Field(default=0, ge=0, le=90)

    @model_validator(mode="after")
    def _some(self) -> Wait:
        if not (self.minutes or self.hours or self.days):
            raise ValueError("wait for at least a minute")
        if self.seconds > 90 * 86_400:
            raise ValueError("wait at most 90 days")
        return self

    @property
    def seconds(self) -> int:
        return ((self.days * 24 + self.hours) * 60 + self.minutes) * 60


Action = Annotated[
    SetField | AssignOwner | AddTag | RemoveTag | CreateTask | SendMessage | RequestApproval
    | StartJourney | CallWebhook | Wait,
    Field(discriminator="type"),
]


class WorkflowFields(Payload):
    """A whole workflow (POST, PUT); PATCH sends only what changes."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    enabled: bool = True
    trigger: Trigger
    conditions: list[FilterGroup] = Field(
        default_factory=list, max_length=MAX_FILTER_GROUPS,
        description="Filter groups (OR of ANDs) over the event's data, e.g. lead.source.")
    actions: list[Action] = Field(min_length=1, max_length=MAX_ACTIONS)
    max_runs_per_hour: StrictInt = Field(
        default=10, ge=1, le=1000, description="Runs per entity per hour, at most.")


class WorkflowPatch(Payload):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    enabled: bool | None = None
    trigger: Trigger | None = None
    conditions: list[FilterGroup] | None = Field(default=None, max_length=MAX_FILTER_GROUPS)
    actions: list[Action] | None = Field(default=None, min_length=1, max_length=MAX_ACTIONS)
    max_runs_per_hour: StrictInt | None = Field(default=None, ge=1, le=1000)


class WorkflowReplace(WorkflowPatch):
    """A whole workflow, as POST takes it: `name`, `trigger` and `actions` are required
    (checked once the workflow is found, so another tenant's id is a 404 whatever the body)."""


class Simulate(Payload):
    """A sample event: its `data` as the bus would carry it (`event_type` defaults to the
    workflow's trigger)."""

    event_type: str | None = Field(default=None, min_length=1, max_length=80)
    data: dict[str, Any] = Field(default_factory=dict)


class Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


class WorkflowOut(Out):
    workflow_id: str
    name: str
    description: str | None = None
    enabled: bool
    trigger: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    max_runs_per_hour: int
    created_by: str | None = None
    created_at: str
    updated_at: str
    version: int


class WorkflowPage(Out):
    items: list[WorkflowOut]
    next_cursor: str | None


class ConditionResult(Out):
    group: int
    matched: bool
    filters: list[dict[str, Any]]


class ActionState(Out):
    index: int
    type: str
    status: Literal["pending", "requested", "waiting", "completed", "failed", "skipped"]
    target_service: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    requested_at: str | None = None
    finished_at: str | None = None
    resume_at: str | None = None


class RunOut(Out):
    run_id: str
    workflow_id: str
    workflow_version: int
    status: Literal["running", "waiting", "completed", "failed"]
    trigger: dict[str, Any]
    depth: int
    caused_by_run: str | None = None
    conditions: list[ConditionResult]
    actions: list[ActionState]
    started_at: str
    updated_at: str
    finished_at: str | None = None


class RunPage(Out):
    items: list[RunOut]
    next_cursor: str | None


class Command(Out):
    action_index: int
    type: str
    event_type: str | None = Field(default=None, description="The command event sent.")
    target_service: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    action: dict[str, Any]


class SimulationOut(Out):
    matched: bool
    skipped_reason: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    conditions: list[ConditionResult]
    commands: list[Command]
