"""Loyalty reacts to tenants (a default programme, off) and to paid and refunded orders."""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.loyalty import logic
from crm_shared.events.commerce_events import OrderPaid, OrderRefunded
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactMerged
from crm_shared.events.platform_events import TenantProvisioned
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(TenantProvisioned)
def seed_program(event: TenantProvisioned, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.seed_in(uow, event.tenant_id)


@consumer.on(OrderPaid)
def earn_points(event: OrderPaid, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.earn_in(uow, ctx.tenant_id, event.order)


@consumer.on(OrderRefunded)
def reverse_points(event: OrderRefunded, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.reverse_in(uow, ctx.tenant_id, event.order)


@consumer.on(ContactMerged)
def merge_members(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The merged contacts' points move to the survivor in one `merged` entry each."""
    logic.merge_in(uow, ctx.tenant_id, event.contact_id,
                   sorted(set(event.merged_ids) - {event.contact_id}))
