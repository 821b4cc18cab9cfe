"""How a merged contact's record folds into the survivor's, in plain Python.

The survivor keeps what it has: only its empty fields are filled. Emails and phones are
unioned (the survivor's primaries stay), tags unioned, other lists appended without
repeats, maps (social, preferences, properties) gain the keys the survivor lacks. Fields
this module does not know are filled like any other scalar, so a field added later is
merged too. The survivor records which fields came from where in `merged_from`.
"""

from __future__ import annotations

from typing import Any

from crm_shared.errors import ValidationFailed

KEYED_LISTS = {"emails": "address", "phones": "number"}
LIMITS = {"emails": 10, "phones": 10, "tags": 50, "addresses": 10, "important_dates": 20,
          "social": 20}
BOOKKEEPING = {"merged_from", "merged_into", "merged_at"}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _union_keyed(mine: list[dict[str, Any]], theirs: list[dict[str, Any]],
                 key: str) -> list[dict[str, Any]]:
    if not mine:
        return [dict(item) for item in theirs]
    have = {item[key] for item in mine}
    return [*mine, *({**item, "primary": False} for item in theirs if item[key] not in have)]


def _fold_value(name: str, mine: Any, theirs: Any) -> Any:
    """The survivor's value after folding `theirs` in (unchanged if nothing to add)."""
    if _empty(theirs):
        return mine
    if _empty(mine):
        return theirs
    if name in KEYED_LISTS and isinstance(mine, list) and isinstance(theirs, list):
        return _union_keyed(mine, theirs, KEYED_LISTS[name])
    if name == "tags" and isinstance(mine, list) and isinstance(theirs, list):
        return sorted(set(mine) | set(theirs))
    if isinstance(mine, list) and isinstance(theirs, list):
        return [*mine, *(item for item in theirs if item not in mine)]
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return {**theirs, **mine}
    return mine


def fold(survivor: dict[str, Any], merged_id: str, merged: dict[str, Any], merged_at: str,
         field: str) -> dict[str, Any]:
    """The survivor's record with `merged` folded in; a 422 naming `field` over a limit."""
    out = dict(survivor)
    taken = []
    for name, value in merged.items():
        if name in BOOKKEEPING:
            continue
        folded = _fold_value(name, out.get(name), value)
        if folded != out.get(name):
            taken.append(name)
            out[name] = folded
    for name, limit in LIMITS.items():
        if len(out.get(name) or ()) > limit:
            raise ValidationFailed.for_field(
                field, f"merging it would give the contact {len(out[name])} {name}, more than "
                f"{limit}: remove some from one of the contacts first")
    history = [entry for entry in out.get("merged_from") or []
               if entry.get("contact_id") != merged_id]
    out["merged_from"] = [*history, *(merged.get("merged_from") or []),
                          {"contact_id": merged_id, "fields": sorted(taken),
                           "merged_at": merged_at}]
    return out


def has_folded(survivor: dict[str, Any], merged_id: str) -> bool:
    return any(e.get("contact_id") == merged_id for e in survivor.get("merged_from") or [])
