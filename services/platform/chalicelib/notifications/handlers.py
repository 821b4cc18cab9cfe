"""Events that notify people: assignments, mentions, SLA breaches and risks, due tasks,
approvals.

They come through the catch-all of their source (crm_shared.events.consumer.on_source), in
the event's one transaction: an event handled twice finds its marker, so each recipient
gets its notice exactly once.
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.notifications import logic
from crm_shared.events.consumer import EventContext
from crm_shared.events.envelope import Event
from crm_shared.unit_of_work import UnitOfWork

SOURCES = {
    "LeadAssigned": "crm.sales", "TaskDue": "crm.sales", "ApprovalRequested": "crm.sales",
    "TicketAssigned": "crm.service", "SlaBreached": "crm.service",
    "TicketSlaAtRisk": "crm.service",
    "UserMentioned": "crm.collaboration",
}


def notify(event: Event, ctx: EventContext, uow: UnitOfWork) -> None:
    if ctx.detail_type in SOURCES:
        logic.notify(uow, ctx, event.model_dump(mode="json"))


for _source in sorted(set(SOURCES.values())):
    consumer.on_source(_source)(notify)
