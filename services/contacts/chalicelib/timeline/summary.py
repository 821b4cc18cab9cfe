"""Reading the parties a timeline belongs to, and the 360 card of a contact.

Contacts and companies are read by their own repositories' key functions; the checks a
write needs (do the named parties exist, are they visible, what do their summaries hold)
are one BatchGetItem together. The card is the contact (one GetItem), then its company and
its summary (one BatchGetItem): two round trips, whatever the length of the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import tenancy
from chalicelib.companies import logic as companies_logic
from chalicelib.companies import repository as companies
from chalicelib.companies.models import CompanyItem
from chalicelib.contacts import logic as contacts_logic
from chalicelib.contacts import repository as contacts
from chalicelib.contacts.models import ContactItem
from chalicelib.timeline import repository
from chalicelib.timeline.models import SummaryItem
from crm_shared.auth.roles import Visibility, visibility
from crm_shared.context import Principal
from crm_shared.errors import NotFound, ValidationFailed
from crm_shared.ids import is_id

Key = repository.Key


def seen_by(principal: Principal, tenant_id: str) -> Visibility:
    return visibility(principal, str(tenancy.settings_of(tenant_id).get(
        "record_visibility", "team")))


def party_key(tenant_id: str, party_id: str) -> Key:
    if is_id(party_id, "con"):
        return contacts.contact_keys(tenant_id, party_id)
    if is_id(party_id, "cmp"):
        return companies.company_keys(tenant_id, party_id)
    raise ValueError(f"not a party id: {party_id}")


def _record(raw: dict[str, Any] | None, party_id: str) -> ContactItem | CompanyItem | None:
    if raw is None:
        return None
    item: ContactItem | CompanyItem = (ContactItem if party_id.startswith("con_")
                                       else CompanyItem).from_raw_data(raw)
    return None if item.deleted else item


def _allowed(seen: Visibility, item: ContactItem | CompanyItem | None) -> bool:
    return item is not None and seen.allows(item.doc.get("owner_id"), item.doc.get("team_id"))


@dataclass
class Parties:
    """What a write that names parties read about them, in one BatchGetItem."""

    records: dict[str, ContactItem | CompanyItem]
    summaries: dict[str, SummaryItem | None]


def check_parties(principal: Principal, tenant_id: str, named: dict[str, str]) -> Parties:
    """The named parties (field -> id) and their summaries; a 422 naming the field of the
    first one that does not exist in the tenant or that the caller may not see."""
    party_ids = list(dict.fromkeys(named.values()))
    keys = {p: party_key(tenant_id, p) for p in party_ids}
    summary_keys = [repository.summary_keys(tenant_id, p) for p in party_ids]
    raw = repository.batch_raw([*keys.values(), *summary_keys], consistent=True)
    seen = seen_by(principal, tenant_id)
    records: dict[str, ContactItem | CompanyItem] = {}
    for field, party_id in named.items():
        item = _record(raw.get(keys[party_id]), party_id)
        if item is None or not _allowed(seen, item):
            what = "contact" if party_id.startswith("con_") else "company"
            raise ValidationFailed.for_field(field, f"no such {what} in this tenant")
        records[party_id] = item
    return Parties(records, repository.summaries(tenant_id, party_ids, raw))


def visible_party(principal: Principal, tenant_id: str, party_id: str) -> None:
    """404 unless the contact or company exists and the caller may see it (one GetItem)."""
    if party_id.startswith("con_"):
        contacts_logic.get(principal, tenant_id, party_id)
    elif party_id.startswith("cmp_"):
        companies_logic.get(principal, tenant_id, party_id)
    else:
        raise NotFound("no such contact or company")


@dataclass
class Card:
    contact: ContactItem
    company: dict[str, Any] | None
    summary: SummaryItem | None


def card(principal: Principal, tenant_id: str, contact_id: str) -> Card:
    """The contact, its company's name and domain, and its summary: two round trips."""
    contact = contacts_logic.get(principal, tenant_id, contact_id)
    company_id = contact.doc.get("company_id")
    summary_key = repository.summary_keys(tenant_id, contact_id)
    keys = [summary_key]
    if is_id(company_id, "cmp"):
        keys.append(companies.company_keys(tenant_id, str(company_id)))
    raw = repository.batch_raw(keys)
    company = None
    if len(keys) > 1:
        item = _record(raw.get(keys[1]), str(company_id))
        if item is not None:
            company = {"company_id": company_id, "name": item.doc.get("name"),
                       "domain": item.doc.get("domain")}
    found = raw.get(summary_key)
    return Card(contact, company, SummaryItem.from_raw_data(found) if found else None)
