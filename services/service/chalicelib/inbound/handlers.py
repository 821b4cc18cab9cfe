"""Contacts' events for inbound email: who an address belongs to, erasure and merges.

The service keeps its own projection of contacts' email addresses (ContactCreated and
ContactUpdated), so an inbound message finds its contact with one GetItem. A contact created
for an address that was waiting links the tickets that waited for it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.consumers import consumer
from chalicelib.inbound import repository, storage
from chalicelib.tickets import logic
from chalicelib.tickets import repository as ticket_store
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactUpdated,
)
from crm_shared.unit_of_work import UnitOfWork

ACTOR = "system:contacts"


def addresses(contact: dict[str, Any]) -> list[str]:
    found = [str(e.get("address") or "").strip().lower() for e in contact.get("emails") or []
             if isinstance(e, dict)]
    return list(dict.fromkeys(a for a in found if "@" in a))


def project(uow: UnitOfWork, tenant_id: str, contact_id: str, contact: dict[str, Any],
            also: list[str] | None = None) -> None:
    """Point the contact's addresses at it (and `also`, a merged person's), drop the ones it
    no longer has; an older contact version than the one projected changes nothing."""
    record = repository.contact_emails(tenant_id, contact_id)
    version = int(contact.get("version") or 0)
    if version and version < int(record.contact_version or 0):
        return
    wanted = list(dict.fromkeys([*addresses(contact), *(also or [])]))
    for email in set(record.emails or []) - set(wanted):
        item = repository.sender(tenant_id, email, consistent=True)
        if item is not None and item.contact_id == contact_id:
            uow.delete(item, label="version_sender")
    for email in wanted:
        item = repository.sender(tenant_id, email, consistent=True) or repository.new_sender(
            tenant_id, email)
        waiting = list(item.pending_ticket_ids or [])
        if item.contact_id == contact_id and not waiting:
            continue
        item.contact_id, item.pending_ticket_ids, item.requested = contact_id, [], False
        repository.stage_sender(uow, item)
        for ticket_id in waiting:
            _link(uow, tenant_id, ticket_id, email, contact_id)
    record.emails, record.contact_version = wanted, max(version, int(record.contact_version or 0))
    uow.put(record, label="contact_emails")


def _link(uow: UnitOfWork, tenant_id: str, ticket_id: str, email: str, contact_id: str) -> None:
    item = ticket_store.get(tenant_id, ticket_id, consistent=True)
    if item is None or item.doc.get("contact_id") or item.doc.get("erased"):
        return
    if str((item.doc.get("properties") or {}).get("requester_email") or "") != email:
        return
    logic.stage_change(uow, item, {"contact_id": contact_id}, ACTOR)


@consumer.on(ContactCreated)
def contact_created(event: ContactCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    project(uow, ctx.tenant_id, event.contact_id, event.contact)


@consumer.on(ContactUpdated)
def contact_updated(event: ContactUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    project(uow, ctx.tenant_id, event.contact_id, event.contact)


@consumer.on(ContactErased)
def erase_mail(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the person's raw messages, attachments and quarantined mail leave S3; the
    message claims stay (exactly once) without the address. Idempotent: a retry redoes it."""
    tenant_id = ctx.tenant_id
    record = repository.contact_emails(tenant_id, event.contact_id)
    name = storage.bucket()
    for email in record.emails or []:
        for message in list(repository.messages_from(tenant_id, email)):
            storage.delete(name, message.raw_key or "", *(message.attachment_keys or []))
            repository.forget_sender(message)
        for held in list(repository.quarantined_from(tenant_id, email)):
            storage.delete(name, held.raw_key or "")
            held.delete()
        sender = repository.sender(tenant_id, email, consistent=True)
        if sender is not None and sender.contact_id == event.contact_id:
            sender.delete()
    if record.emails:
        record.delete()


@consumer.on(ContactMerged)
def merge_addresses(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The merged people's addresses now find the survivor."""
    moved: list[str] = []
    for merged_id in event.merged_ids:
        record = repository.contact_emails(ctx.tenant_id, merged_id)
        moved += record.emails or []
        if record.emails:
            uow.delete(record, label="contact_emails_merged")
    project(uow, ctx.tenant_id, event.contact_id, event.contact, also=moved)
