"""Routing of new tickets: the TicketCreated consumer assigns what came unassigned."""

from __future__ import annotations

from chalicelib.config import logic as config
from chalicelib.consumers import consumer
from chalicelib.routing import logic
from chalicelib.tickets import domain
from chalicelib.tickets import logic as tickets
from chalicelib.tickets import repository as ticket_store
from crm_shared.events.consumer import EventContext
from crm_shared.events.service_events import TicketCreated
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(TicketCreated)
def route_ticket(event: TicketCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    """Apply the first matching rule to a ticket nobody holds yet (TicketAssigned follows)."""
    item = ticket_store.get(ctx.tenant_id, event.ticket_id, consistent=True)
    if item is None or item.doc.get("assignee_id") or item.doc.get("team_id") \
            or item.doc.get("status") not in domain.UNRESOLVED:
        return  # assigned by hand, deleted or closed meanwhile
    doc = config.read(ctx.tenant_id)
    decision = logic.decide(ctx.tenant_id, tickets.record(item), doc, uow)
    if not decision.team_id and not decision.assignee_id:
        return
    changes = {"team_id": decision.team_id, "assignee_id": decision.assignee_id,
               "routing": decision.model_dump(mode="json")}
    tickets.stage_change(uow, item, changes, "system:routing", reason="routing",
                         rule_id=decision.rule_id, config=doc)
