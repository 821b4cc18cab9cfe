"""Scores move with lead changes and marketing engagement; won and lost deals teach the model."""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.scoring import logic
from crm_shared.events.consumer import EventContext
from crm_shared.events.marketing_events import (
    Engagement,
    FormSubmitted,
    LinkClicked,
    MessageOpened,
)
from crm_shared.events.sales_events import (
    LeadCreated,
    LeadUpdated,
    OpportunityLost,
    OpportunityWon,
)
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(LeadCreated)
def score_new_lead(event: LeadCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.rescore(uow, ctx.tenant_id, event.lead)


@consumer.on(LeadUpdated)
def score_changed_lead(event: LeadUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.rescore(uow, ctx.tenant_id, event.lead)


def _engaged(event: Engagement, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.engaged(uow, ctx.tenant_id, ctx.detail_type, event.lead_id, event.email)


@consumer.on(MessageOpened)
def message_opened(event: MessageOpened, ctx: EventContext, uow: UnitOfWork) -> None:
    _engaged(event, ctx, uow)


@consumer.on(LinkClicked)
def link_clicked(event: LinkClicked, ctx: EventContext, uow: UnitOfWork) -> None:
    _engaged(event, ctx, uow)


@consumer.on(FormSubmitted)
def form_submitted(event: FormSubmitted, ctx: EventContext, uow: UnitOfWork) -> None:
    _engaged(event, ctx, uow)


@consumer.on(OpportunityWon)
def learn_won(event: OpportunityWon, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.learn(uow, ctx.tenant_id, event.opportunity, "won")


@consumer.on(OpportunityLost)
def learn_lost(event: OpportunityLost, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.learn(uow, ctx.tenant_id, event.opportunity, "lost")
