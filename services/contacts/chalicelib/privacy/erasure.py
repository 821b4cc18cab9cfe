"""GDPR erasure and data export of one contact, across every feature of the service.

Erasure runs in two steps so that no step can leave personal data behind for good:
1. one transaction blanks the record to a tombstone (id, erased_at, who), frees its
   email and phone claims and its tag and name entries, and emits ContactErased; from
   then on no write can land on the contact (consent writes check it) and other
   services drop what they hold;
2. every `parties.ERASERS` entry runs (consents among them), then one transaction writes
   the audit record (who, when, counts: nothing personal) and marks the erasure complete.
A retry after a failure in step 2 finds the tombstone and finishes step 2; erasing a
completely erased contact again is a 200 with the first erasure's result, writing nothing.
The counts of a finished retry are what that retry erased.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import SERVICE, parties
from chalicelib.contacts import domain
from chalicelib.contacts import logic as contacts
from chalicelib.contacts import repository as store
from chalicelib.contacts.models import ContactItem
from chalicelib.privacy import repository
from crm_shared import clock, idempotency
from crm_shared.context import Principal
from crm_shared.errors import NotFound
from crm_shared.events.contacts_events import ContactErased
from crm_shared.ids import is_id

IN_PROGRESS = "in_progress"
COMPLETE = "complete"


@dataclass
class Erasure:
    contact_id: str
    erased_at: str
    erased_by: str
    counts: dict[str, int]


def _subject(principal: Principal, tenant_id: str, contact_id: str) -> ContactItem:
    """The contact in any state but merged (live, deleted or erased): one GetItem."""
    item = store.get(tenant_id, contact_id, consistent=True) if is_id(
        contact_id, "con") else None
    if item is None:
        raise NotFound("no such contact")
    if item.doc.get("merged_into"):
        raise contacts.merged_problem(item)
    if not item.deleted and not contacts.is_visible(principal, item):
        raise NotFound("no such contact")
    return item


def erase(principal: Principal, tenant_id: str, contact_id: str) -> Erasure:
    """Costs: a GetItem, a BatchGet of claims, 2 transactions, and what each eraser costs."""
    item = _subject(principal, tenant_id, contact_id)
    if item.doc.get("erasure") == COMPLETE:
        return _result(item)
    if not item.doc.get("erased_at"):
        _tombstone(principal, tenant_id, item)
    counts = dict(item.doc.get("erased_counts") or {})
    for name, eraser in sorted(parties.erasers().items()):
        counts[name] = eraser(tenant_id, contact_id)
    item.doc = {**item.doc, "erasure": COMPLETE, "erased_counts": counts}
    with repository.unit_of_work() as uow:
        uow.put(item, label="version")
        uow.put(repository.audit_item(tenant_id, contact_id, str(item.doc["erased_at"]),
                                      str(item.doc["erased_by"]), counts))
    return _result(item)


def _tombstone(principal: Principal, tenant_id: str, item: ContactItem) -> None:
    entries = domain.entries_of(item.doc)
    claims = store.claims_of(entries)
    holders = store.claim_holders(tenant_id, claims)
    now = clock.iso()
    counts = {"contact.fields": sum(1 for v in item.doc.values() if v not in (None, "", [], {})),
              "contact.claims": len(claims),
              "contact.lookups": len(entries.tags) + (1 if entries.name else 0)}
    item.doc = {"erased_at": now, "erased_by": principal.actor, "erasure": IN_PROGRESS,
                "erased_counts": counts}
    item.deleted, item.updated_at, item.expires_at = True, now, None
    store.index_record(item)
    with repository.unit_of_work() as uow:
        uow.put(item, label="version")
        store.drop_entries(uow, tenant_id, item.contact_id, entries, holders)
        uow.emit(ContactErased(contact_id=item.contact_id, erased_at=now), tenant_id)


def _result(item: ContactItem) -> Erasure:
    return Erasure(item.contact_id, str(item.doc["erased_at"]), str(item.doc["erased_by"]),
                   {k: int(v) for k, v in (item.doc.get("erased_counts") or {}).items()})


def export(principal: Principal, tenant_id: str, contact_id: str) -> dict[str, Any]:
    """Everything held about the person: the record and each `parties.EXPORTERS` entry's.

    Deterministic (no generation time in it): the same data exports the same document.
    """
    item = _subject(principal, tenant_id, contact_id)
    if item.deleted:
        contact = {"contact_id": item.contact_id, "deleted": True, "created_at": item.created_at,
                   "updated_at": item.updated_at, **item.doc}
    else:
        contact = contacts.record(item)
    records = {name: exporter(tenant_id, contact_id)
               for name, exporter in sorted(parties.exporters().items())}
    return {"contact_id": contact_id, "contact": contact, "records": records}


@parties.eraser("idempotency")
def forget_responses(tenant_id: str, party_id: str) -> int:
    """Stored `Idempotency-Key` responses that name the person (kept 24 h) answer 410 now."""
    return idempotency.forget(SERVICE, tenant_id, party_id)
