"""The metrics follow the service's own ticket events (each carries the whole ticket) and
survey answers (SurveyResponded: once each, by the consumer's marker)."""

from __future__ import annotations

from typing import Any

from chalicelib.consumers import consumer
from chalicelib.stats import projection, repository
from chalicelib.tickets import repository as tickets
from crm_shared.events.consumer import EventContext
from crm_shared.events.service_events import SurveyResponded, TicketCreated, TicketUpdated
from crm_shared.unit_of_work import UnitOfWork


def apply(uow: UnitOfWork, tenant_id: str, ticket: dict[str, Any]) -> None:
    """Move the aggregates from what the ticket added before to what it adds now; an older
    version than the one applied changes nothing."""
    version = int(ticket.get("version") or 0)
    state = repository.ticket_state(tenant_id, str(ticket["ticket_id"]))
    seen, revision = int(state.version or 0), int(state.revision or 0)
    if version <= seen:
        return
    new = projection.contributions(ticket, state.surveys)
    day = str(ticket["created_at"])[:10]
    move(uow, tenant_id, day, state.contributions or {}, new)
    state.version, state.contributions, state.day = version, new, day
    repository.save_state(uow, state, seen, revision)


def move(uow: UnitOfWork, tenant_id: str, day: str, old: dict[str, dict[str, int]],
         new: dict[str, dict[str, int]]) -> None:
    for key, counts in projection.difference(old, new).items():
        group, value = key.split("|", 1)
        repository.add(uow, tenant_id, group, day, value, counts)


@consumer.on(TicketCreated)
def count_created(event: TicketCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    apply(uow, ctx.tenant_id, event.ticket)


@consumer.on(TicketUpdated)
def count_updated(event: TicketUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    apply(uow, ctx.tenant_id, event.ticket)


@consumer.on(SurveyResponded)
def count_answer(event: SurveyResponded, ctx: EventContext, uow: UnitOfWork) -> None:
    """A CSAT or NPS answer about a ticket joins the ticket's contribution (its creation
    day and groups, and it moves with them); one about no ticket counts on its own day.
    Before the ticket's own event is applied it waits on the ticket's state."""
    counts = projection.survey_metrics(event.kind, event.score)
    if not counts:
        return
    tenant_id = ctx.tenant_id
    if not event.ticket_id:
        move(uow, tenant_id, event.responded_at[:10], {},
             {key: counts for key in projection.keys({})})
        return
    state = repository.ticket_state(tenant_id, event.ticket_id)
    seen, revision = int(state.version or 0), int(state.revision or 0)
    state.surveys = projection.plus(state.surveys or {}, counts)
    old = state.contributions or {}
    if old:
        new = {key: projection.plus(found, counts) for key, found in old.items()}
        move(uow, tenant_id, state.day or _created_day(tenant_id, event), old, new)
        state.contributions = new
    repository.save_state(uow, state, seen, revision)


def _created_day(tenant_id: str, event: SurveyResponded) -> str:
    """The ticket's creation day for a state written before it kept one."""
    item = tickets.get(tenant_id, str(event.ticket_id))
    return (item.created_at if item is not None else event.responded_at)[:10]
