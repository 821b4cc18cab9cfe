"""Lists, search and delta sync, once for every party list (contacts and companies).

Each feature says how to read its lists (a `Lists`); a list page's filters, the search
planning, the visibility check and the change feed's shape are the same for both, so they
live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_shared.auth.roles import Visibility
from crm_shared.errors import BadRequest
from crm_shared.filters import IndexSpec, SearchRequest, SearchResult, plan, single_filter
from crm_shared.pagination import parse_limit

Page = tuple[list[Any], str | None]


@dataclass(frozen=True)
class Lists:
    """How one kind of party is read: its name, indexes, entry lookups and record shape."""

    name: str  # "contacts" / "companies": names the index in a search plan
    list_records: Callable[..., Page]  # (tenant, limit, cursor, field, value) -> page
    entries: Callable[..., Page]  # (tenant, pk, limit, cursor, prefix) -> page of entries
    record: Callable[[Any], dict[str, Any]]  # the API's shape of a record
    indexes: list[IndexSpec]
    searchable: Callable[[dict[str, Any]], dict[str, Any]] = lambda record: record


def page(lists: Lists, tenant_id: str, query: Mapping[str, str], filters: tuple[str, ...],
         tag_pk: Callable[[str, str], str],
         seen_by: Callable[[], Visibility]) -> tuple[list[dict[str, Any]], str | None]:
    """`GET /<parties>`: a page of records, newest change first, on the list of at most one
    of `filters` or a `tag` (and `updated_since`); only those `seen_by()` allows (asked once
    the query is known to be good). More filters at once are a 400: search combines them."""
    limit = parse_limit(query.get("limit"))
    chosen = {k: query[k] for k in filters if query.get(k)}
    tag = query.get("tag")
    if len(chosen) + bool(tag) > 1:
        raise BadRequest.for_field(filters[0], f"filter by one of {', '.join(filters)} or tag "
                                   f"at a time; use POST /{lists.name}/search to combine "
                                   "filters")
    seen = seen_by()
    if tag:
        entries, cursor = lists.entries(tenant_id, tag_pk(tenant_id, tag.lower()), limit,
                                        query.get("cursor"))
        records = [e.record for e in entries]
    else:
        field, value = next(iter(chosen.items()), (None, None))
        items, cursor = lists.list_records(tenant_id, limit, query.get("cursor"), field, value,
                                           since=query.get("updated_since"))
        records = [lists.record(i) for i in items if not i.deleted]
    return [r for r in records if seen.allows(r.get("owner_id"), r.get("team_id"))], cursor


def search(lists: Lists, tenant_id: str, request: SearchRequest, seen: Visibility,
           lookup: tuple[str, str | None, str] | None) -> SearchResult:
    """One Query: the entry `lookup` (pk, sort prefix, index name) when the filters allow
    one, else the narrowest list index an `eq` picks, else the tenant-wide list. Filters
    the Query cannot apply are checked on the page it read."""
    if lookup is not None:
        pk, prefix, index = lookup
        found, cursor = lists.entries(tenant_id, pk, request.limit, request.cursor, prefix)
        records = [entry.record for entry in found]
        tenant_wide = False
    else:
        chosen = plan(request, lists.indexes)
        # the planner lowercases values; ids are keyed as written, so take the filter's own
        eq = single_filter(request, chosen.index.name) if chosen else None
        field = chosen.index.name if chosen and eq else None
        value = str(eq.value) if eq else None
        items, cursor = lists.list_records(tenant_id, request.limit, request.cursor, field,
                                           value)
        records = [lists.record(item) for item in items if not item.deleted]
        index = f"{lists.name}_by_{field}" if field else f"{lists.name}_all"
        tenant_wide = field is None
    matches = [r for r in records if request.matches(lists.searchable(r))
               and seen.allows(r.get("owner_id"), r.get("team_id"))]
    filters = sum(len(g.filters) for g in request.filter_groups)
    return SearchResult(matches, cursor, index, tenant_wide, filters)


def changes(items: list[Any], id_field: str, key: str,
            shown: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """A page of the change feed: an upsert with the record, or a tombstone, per item."""
    return [{"op": "delete" if item.deleted else "upsert",
             id_field: getattr(item, id_field), "updated_at": item.updated_at,
             key: None if item.deleted else shown(item)} for item in items]
