"""Search and delta sync, once for every party list (contacts and companies).

Each feature says how to read its lists (a `Lists`); the planning, the visibility check
and the change feed's shape are the same for both, so they live here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm_shared.auth.roles import Visibility
from crm_shared.filters import IndexSpec, SearchRequest, SearchResult, plan, single_filter

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
