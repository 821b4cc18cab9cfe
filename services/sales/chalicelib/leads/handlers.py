"""What the contacts service tells leads: a contact made from a lead, erased, or merged.

Affected leads are found by a Query on the lead-by-contact index, never a scan; their
writes share the event's one transaction (with the idempotency marker).
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.leads import domain, logic, repository
from chalicelib.tasks import logic as tasks
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactCreated, ContactErased, ContactMerged
from crm_shared.ids import is_id
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(ContactCreated)
def link_contact(event: ContactCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    """A contact made from a lead (`source_lead_id`) is linked back to it."""
    lead_id = event.contact.get("source_lead_id")
    if not is_id(lead_id, "lea"):
        return
    item = repository.get(ctx.tenant_id, str(lead_id), consistent=True)
    if item is not None and not item.doc.get("contact_id"):
        logic.stage_save(uow, item, {"contact_id": event.contact_id})


@consumer.on(ContactErased)
def erase_leads(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the person's data leaves every lead that became (or is) this contact."""
    for item in repository.by_contact(ctx.tenant_id, event.contact_id):
        logic.stage_save(uow, item, {field: None for field in domain.PERSONAL}
                         | {"erased_at": event.erased_at})


@consumer.on(ContactMerged)
def repoint_leads(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """Leads and tasks of the merged-away contacts now point at the survivor."""
    for merged in event.merged_ids:
        for item in repository.by_contact(ctx.tenant_id, merged):
            logic.stage_save(uow, item, {"contact_id": event.contact_id})
        tasks.repoint_contact(uow, ctx.tenant_id, merged, event.contact_id)
