"""Orders follow the contact's life: erasure strips the person from their orders (amounts
stay, for the books and the aggregates); a merge repoints the merged contacts' orders and
folds their customer value into the survivor's.

A contact may have more orders than one transaction holds (the event's also carries the
other features' writes: 100 items in all). The orders are found page by page on the
by-contact index, never a scan; all but the last IN_EVENT are changed in transactions of
their own, CHUNK at a time, before the rest ride in the event's transaction with its
marker (chalicelib/chunks.py; opportunities/handlers.py does the same for deals). Every
order write is version-guarded, so no order changes twice: a redelivery finds a moved order
under the survivor, not the merged contact (an index copy that lags fails the version
condition and the event is retried), and an erased order has nothing left to strip. The
merged value folds once, in the event's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.chunks import every_page, in_chunks
from chalicelib.consumers import consumer
from chalicelib.customer_value import logic as customer_value
from chalicelib.orders import logic, repository
from chalicelib.orders.models import OrderItem
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

IN_EVENT = 15  # orders changed in the event's own transaction (2 items each on a merge)
CHUNK = 45  # orders per transaction of their own (a merge writes the contribution too)
LIST_PAGE = 100
PERSONAL_SHIPPING = ("name", "email", "phone", "address")
Change = tuple[OrderItem, dict[str, Any]]


def orders_of(tenant_id: str, contact_id: str) -> list[OrderItem]:
    """Every order of the contact: the by-contact index, a page of LIST_PAGE at a time."""
    return every_page(lambda cursor: repository.list_records(
        tenant_id, "contact_id", contact_id, LIST_PAGE, cursor))


def _in_chunks(uow: UnitOfWork, changes: list[Change],
               stage: Callable[[UnitOfWork, list[Change]], None]) -> None:
    in_chunks(uow, changes, stage, key=lambda change: change[0].order_id, in_event=IN_EVENT,
              chunk=CHUNK)


@consumer.on(ContactErased)
def erase_orders(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """Names, emails, phones and addresses leave every order of the person; amounts stay."""
    changes: list[Change] = []
    for item in orders_of(ctx.tenant_id, event.contact_id):
        doc = dict(item.doc)
        shipping = {k: v for k, v in (doc.get("shipping") or {}).items()
                    if k not in PERSONAL_SHIPPING}
        stripped = {**doc, "customer": {}, "shipping": shipping}
        if stripped != doc:
            changes.append((item, stripped))

    def stage(into: UnitOfWork, chunk: list[Change]) -> None:
        for item, doc in chunk:
            logic.stage_doc_change(into, item, doc)

    _in_chunks(uow, changes, stage)


@consumer.on(ContactMerged)
def merge_orders(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """Every order of the merged contacts names the survivor, its contribution with it; their
    value joins the survivor's."""
    gone = sorted(set(event.merged_ids) - {event.contact_id})
    changes: list[Change] = [
        (item, {**item.doc, "contact_id": event.contact_id})
        for contact_id in gone for item in orders_of(ctx.tenant_id, contact_id)
        if item.doc.get("contact_id") == contact_id]

    def stage(into: UnitOfWork, chunk: list[Change]) -> None:
        for item, doc in chunk:
            logic.stage_doc_change(into, item, doc)
        customer_value.repoint_contributions(into, ctx.tenant_id, event.contact_id, gone,
                                             [item.order_id for item, _ in chunk])

    _in_chunks(uow, changes, stage)
    customer_value.merge_values(uow, ctx.tenant_id, event.contact_id, gone)
