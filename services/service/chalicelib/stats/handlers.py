"""The metrics follow the service's own ticket events (each carries the whole ticket)."""

from __future__ import annotations

from typing import Any

from chalicelib.consumers import consumer
from chalicelib.stats import projection, repository
from crm_shared.events.consumer import EventContext
from crm_shared.events.service_events import TicketCreated, TicketUpdated
from crm_shared.unit_of_work import UnitOfWork


def apply(uow: UnitOfWork, tenant_id: str, ticket: dict[str, Any]) -> None:
    """Move the aggregates from what the ticket added before to what it adds now; an older
    version than the one applied changes nothing."""
    version = int(ticket.get("version") or 0)
    state = repository.ticket_state(tenant_id, str(ticket["ticket_id"]))
    seen = int(state.version or 0)
    if version <= seen:
        return
    new = projection.contributions(ticket)
    day = str(ticket["created_at"])[:10]
    for key, counts in projection.difference(state.contributions or {}, new).items():
        group, value = key.split("|", 1)
        repository.add(uow, tenant_id, group, day, value, counts)
    state.version, state.contributions = version, new
    repository.save_state(uow, state, seen)


@consumer.on(TicketCreated)
def count_created(event: TicketCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    apply(uow, ctx.tenant_id, event.ticket)


@consumer.on(TicketUpdated)
def count_updated(event: TicketUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    apply(uow, ctx.tenant_id, event.ticket)
