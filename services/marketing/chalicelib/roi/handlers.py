"""Attribution: opens and clicks are touches; a won deal converts for its campaign."""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.roi import logic
from crm_shared.events.consumer import EventContext
from crm_shared.events.marketing_events import LinkClicked, MessageOpened
from crm_shared.events.sales_events import OpportunityWon
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(MessageOpened)
def open_touch(event: MessageOpened, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.touched(uow, ctx.tenant_id, event)


@consumer.on(LinkClicked)
def click_touch(event: LinkClicked, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.touched(uow, ctx.tenant_id, event)


@consumer.on(OpportunityWon)
def won_deal(event: OpportunityWon, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.attribute(uow, ctx.tenant_id, event)
