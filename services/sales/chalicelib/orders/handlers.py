"""Orders follow the contact's life: erasure strips the person from their orders (amounts
stay, for the books and the aggregates); a merge repoints the merged contacts' orders and
folds their customer value into the survivor's. Each runs in the event's one transaction.
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.customer_value import logic as customer_value
from chalicelib.orders import logic, repository
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

# orders rewritten per event: the event's transaction also holds the other features'
# writes (100 items in all); larger histories are noted in the docs as a known limit
PAGE = 15
PERSONAL_SHIPPING = ("name", "email", "phone", "address")


@consumer.on(ContactErased)
def erase_orders(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """Names, emails, phones and addresses leave the person's orders; amounts stay."""
    items, _ = repository.list_records(ctx.tenant_id, "contact_id", event.contact_id, PAGE,
                                       None)
    for item in items:
        doc = dict(item.doc)
        shipping = {k: v for k, v in (doc.get("shipping") or {}).items()
                    if k not in PERSONAL_SHIPPING}
        stripped = {**doc, "customer": {}, "shipping": shipping}
        if stripped != doc:
            logic.stage_doc_change(uow, item, stripped)


@consumer.on(ContactMerged)
def merge_orders(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The merged contacts' orders name the survivor; their value joins the survivor's."""
    gone = sorted(set(event.merged_ids) - {event.contact_id})
    moved: list[str] = []
    for contact_id in gone:
        items, _ = repository.list_records(ctx.tenant_id, "contact_id", contact_id, PAGE, None)
        for item in items:
            logic.stage_doc_change(uow, item, {**item.doc, "contact_id": event.contact_id})
            moved.append(item.order_id)
    customer_value.merge_in(uow, ctx.tenant_id, event.contact_id, gone, moved)
