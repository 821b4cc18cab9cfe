"""Marketing's Unsubscribed becomes the contact's consent statement for that channel.

The statement (status `unsubscribed`, source `unsubscribe_link`, with its history entry
and ConsentChanged) joins the consumer's unit of work, so it commits with the event's
idempotency marker: a redelivered event writes nothing twice. The contact is looked up
in the event's own tenant only, so another tenant's contact id changes nothing. An event
without a contact, for a channel consent does not keep, or for a contact that is gone is
acknowledged unapplied: there is nobody (or nothing) to record it on.
"""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.consumers import consumer
from chalicelib.privacy import consent
from chalicelib.privacy.schemas import CHANNELS
from crm_shared import observability
from crm_shared.events.consumer import EventContext
from crm_shared.events.marketing_events import Unsubscribed
from crm_shared.unit_of_work import UnitOfWork

SOURCE = "unsubscribe_link"


@consumer.on(Unsubscribed)
def unsubscribed(event: Unsubscribed, ctx: EventContext, uow: UnitOfWork) -> None:
    if not event.contact_id or event.channel not in CHANNELS:
        observability.logger(SERVICE).info(
            "unsubscribe without a contact or for an unknown channel; acknowledged",
            extra={"event_id": ctx.event_id, "channel": event.channel})
        return
    consent.record_unsubscribe(ctx.tenant_id, event.contact_id, event.channel, SOURCE,
                               occurred_at=event.occurred_at, into=uow)
