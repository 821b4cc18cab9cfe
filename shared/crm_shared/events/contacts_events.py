"""Events the contacts service publishes (source crm.contacts)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from crm_shared.events.envelope import Event


class ContactsEvent(Event):
    source = "crm.contacts"


class ContactCreated(ContactsEvent):
    """A contact exists; `contact` is its full record as the API shows it."""

    contact_id: str
    contact: dict[str, Any]


class ContactUpdated(ContactsEvent):
    """`contact` is the record after the change; `changed` names the fields that changed."""

    contact_id: str
    contact: dict[str, Any]
    changed: list[str]


class ContactDeleted(ContactsEvent):
    """The contact is gone from lists and search; a tombstone remains for sync."""

    contact_id: str


class ContactMerged(ContactsEvent):
    """`merged_ids` were folded into `contact_id` (the survivor) and no longer exist."""

    contact_id: str
    merged_ids: list[str]
    contact: dict[str, Any]


class ContactErased(ContactsEvent):
    """GDPR erasure: every service must drop what it holds about this person."""

    contact_id: str
    erased_at: str


class CompanyCreated(ContactsEvent):
    company_id: str
    company: dict[str, Any]


class CompanyUpdated(ContactsEvent):
    company_id: str
    company: dict[str, Any]
    changed: list[str]


class CompanyDeleted(ContactsEvent):
    company_id: str


class CompanyMerged(ContactsEvent):
    company_id: str
    merged_ids: list[str]
    company: dict[str, Any]


class RelationshipCreated(ContactsEvent):
    """A directed, typed edge between two parties (its inverse is implied)."""

    relationship_id: str
    from_id: str
    to_id: str
    type: str
    label: str | None = None


class RelationshipDeleted(ContactsEvent):
    relationship_id: str
    from_id: str
    to_id: str
    type: str


class InteractionLogged(ContactsEvent):
    interaction_id: str
    kind: str
    direction: str | None = None
    channel: str | None = None
    subject: str | None = None
    occurred_at: str
    contact_ids: list[str] = Field(default_factory=list)
    company_ids: list[str] = Field(default_factory=list)


class InteractionUpdated(ContactsEvent):
    """An interaction was edited; `changed` names the fields (subject, body, occurred_at,
    duration_seconds), the rest is the interaction after the edit."""

    interaction_id: str
    kind: str
    subject: str | None = None
    occurred_at: str
    duration_seconds: int | None = None
    changed: list[str]
    contact_ids: list[str] = Field(default_factory=list)
    company_ids: list[str] = Field(default_factory=list)


class InteractionDeleted(ContactsEvent):
    """An interaction and its timeline entries are gone."""

    interaction_id: str
    kind: str
    contact_ids: list[str] = Field(default_factory=list)
    company_ids: list[str] = Field(default_factory=list)


class ConsentChanged(ContactsEvent):
    contact_id: str
    channel: str
    status: str
    legal_basis: str | None = None
    obtained_from: str | None = None  # where consent was given: a form, an import, a call
    changed_at: str


class ImportCompleted(ContactsEvent):
    import_id: str
    object_type: str
    total: int
    created: int
    updated: int
    skipped: int
    failed: int
