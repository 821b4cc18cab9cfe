"""Contracts of merged contacts name the survivor (found through the per-contact links)."""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.contracts import logic, repository
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactMerged
from crm_shared.unit_of_work import UnitOfWork

PAGE = 10


@consumer.on(ContactMerged)
def merge_contracts(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    gone = set(event.merged_ids) - {event.contact_id}
    ids = {cid for contact in sorted(gone)
           for cid in repository.contract_ids_of_contact(ctx.tenant_id, contact, PAGE)}
    for contract_id in sorted(ids):
        item = repository.get(ctx.tenant_id, contract_id, consistent=True)
        if item is None:
            continue
        before = list(item.doc.get("contact_ids") or [])
        after = list(dict.fromkeys(event.contact_id if c in gone else c for c in before))
        logic.stage_contacts(uow, item, before, after)
