"""What marketing keeps of a contact, and the record segments filter on. No I/O here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

KEPT = ("first_name", "last_name", "title", "company_id", "owner_id", "team_id",
        "lifecycle_stage", "tags", "source", "properties", "created_at", "updated_at")
COMPANY_KEPT = ("name", "domain", "industry", "website", "city", "country", "properties")

#: Fields a segment filter may name (`properties.x` through the `properties` prefix).
SEGMENT_FIELDS = frozenset({
    "first_name", "last_name", "email", "phone", "title", "company_id", "owner_id", "team_id",
    "lifecycle_stage", "tags", "source", "properties", "created_at", "created_days_ago",
    "opened_campaigns", "clicked_campaigns", "has_won_opportunity", "consent_email",
    "consent_sms",
})


def _primary(entries: list[dict[str, Any]] | None, key: str) -> str | None:
    entries = [e for e in entries or [] if isinstance(e, dict) and e.get(key)]
    chosen = next((e for e in entries if e.get("primary")), entries[0] if entries else None)
    return str(chosen[key]).lower() if chosen and key == "address" else (
        str(chosen[key]) if chosen else None)


def project(contact: dict[str, Any]) -> tuple[dict[str, Any], str | None, str | None]:
    """The kept fields of a contact record, its primary email and its primary phone."""
    doc = {k: contact.get(k) for k in KEPT if contact.get(k) not in (None, [], {})}
    return doc, _primary(contact.get("emails"), "address"), _primary(contact.get("phones"),
                                                                     "number")


def project_company(company: dict[str, Any]) -> dict[str, Any]:
    return {k: company.get(k) for k in COMPANY_KEPT if company.get(k) not in (None, [], {})}


def newer(incoming: str | None, stored: str | None) -> bool:
    """True when a record stamped `incoming` should replace one stamped `stored`."""
    return stored is None or (incoming or "") >= stored


def days_since(iso: str | None, now: datetime) -> int | None:
    if not iso:
        return None
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0, (now - then).days)


def segment_record(person: Any, now: datetime) -> dict[str, Any]:
    """The flat record the filter grammar sees for a person (see SEGMENT_FIELDS)."""
    doc = dict(person.doc or {})
    return {**doc, "email": person.email, "phone": person.phone,
            "created_days_ago": days_since(doc.get("created_at"), now),
            "opened_campaigns": sorted(person.opened or ()),
            "clicked_campaigns": sorted(person.clicked or ()),
            "has_won_opportunity": bool(person.won),
            "consent_email": person.consent_email, "consent_sms": person.consent_sms}


def render_context(person: Any, company: dict[str, Any] | None) -> dict[str, Any]:
    """What a template sees: `contact.*` and `company.*` (missing values render empty)."""
    doc = dict(person.doc or {}) if person is not None else {}
    contact = {**doc, "email": getattr(person, "email", None),
               "phone": getattr(person, "phone", None),
               "contact_id": getattr(person, "contact_id", None)}
    return {"contact": contact, "company": dict(company or {})}
