"""Report consumers: every opportunity and lead event moves the maintained aggregates."""

from __future__ import annotations

from typing import TypeAlias

from chalicelib.consumers import consumer
from chalicelib.reports import projection
from crm_shared.events.consumer import EventContext
from crm_shared.events.sales_events import (
    LeadConverted,
    LeadCreated,
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityLost,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
)
from crm_shared.unit_of_work import UnitOfWork

OpportunityChange: TypeAlias = (
    OpportunityCreated | OpportunityStageChanged | OpportunityWon | OpportunityLost)


@consumer.on(OpportunityCreated)
@consumer.on(OpportunityStageChanged)
@consumer.on(OpportunityWon)
@consumer.on(OpportunityLost)
def opportunity_changed(event: OpportunityChange, ctx: EventContext, uow: UnitOfWork) -> None:
    """The record in the event is the deal at its version: apply it if it is the newest."""
    projection.apply_opportunity(uow, ctx.tenant_id, event.opportunity_id, [event.opportunity])


@consumer.on(OpportunityUpdated)
def opportunity_updated(event: OpportunityUpdated, ctx: EventContext,
                        uow: UnitOfWork) -> None:
    """`previous` only adds the stage it was in to the funnel: the stats delta comes from
    the stored contribution, so a skipped event cannot leave a wrong total behind."""
    projection.apply_opportunity(uow, ctx.tenant_id, event.opportunity_id,
                                 [event.previous, event.opportunity])


@consumer.on(OpportunityDeleted)
def opportunity_deleted(event: OpportunityDeleted, ctx: EventContext, uow: UnitOfWork) -> None:
    projection.apply_opportunity(uow, ctx.tenant_id, event.opportunity_id, [], deleted=True)


@consumer.on(LeadCreated)
def lead_created(event: LeadCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    projection.apply_lead(uow, ctx.tenant_id, event.lead_id, event.lead, converted=False)


@consumer.on(LeadConverted)
def lead_converted(event: LeadConverted, ctx: EventContext, uow: UnitOfWork) -> None:
    projection.apply_lead(uow, ctx.tenant_id, event.lead_id, event.lead, converted=True)
