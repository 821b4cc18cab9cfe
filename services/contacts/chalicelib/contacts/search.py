"""POST /contacts/search: the shared filter grammar, served by one index Query, never a Scan.

The planner picks the narrowest lookup the filters allow: an email or phone claim, a tag
or name entry, one of the list indexes; only when none fits does it read the tenant-wide
index, and the answer's `plan` says so. Filters the lookup cannot apply are checked on the
page it read, so a page costs what it reads whatever the tenant's size.
"""

from __future__ import annotations

from typing import Any

from chalicelib import listing
from chalicelib.contacts import logic, repository
from chalicelib.listing import Lists
from crm_shared.auth.roles import Visibility
from crm_shared.contact_data import normalize_email, normalize_phone
from crm_shared.filters import IndexSpec, SearchRequest, SearchResult, single_filter
from crm_shared.validation import search_request

FIELDS = {
    "email", "phone", "tags", "name", "first_name", "last_name", "owner_id", "team_id",
    "company_id", "lifecycle_stage", "source", "title", "created_at", "updated_at",
    "properties", "birthday",
}
LIST_INDEXES = [IndexSpec(name=field, partition_field=field, sort_field="updated_at")
                for field in repository.LIST_INDEXES]


def searchable(contact: dict[str, Any]) -> dict[str, Any]:
    """The record with the derived fields filters may name (email, phone, name)."""
    return {
        **contact,
        "email": [e["address"] for e in contact.get("emails") or []],
        "phone": [p["number"] for p in contact.get("phones") or []],
        "name": " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p),
    }


def parse(payload: Any) -> SearchRequest:
    return search_request(payload, FIELDS)


LISTS = Lists("contacts", repository.list_records, repository.entries, logic.record,
              LIST_INDEXES, searchable)


def run(tenant_id: str, request: SearchRequest, seen: Visibility,
        default_region: str) -> SearchResult:
    return listing.search(LISTS, tenant_id, request, seen,
                          _entry_lookup(tenant_id, request, default_region))


def _entry_lookup(tenant_id: str, request: SearchRequest,
                  region: str) -> tuple[str, str | None, str] | None:
    email = single_filter(request, "email")
    if email is not None:
        value = normalize_email(str(email.value), "filter_groups[0].filters.value")
        return repository.claim_pk(tenant_id, "EMAIL", value), None, "contact_email"
    phone = single_filter(request, "phone")
    if phone is not None:
        value = normalize_phone(str(phone.value), region, "filter_groups[0].filters.value")
        return repository.claim_pk(tenant_id, "PHONE", value), None, "contact_phone"
    tag = single_filter(request, "tags")
    if tag is not None:
        return repository.tag_pk(tenant_id, str(tag.value).lower()), None, "contact_tag"
    if len(request.filter_groups) == 1:
        for flt in request.filter_groups[0].filters:
            if flt.field == "name" and flt.operator == "prefix" and isinstance(flt.value, str):
                return repository.name_pk(tenant_id), flt.value.lower(), "contact_name"
    return None
