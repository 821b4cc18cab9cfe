"""Segment rules: the filter grammar over the read model's record. No I/O here."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from chalicelib.audience.domain import SEGMENT_FIELDS
from crm_shared.filters import SearchRequest
from crm_shared.validation import search_request

KINDS = ("dynamic", "static")
#: Fields whose value changes by itself as days pass: a filter on one needs re-evaluating.
TIME_FIELDS = frozenset({"created_days_ago"})


def depends_on_time(segment_filter: dict[str, Any] | None) -> bool:
    """True when the stored filter names a time-relative field (in any group)."""
    return any(f.get("field") in TIME_FIELDS
               for group in (segment_filter or {}).get("filter_groups", [])
               for f in group.get("filters", []))


def parse_filter(raw: dict[str, Any]) -> SearchRequest:
    """A segment filter: `filter_groups` over SEGMENT_FIELDS; a 422 naming each bad part
    (an unknown field is named with its position, e.g. filter.filter_groups[0]...)."""
    from crm_shared.errors import ValidationFailed

    try:
        return search_request({"filter_groups": raw.get("filter_groups", [])},
                              set(SEGMENT_FIELDS))
    except ValidationFailed as problem:
        for error in problem.errors:
            error["field"] = f"filter.{error['field']}"
        raise


def stored(request: SearchRequest) -> dict[str, Any]:
    return {"filter_groups": request.model_dump(mode="json", exclude_none=True)["filter_groups"]}


@lru_cache(maxsize=512)
def _request(stored_json: str) -> SearchRequest:
    return SearchRequest.model_validate(json.loads(stored_json))


def matches(segment_filter: dict[str, Any] | None, record: dict[str, Any]) -> bool:
    """A stored filter against a person's segment record (stored filters were validated;
    each is parsed once per container, not once per person)."""
    if segment_filter is None:
        return False
    return _request(json.dumps(segment_filter, sort_keys=True)).matches(record)
