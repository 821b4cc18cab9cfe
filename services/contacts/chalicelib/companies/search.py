"""POST /companies/search: the shared filter grammar, served by one index Query, never a Scan.

A domain `eq` is one read of the domain claim, a tag `eq` one tag entry Query, a name
`prefix` one Query of the name entries; else the narrowest list index an `eq` allows (owner,
parent, industry, team), else the tenant-wide index, which the answer's `plan` admits.
Filters the lookup cannot apply are checked on the page read.
"""

from __future__ import annotations

from typing import Any

from chalicelib import listing
from chalicelib.companies import domain, logic, repository
from chalicelib.listing import Lists
from crm_shared.auth.roles import Visibility
from crm_shared.errors import ValidationFailed
from crm_shared.filters import IndexSpec, SearchRequest, SearchResult, single_filter
from crm_shared.validation import search_request

FIELDS = {
    "name", "domain", "industry", "employees", "annual_revenue", "parent_id", "owner_id",
    "team_id", "tags", "created_at", "updated_at", "properties",
}
LIST_INDEXES = [IndexSpec(name=field, partition_field=field, sort_field="updated_at")
                for field in repository.LIST_INDEXES]


def _normalized_domains(payload: Any) -> Any:
    """Domain filter values in the stored form, so `https://www.Acme.com/` finds `acme.com`."""
    if not isinstance(payload, dict) or not isinstance(payload.get("filter_groups"), list):
        return payload
    groups = []
    for group in payload["filter_groups"]:
        if isinstance(group, dict) and isinstance(group.get("filters"), list):
            group = {**group, "filters": [_domain_value(f) for f in group["filters"]]}
        groups.append(group)
    return {**payload, "filter_groups": groups}


def _domain_value(flt: Any) -> Any:
    if not (isinstance(flt, dict) and flt.get("field") == "domain"
            and flt.get("operator") in ("eq", "neq") and isinstance(flt.get("value"), str)):
        return flt
    try:
        return {**flt, "value": domain.normalize_domain(flt["value"])}
    except ValidationFailed:
        return flt  # not a domain: matches nothing (an eq lookup says why)


def parse(payload: Any) -> SearchRequest:
    return search_request(_normalized_domains(payload), FIELDS)


def _entry_lookup(tenant_id: str, request: SearchRequest) -> tuple[str, str | None, str] | None:
    by_domain = single_filter(request, "domain")
    if by_domain is not None:
        value = domain.normalize_domain(str(by_domain.value), "filter_groups[0].filters.value")
        return repository.domain_pk(tenant_id, value), None, "company_domain"
    tag = single_filter(request, "tags")
    if tag is not None:
        return repository.tag_pk(tenant_id, str(tag.value).lower()), None, "company_tag"
    name = single_filter(request, "name", "prefix")
    if name is not None:
        return repository.name_pk(tenant_id), str(name.value).lower(), "company_name"
    return None


LISTS = Lists("companies", repository.list_records, repository.entries, logic.record,
              LIST_INDEXES)


def run(tenant_id: str, request: SearchRequest, seen: Visibility) -> SearchResult:
    return listing.search(LISTS, tenant_id, request, seen, _entry_lookup(tenant_id, request))
