"""New leads without an owner are routed by the tenant's assignment rules."""

from __future__ import annotations

from chalicelib.assignment import logic
from chalicelib.consumers import consumer
from crm_shared.events.consumer import EventContext
from crm_shared.events.sales_events import LeadCreated
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(LeadCreated)
def assign_new_lead(event: LeadCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.route(uow, ctx.tenant_id, event.lead_id)
