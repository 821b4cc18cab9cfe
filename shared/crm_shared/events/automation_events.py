"""Workflow automation's commands and answers (source crm.platform).

The platform's workflow engine asks the service that owns an entity to carry out one action
of a run (`WorkflowActionRequested`); that service answers `WorkflowActionCompleted` or
`WorkflowActionFailed`, which the engine records on the run before it sends the next one.
Actions no CRM service owns travel as their own commands: `WebhookCallRequested` (the
platform's webhooks feature) and `JourneyStartRequested` (marketing). Every command and
answer carries the run's loop-protection chain in its correlation id (crm_shared.automation).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from crm_shared.events.envelope import Event


class AutomationEvent(Event):
    source = "crm.platform"


class WorkflowActionRequested(AutomationEvent):
    """Carry out `action` (its type and parameters, already resolved) on the entity.

    `target_service` names the one service that acts; the others ignore the command.
    The acting service keys its effect on (`run_id`, `action_index`), so a command sent
    twice acts once.
    """

    run_id: str
    workflow_id: str
    workflow_version: int
    action_index: int
    action: dict[str, Any]
    target_service: str
    entity_type: str | None = None
    entity_id: str | None = None


class WorkflowActionCompleted(AutomationEvent):
    run_id: str
    workflow_id: str
    action_index: int
    result: dict[str, Any] = Field(default_factory=dict)


class WorkflowActionFailed(AutomationEvent):
    """The action cannot be carried out (`error`: code, message, field); the run stops."""

    run_id: str
    workflow_id: str
    action_index: int
    error: dict[str, Any]


class WebhookCallRequested(AutomationEvent):
    """Call a webhook for a workflow run: `webhook_id` (a registered endpoint) or `url`,
    with `payload` (the trigger event's data unless the action gave one)."""

    run_id: str
    workflow_id: str
    action_index: int
    webhook_id: str | None = None
    url: str | None = None
    event_type: str
    payload: dict[str, Any] = Field(default_factory=dict)


class JourneyStartRequested(AutomationEvent):
    """Enter `contact_id` into marketing's journey `journey_id` for a workflow run."""

    run_id: str
    workflow_id: str
    action_index: int
    journey_id: str
    contact_id: str
