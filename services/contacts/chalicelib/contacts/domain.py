"""Contact rules in plain Python: normalization, primaries, what changed, index entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_shared.contact_data import normalize_email, normalize_phone
from crm_shared.errors import ValidationFailed

LIST_FIELDS = ("emails", "phones", "addresses", "important_dates", "tags")


def normalize_emails(emails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lowercased, checked, unique, with exactly one primary (the first, unless one is set)."""
    seen: set[str] = set()
    out = []
    for index, email in enumerate(emails):
        address = normalize_email(email["address"], f"emails[{index}].address")
        if address in seen:
            raise ValidationFailed.for_field(f"emails[{index}].address", "is listed twice")
        seen.add(address)
        out.append({**email, "address": address})
    return _one_primary(out, "emails")


def normalize_phones(phones: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for index, phone in enumerate(phones):
        number = normalize_phone(phone["number"], region, f"phones[{index}].number")
        if number in seen:
            raise ValidationFailed.for_field(f"phones[{index}].number", "is listed twice")
        seen.add(number)
        out.append({**phone, "number": number})
    return _one_primary(out, "phones")


def _one_primary(items: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    primaries = [i for i, item in enumerate(items) if item.get("primary")]
    if len(primaries) > 1:
        raise ValidationFailed.for_field(f"{field}[{primaries[1]}].primary",
                                         "only one can be primary")
    chosen = primaries[0] if primaries else 0
    return [{**item, "primary": i == chosen} for i, item in enumerate(items)]


def apply(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record after a merge-patch, and the names of the fields that really changed."""
    updated = dict(current)
    changed = []
    for name, value in changes.items():
        if updated.get(name) != value:
            changed.append(name)
        if value is None and name in LIST_FIELDS:
            value = []
        updated[name] = value
    return updated, sorted(changed)


def display_name(doc: dict[str, Any]) -> str:
    """How lists and name search know the person: full name, else the primary email."""
    name = " ".join(p for p in (doc.get("first_name"), doc.get("last_name")) if p)
    if name:
        return name.lower()
    primary = next((e["address"] for e in doc.get("emails") or [] if e.get("primary")), "")
    return str(primary)


def require_identity(doc: dict[str, Any]) -> None:
    """A contact needs something to know them by."""
    if not (doc.get("first_name") or doc.get("last_name") or doc.get("emails")
            or doc.get("phones")):
        raise ValidationFailed.for_field(
            "first_name", "give a first or last name, an email or a phone")


@dataclass(frozen=True)
class Entries:
    """The lookup keys a contact occupies: unique claims and shared index entries."""

    emails: frozenset[str]
    phones: frozenset[str]
    tags: frozenset[str]
    name: str


def entries_of(doc: dict[str, Any]) -> Entries:
    return Entries(
        emails=frozenset(e["address"] for e in doc.get("emails") or []),
        phones=frozenset(p["number"] for p in doc.get("phones") or []),
        tags=frozenset(doc.get("tags") or []),
        name=display_name(doc),
    )
