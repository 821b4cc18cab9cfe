"""LeadConverted: create the contact and company under the ids sales generated.

Everything happens in the consumer's one transaction with its idempotency marker, so a
redelivery is a no-op. A replay under another event id finds the records (one GetItem
each) and writes nothing. When the lead's email already belongs to a contact, or its
company's domain to a company, no duplicate is made: the pre-generated id becomes a
tombstone pointing at the existing record (`merged_into`), exactly as a merged id does
after a merge, a ContactMerged/CompanyMerged says so to the other services, and the
existing record is linked instead.
"""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib import tenancy
from chalicelib.companies import logic as companies
from chalicelib.companies import repository as company_store
from chalicelib.consumers import consumer
from chalicelib.contacts import logic as contacts
from chalicelib.contacts import repository as contact_store
from chalicelib.conversion import domain
from chalicelib.timeline import projection
from chalicelib.timeline import repository as timeline
from chalicelib.timeline.domain import Entry, Source
from crm_shared import clock
from crm_shared.contact_data import normalize_email, normalize_phone
from crm_shared.errors import ValidationFailed
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import CompanyMerged, ContactMerged
from crm_shared.events.sales_events import LeadConverted
from crm_shared.ids import is_id
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(LeadConverted)
def convert_lead(event: LeadConverted, ctx: EventContext, uow: UnitOfWork) -> None:
    tenant_id, lead = ctx.tenant_id, dict(event.lead or {})
    owner = event.owner_id if is_id(event.owner_id, "usr") else None
    company_id = _company(uow, tenant_id, event.company_id, lead, owner) \
        if is_id(event.company_id, "cmp") else None
    if not is_id(event.contact_id, "con"):
        raise ValueError(f"LeadConverted {event.lead_id}: contact_id {event.contact_id!r}")
    contact_id = _contact(uow, tenant_id, event, lead, owner, company_id)
    if contact_id is None:
        return  # converted already: a replay writes nothing
    # no name in the summary: the entry also lands on the company's timeline, which the
    # person's erasure does not rewrite
    entry = Entry(entry_id=event.lead_id, kind="lead", summary="Converted from lead",
                  occurred_at=ctx.occurred_at,
                  source=Source("sales", "lead", event.lead_id), link=f"/leads/{event.lead_id}")
    parties = list(dict.fromkeys(p for p in (contact_id, company_id) if p))
    projection.add(uow, tenant_id, entry.with_summary(entry.summary),  # clipped
                   timeline.summaries(tenant_id, parties))


def _text(value: Any, limit: int) -> str | None:
    text = " ".join(str(value or "").split())
    return text[:limit] or None


def _alias(model_item: Any, into: str) -> None:
    """Turn a fresh record into the tombstone of an id that resolves to `into`."""
    model_item.doc = {"merged_into": into, "merged_at": clock.iso()}
    model_item.deleted = True


def _company(uow: UnitOfWork, tenant_id: str, company_id: str | None, lead: dict[str, Any],
             owner: str | None) -> str | None:
    """The id the contact links to: the company created, the one its domain found, or
    (a replay) whatever the id already resolves to; None if there is nothing to name it."""
    assert company_id is not None
    existing = company_store.get(tenant_id, company_id, consistent=True)
    if existing is not None:  # a replay: link to what the id resolves to
        into = existing.doc.get("merged_into")
        return str(into) if into else None if existing.deleted else company_id
    found_domain = domain.company_domain(lead)
    name = _text(lead.get("company_name"), 200) or found_domain
    if not name:
        return None
    now = clock.iso()
    holder = company_store.domain_owner(tenant_id, found_domain) if found_domain else None
    held = company_store.get(tenant_id, holder, consistent=True) if holder else None
    if held is not None and not held.deleted:
        alias = company_store.new_record(tenant_id, company_id, {}, now)
        _alias(alias, held.company_id)
        company_store.index_record(alias)
        uow.put(alias, condition=type(alias).PK.does_not_exist(), label="company")
        uow.emit(CompanyMerged(company_id=held.company_id, merged_ids=[company_id],
                               company=companies.record(held)), tenant_id)
        return held.company_id
    doc: dict[str, Any] = {"name": name}
    if found_domain:
        doc["domain"] = found_domain
    if industry := _text(lead.get("industry"), 100):
        doc["industry"] = industry
    if (count := domain.employees(lead.get("company_size"))) is not None:
        doc["employees"] = count
    if owner:
        doc["owner_id"] = owner
    companies.stage_new(uow, company_store.new_record(tenant_id, company_id, doc, now))
    return company_id


def _channels(tenant_id: str, lead: dict[str, Any]) -> tuple[str | None, str | None]:
    """The lead's email and phone as stored; one that does not parse is left out."""
    email = phone = None
    region = str(tenancy.settings_of(tenant_id)["default_phone_region"])
    with contextlib.suppress(ValidationFailed):
        email = normalize_email(str(lead["email"])) if lead.get("email") else None
    with contextlib.suppress(ValidationFailed):
        phone = normalize_phone(str(lead["phone"]), region) if lead.get("phone") else None
    return email, phone


def _contact(uow: UnitOfWork, tenant_id: str, event: LeadConverted, lead: dict[str, Any],
             owner: str | None, company_id: str | None) -> str | None:
    """The contact the lead became (new, or the one holding its email); None on a replay."""
    contact_id = event.contact_id
    if contact_store.get(tenant_id, contact_id, consistent=True) is not None:
        return None
    email, phone = _channels(tenant_id, lead)
    now = clock.iso()
    holder_id = contact_store.claim_owner(tenant_id, "EMAIL", email) if email else None
    holder = contact_store.get(tenant_id, holder_id, consistent=True) if holder_id else None
    if holder is not None and not holder.deleted:
        alias = contact_store.new_record(tenant_id, contact_id, {}, now)
        _alias(alias, holder.contact_id)
        contact_store.index_record(alias)
        uow.put(alias, condition=type(alias).PK.does_not_exist(), label="contact")
        shown = contacts.record(holder)
        if company_id and not holder.doc.get("company_id"):
            shown = contacts.stage_update(uow, holder, {**holder.doc, "company_id": company_id},
                                          ["company_id"])
        uow.emit(ContactMerged(contact_id=holder.contact_id, merged_ids=[contact_id],
                               contact=shown), tenant_id)
        return holder.contact_id
    doc: dict[str, Any] = domain.split_name(_text(lead.get("name"), 401))
    doc = {k: v[:200] for k, v in doc.items()}
    if email:
        doc["emails"] = [{"address": email, "primary": True}]
    if phone:
        doc["phones"] = [{"number": phone, "primary": True}]
    if not doc:
        doc["first_name"] = _text(lead.get("company_name"), 200) or "Lead"
    doc.update({k: v for k, v in (
        ("owner_id", owner), ("company_id", company_id),
        ("source", _text(lead.get("source"), 100)),
        ("lifecycle_stage", "opportunity" if event.opportunity_id else "lead"),
        ("source_lead_id", event.lead_id)) if v})
    taken = phone is not None and contact_store.claim_owner(tenant_id, "PHONE", phone)
    contacts.stage_new(uow, contact_store.new_record(tenant_id, contact_id, doc, now),
                       frozenset({("PHONE", phone)}) if taken and phone else frozenset())
    return contact_id
