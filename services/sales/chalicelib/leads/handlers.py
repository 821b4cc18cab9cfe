"""What the contacts service tells leads: a contact made from a lead, erased, or merged.

Affected leads are found by a Query per page on the lead-by-contact index, never a scan.
All of them change, in chunks of their own (chalicelib/chunks.py), none in the event's
transaction: on a merge the deals', orders', points' and carts' handlers can already fill
its 100 items. Each lead write is version-guarded and a changed lead no longer qualifies (a
moved lead has left the merged contact's index; an erased one has nothing left to erase),
so a redelivery, or a retry after a failure part-way, changes no lead twice.
"""

from __future__ import annotations

from typing import Any

from chalicelib.chunks import in_chunks
from chalicelib.consumers import consumer
from chalicelib.leads import domain, logic, repository
from chalicelib.leads.models import LeadItem
from chalicelib.tasks import logic as tasks
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactCreated, ContactErased, ContactMerged
from crm_shared.ids import is_id
from crm_shared.unit_of_work import UnitOfWork

CHUNK = 30  # leads per transaction of their own (record, LeadUpdated, an email claim)


@consumer.on(ContactCreated)
def link_contact(event: ContactCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    """A contact made from a lead (`source_lead_id`) is linked back to it."""
    lead_id = event.contact.get("source_lead_id")
    if not is_id(lead_id, "lea"):
        return
    item = repository.get(ctx.tenant_id, str(lead_id), consistent=True)
    if item is not None and not item.doc.get("contact_id"):
        logic.stage_save(uow, item, {"contact_id": event.contact_id})


def _in_chunks(uow: UnitOfWork, items: list[LeadItem], changes: dict[str, Any]) -> None:
    def stage(into: UnitOfWork, chunk: list[LeadItem]) -> None:
        for item in chunk:
            logic.stage_save(into, item, changes)

    in_chunks(uow, items, stage, key=lambda item: item.lead_id, in_event=0, chunk=CHUNK)


@consumer.on(ContactErased)
def erase_leads(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the person's data leaves every lead that became (or is) this contact, and
    their tasks: first the tasks, while the leads still hold the name and email to strip."""
    items = repository.by_contact(ctx.tenant_id, event.contact_id)
    tasks.erase_contact(uow, ctx.tenant_id, event.contact_id, {
        item.lead_id: [str(item.doc[f]) for f in ("name", "email", "phone") if item.doc.get(f)]
        for item in items})
    _in_chunks(uow, items,
               {field: None for field in domain.PERSONAL} | {"erased_at": event.erased_at})


@consumer.on(ContactMerged)
def repoint_leads(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """Leads and tasks of the merged-away contacts now point at the survivor."""
    gone = sorted(set(event.merged_ids) - {event.contact_id})
    _in_chunks(uow, [item for merged in gone
                     for item in repository.by_contact(ctx.tenant_id, merged)
                     if item.doc.get("contact_id") == merged],
               {"contact_id": event.contact_id})
    tasks.repoint_contacts(uow, ctx.tenant_id, gone, event.contact_id)
