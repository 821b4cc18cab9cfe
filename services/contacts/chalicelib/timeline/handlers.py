"""Timeline entries from other services' events: the consumer side of `projection.project`.

A service whose facts belong on a contact's or company's timeline (an opportunity won, a
ticket opened, a campaign email opened) publishes its event; here one line maps it to the
parties and the entry:

    TIMELINE_EVENTS[TicketOpened] = lambda e, ctx: (
        [e.contact_id], Entry(entry_id=e.ticket_id, kind="ticket",
                              summary=f"Ticket opened: {e.subject}", occurred_at=e.opened_at,
                              source=Source("service", "ticket", e.ticket_id),
                              link=f"/tickets/{e.ticket_id}"))

and `subscribe(consumer)` (called when `chalicelib.consumers` imports this module) registers
a handler per event on the service's consumer. The handler adds the entries and summaries to
the consumer's unit of work, whose idempotency marker commits with them, so a redelivered
event adds nothing twice. Each such event also needs its rule in resources.yaml
(`crm-<stage>-contacts-<DetailType>`), as every subscription does.

The contacts service's own facts never come this way: they write their entries in the
transaction of the fact itself.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.timeline import domain, projection
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.envelope import Event
from crm_shared.unit_of_work import UnitOfWork

Mapping = Callable[[Event, EventContext], tuple[list[str], domain.Entry | None]]

TIMELINE_EVENTS: dict[type[Event], Mapping] = {}  # none yet: the other services come later


def handler_for(mapping: Mapping) -> Callable[[Event, EventContext, UnitOfWork], None]:
    """A consumer handler that projects what `mapping` makes of the event."""

    def handle(event: Event, ctx: EventContext, uow: UnitOfWork) -> None:
        party_ids, entry = mapping(event, ctx)
        parties = [p for p in party_ids if p[:3] in domain.PARTY_PREFIXES]
        if entry is not None and parties:
            projection.project(ctx.tenant_id, parties, entry, uow)

    return handle


def subscribe(consumer: Consumer, events: dict[type[Event], Mapping] | None = None) -> None:
    for event_type, mapping in (TIMELINE_EVENTS if events is None else events).items():
        consumer.on(event_type)(handler_for(mapping))


def _register() -> None:
    from chalicelib.consumers import consumer  # the module importing this one defined it

    subscribe(consumer)


_register()
