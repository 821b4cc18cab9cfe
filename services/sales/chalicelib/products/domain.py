"""Product rules in plain Python: what makes two names the same, and which names a product
claims (its name and its aliases, each once)."""

from __future__ import annotations

import re
from typing import Any

MAX_ALIASES = 10


def name_key(name: str) -> str:
    """Names compare case-insensitively, spaces collapsed: "gtx  PRO" is "GTX Pro"."""
    return re.sub(r"\s+", " ", name.strip()).casefold()


def claimed(doc: dict[str, Any]) -> dict[str, str]:
    """Every key the product holds -> the field that holds it (`name` or `aliases[i]`)."""
    keys = {name_key(str(doc["name"])): "name"} if doc.get("name") else {}
    for index, alias in enumerate(doc.get("aliases") or []):
        keys.setdefault(name_key(alias), f"aliases[{index}]")
    return keys


def clean_aliases(name: str, aliases: list[str]) -> list[str]:
    """Aliases without repeats or the product's own name, in the order given."""
    seen = {name_key(name)}
    out = []
    for alias in aliases:
        key = name_key(alias)
        if key not in seen:
            seen.add(key)
            out.append(re.sub(r"\s+", " ", alias.strip()))
    return out


def apply(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record after a merge-patch (null clears), and the fields that really changed."""
    updated = dict(current)
    changed = []
    for name, value in changes.items():
        if name == "aliases" and value is None:
            value = []
        if updated.get(name) != value:
            changed.append(name)
        updated[name] = value
    return {k: v for k, v in updated.items() if v is not None}, sorted(changed)
