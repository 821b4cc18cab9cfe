"""The engine's subscriptions: every event of every source (one rule per source), and the
actions the platform itself carries out (messages, webhook calls, journeys)."""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.consumers import consumer
from chalicelib.workflows import engine
from crm_shared.automation import carry_out
from crm_shared.errors import ValidationFailed
from crm_shared.events.automation_events import (
    JourneyStartRequested,
    WebhookCallRequested,
    WorkflowActionCompleted,
    WorkflowActionFailed,
    WorkflowActionRequested,
)
from crm_shared.events.consumer import EventContext
from crm_shared.events.envelope import Event
from crm_shared.unit_of_work import UnitOfWork

SOURCES = ("crm.contacts", "crm.sales", "crm.service", "crm.marketing", "crm.platform")


def on_any_event(event: Event, ctx: EventContext, uow: UnitOfWork) -> None:
    if isinstance(event, WorkflowActionRequested):
        carry_out(SERVICE, event, ctx, uow, perform)
    elif isinstance(event, WorkflowActionCompleted):
        engine.on_completed(event, ctx, uow)
    elif isinstance(event, WorkflowActionFailed):
        engine.on_failed(event, ctx, uow)
    else:
        engine.on_event(event, ctx, uow)


for _source in SOURCES:
    consumer.on_source(_source)(on_any_event)


def perform(uow: UnitOfWork, tenant_id: str, command: WorkflowActionRequested
            ) -> dict[str, Any]:
    """Carry out an action no other service owns; returns its result for the run log."""
    action = command.action
    common = {"run_id": command.run_id, "workflow_id": command.workflow_id,
              "action_index": command.action_index}
    if action["type"] == "call_webhook":
        from chalicelib.webhooks.logic import call_target  # deferred: this action only

        # a webhook that is not there (or a URL no webhook has) fails the action here,
        # where the run log shows why, rather than after the run moved on
        hook = call_target(tenant_id, action.get("webhook_id"), action.get("url"))
        uow.emit(WebhookCallRequested(**common, webhook_id=hook.webhook_id,
                                      url=action.get("url"),
                                      event_type=str(action.get("event_type") or ""),
                                      payload=dict(action.get("payload") or {})), tenant_id)
        return {"requested": "WebhookCallRequested", "webhook_id": hook.webhook_id}
    if action["type"] == "start_journey":
        contact_id = action.get("contact_id")
        if not contact_id:
            raise ValidationFailed.for_field("contact_id", "the event names no contact")
        uow.emit(JourneyStartRequested(**common, journey_id=str(action["journey_id"]),
                                       contact_id=str(contact_id)), tenant_id)
        return {"requested": "JourneyStartRequested", "contact_id": contact_id}
    if action["type"] == "send_message":
        return send_message(tenant_id, command)
    raise ValidationFailed.for_field("type", f"the platform does not carry out {action['type']}")


def send_message(tenant_id: str, command: WorkflowActionRequested) -> dict[str, Any]:
    """Queue the message with marketing, keyed on (run, action): a retry sends it once."""
    from crm_shared.messaging import MessageCommand, send_message_command

    action = command.action
    by_contact = action.get("to", "contact") == "contact"
    if by_contact and not action.get("contact_id"):
        raise ValidationFailed.for_field("to", "the event names no contact to send to")
    key = f"workflow-{command.run_id}-{command.action_index}"
    message = MessageCommand(
        tenant_id=tenant_id, idempotency_key=key, channel=action["channel"],
        to_contact_id=action.get("contact_id") if by_contact else None,
        to_address=None if by_contact else action.get("to_address"),
        template_id=action.get("template_id"), subject=action.get("subject"),
        text=action.get("text"), html=action.get("html"),
        variables=dict(action.get("variables") or {}), requested_by="platform:workflows")
    message_id = send_message_command(message)
    return {"queued": True, "idempotency_key": key, "message_id": message_id,
            "to_contact_id": message.to_contact_id, "to_address": message.to_address}
