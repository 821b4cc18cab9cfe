"""A deleted contact or company leaves no edges behind.

The delete itself stays one bounded transaction (a party may have any number of edges);
this consumer of the service's own ContactDeleted and CompanyDeleted then removes each
edge, both halves, with its RelationshipDeleted, one transaction per edge, found by a
Query of the party's halves. A redelivery finds only what is left, so no edge is
announced twice.
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.relationships import lifecycle
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import CompanyDeleted, ContactDeleted
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(ContactDeleted)
def contact_deleted(event: ContactDeleted, ctx: EventContext, uow: UnitOfWork) -> None:
    lifecycle.drop_edges(ctx.tenant_id, event.contact_id)


@consumer.on(CompanyDeleted)
def company_deleted(event: CompanyDeleted, ctx: EventContext, uow: UnitOfWork) -> None:
    lifecycle.drop_edges(ctx.tenant_id, event.company_id)
