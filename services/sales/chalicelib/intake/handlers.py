"""GDPR erasure reaches a contact's shop carts (which keep the shopper's email).

A cart names its person by email (and by contact id when the shop's mapping has one), so
sales keeps, per contact, the digests of its addresses from contacts' events (never the
addresses): ContactCreated and ContactUpdated set them, ContactMerged gives the survivor
the merged contacts' digests and ids. On ContactErased the carts are found on the by-digest
and by-contact indexes (a Query each, never a scan) and deleted; the record becomes a
tombstone, so a late ContactUpdated cannot bring the digests back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from chalicelib.consumers import consumer
from chalicelib.intake import domain, repository
from chalicelib.intake.models import CartOwnerItem
from crm_shared import clock
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactUpdated,
)
from crm_shared.unit_of_work import UnitOfWork

TOMBSTONE_FOR = timedelta(days=30)  # longer than any redelivery of an older ContactUpdated


def digests_of(tenant_id: str, contact: dict[str, Any]) -> list[str]:
    found = [str(e.get("address") or "") for e in contact.get("emails") or []
             if isinstance(e, dict)]
    return list(dict.fromkeys(domain.email_digest(tenant_id, a) for a in found if "@" in a))


def _save(uow: UnitOfWork, item: CartOwnerItem) -> None:
    uow.put(item, label=f"version_cart_owner_{item.contact_id}")


def project(uow: UnitOfWork, tenant_id: str, contact_id: str, contact: dict[str, Any],
            merged: Sequence[CartOwnerItem] = ()) -> None:
    """The contact's digests as its record says, with the `merged` contacts' digests and
    ids; an older contact version than the one projected changes nothing."""
    item = repository.owner(tenant_id, contact_id)
    version = int(contact.get("version") or 0)
    if item.erased or (version and version < int(item.contact_version or 0)):
        return
    digests = [*digests_of(tenant_id, contact), *(d for m in merged for d in m.digests or [])]
    merged_ids = [*(item.merged_ids or []),
                  *(i for m in merged for i in [m.contact_id, *(m.merged_ids or [])])]
    digests, merged_ids = list(dict.fromkeys(digests)), list(dict.fromkeys(merged_ids))
    if (digests, merged_ids) == (list(item.digests or []), list(item.merged_ids or [])):
        return
    item.digests, item.merged_ids = digests, merged_ids
    item.contact_version = max(version, int(item.contact_version or 0))
    _save(uow, item)


@consumer.on(ContactCreated)
def contact_created(event: ContactCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    project(uow, ctx.tenant_id, event.contact_id, event.contact)


@consumer.on(ContactUpdated)
def contact_updated(event: ContactUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    if "emails" in event.changed:
        project(uow, ctx.tenant_id, event.contact_id, event.contact)


@consumer.on(ContactMerged)
def contact_merged(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The survivor's record takes the merged contacts' digests and ids (their carts stay
    where they are, found through it on erasure)."""
    gone = [repository.owner(ctx.tenant_id, merged_id)
            for merged_id in sorted(set(event.merged_ids) - {event.contact_id})]
    project(uow, ctx.tenant_id, event.contact_id, event.contact, merged=gone)
    for item in gone:
        if item.version is not None:
            uow.delete(item, label=f"version_cart_owner_{item.contact_id}")


@consumer.on(ContactErased)
def erase_carts(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """Every cart of the person (by address digest or contact id) is deleted; a redelivery
    deletes what is left, which is nothing."""
    item = repository.owner(ctx.tenant_id, event.contact_id)
    repository.delete_carts(repository.carts_of(
        ctx.tenant_id, list(item.digests or []), [event.contact_id, *(item.merged_ids or [])]))
    item.digests, item.merged_ids, item.erased = [], [], True
    item.expires_at = clock.now() + TOMBSTONE_FOR
    _save(uow, item)
