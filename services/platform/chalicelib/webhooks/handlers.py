"""Events in, deliveries out: every catalog event is offered to the tenant's webhooks, and
a workflow's webhook call becomes a delivery of the webhook it names.

The handlers run in the event's one transaction (crm_shared.events.consumer), so an event
handled twice finds its marker and enqueues nothing the second time.
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.webhooks import logic
from crm_shared.events.automation_events import WebhookCallRequested
from crm_shared.events.consumer import EventContext
from crm_shared.events.envelope import Event
from crm_shared.events.webhook_events import WebhookDeliveryRequested
from crm_shared.unit_of_work import UnitOfWork

SOURCES = ("crm.platform", "crm.contacts", "crm.sales", "crm.service", "crm.marketing",
           "crm.collaboration")


def offer(event: Event, ctx: EventContext, uow: UnitOfWork) -> None:
    """Queue one delivery per subscription of the tenant to this event type."""
    if isinstance(event, WebhookDeliveryRequested | WebhookCallRequested):
        return  # the webhooks feature's own plumbing (a call is its own delivery)
    logic.enqueue_event(uow, ctx.tenant_id, ctx.event_id, ctx.detail_type, ctx.occurred_at,
                        event.model_dump(mode="json"))


@consumer.on(WebhookDeliveryRequested)
def dispatch(event: WebhookDeliveryRequested, ctx: EventContext, uow: UnitOfWork) -> None:
    """Queue a ping's or a replay's delivery, saved by the API with this event."""
    logic.dispatch(ctx.tenant_id, event.webhook_id, event.delivery_id)


@consumer.on(WebhookCallRequested)
def call(event: WebhookCallRequested, ctx: EventContext, uow: UnitOfWork) -> None:
    """A workflow's `call_webhook` action: one signed delivery per (run, action)."""
    logic.enqueue_call(uow, ctx.tenant_id, ctx.event_id, ctx.occurred_at, event)


for _source in SOURCES:
    consumer.on_source(_source)(offer)
