"""Prefixed ULIDs: sortable by creation time, and the prefix tells a reader what an id names."""

from __future__ import annotations

import re

from ulid import ULID

PREFIXES = {
    "tenant": "ten",
    "user": "usr",
    "team": "tea",
    "api_key": "key",
    "event": "evt",
    "contact": "con",
    "company": "cmp",
    "lead": "lea",
    "opportunity": "opp",
    "ticket": "tkt",
    "campaign": "cam",
}

_ID = re.compile(r"^([a-z]{3})_[0-9A-HJKMNP-TV-Z]{26}$")


def new_id(prefix: str) -> str:
    """A new id such as `con_01JD...`."""
    return f"{prefix}_{ULID()}"


def is_id(value: object, prefix: str) -> bool:
    """True when `value` is a well-formed id with this prefix (cheap guard before a lookup)."""
    if not isinstance(value, str):
        return False
    match = _ID.match(value)
    return match is not None and match.group(1) == prefix
