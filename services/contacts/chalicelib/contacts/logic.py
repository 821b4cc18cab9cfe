"""Contact use cases: create with dedupe, read with visibility, patch, delete to tombstone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import tenancy
from chalicelib.contacts import domain, repository
from chalicelib.contacts.models import ContactItem
from chalicelib.contacts.schemas import ContactCreate, ContactFields
from chalicelib.properties import logic as properties
from crm_shared import clock
from crm_shared.auth.roles import visibility
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.contacts_events import ContactCreated, ContactDeleted, ContactUpdated
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

ON_DUPLICATE = ("reject", "return", "allow")


def record(item: ContactItem) -> dict[str, Any]:
    """The contact as the API shows it."""
    return {**item.doc, "contact_id": item.contact_id, "created_at": item.created_at,
            "updated_at": item.updated_at, "version": item.version or 0}


def _normalized(tenant_id: str, fields: dict[str, Any],
                existing_properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fields as stored: normalized emails and phones, checked custom properties."""
    out = dict(fields)
    if out.get("emails") is not None:
        out["emails"] = domain.normalize_emails(out["emails"])
    if out.get("phones") is not None:
        region = str(tenancy.settings_of(tenant_id)["default_phone_region"])
        out["phones"] = domain.normalize_phones(out["phones"], region)
    if "properties" in out:
        out["properties"] = properties.validate(
            tenant_id, "contact", out["properties"] or {}, existing_properties)
    for name in ("birthday",):
        if out.get(name) is not None:
            out[name] = str(out[name])
    return out


def _visible(principal: Principal, item: ContactItem | None) -> ContactItem:
    if item is not None and item.deleted and item.doc.get("merged_into"):
        raise merged_problem(item)
    if item is None or item.deleted:
        raise NotFound("no such contact")
    if not is_visible(principal, item):
        raise NotFound("no such contact")
    return item


def is_visible(principal: Principal, item: ContactItem) -> bool:
    """Whether the tenant's record-visibility policy lets `principal` see this contact."""
    scope = str(tenancy.settings_of(item.tenant_id).get("record_visibility", "team"))
    return visibility(principal, scope).allows(item.doc.get("owner_id"), item.doc.get("team_id"))


def merged_problem(item: ContactItem) -> NotFound:
    """A merged contact is gone (404), but the answer names the survivor to follow."""
    survivor = str(item.doc["merged_into"])
    return NotFound(f"contact {item.contact_id} was merged into {survivor}",
                    code="contact_merged", headers={"Location": f"/contacts/{survivor}"},
                    errors=[{"field": "contact_id", "message": f"was merged into {survivor}",
                             "merged_into": survivor}])


def get(principal: Principal, tenant_id: str, contact_id: str) -> ContactItem:
    item = repository.get(tenant_id, contact_id) if is_id(contact_id, "con") else None
    return _visible(principal, item)


def get_for_update(principal: Principal, tenant_id: str, contact_id: str) -> ContactItem:
    """As `get`, read strongly: for use cases that rewrite what they read (merge)."""
    item = repository.get(tenant_id, contact_id, consistent=True) if is_id(
        contact_id, "con") else None
    return _visible(principal, item)


@dataclass
class Created:
    item: ContactItem
    created: bool


def create(principal: Principal, tenant_id: str, cmd: ContactCreate,
           on_duplicate: str = "reject") -> Created:
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationFailed.for_field("on_duplicate", f"must be one of {ON_DUPLICATE}")
    item = new_contact(tenant_id, cmd, principal.subject if principal.kind == "user" else None)
    doc = item.doc
    entries = domain.entries_of(doc)
    duplicates: frozenset[tuple[str, str]] = frozenset()
    if on_duplicate != "reject":
        found = _existing(tenant_id, entries)
        if found and on_duplicate == "return":
            existing = repository.get(tenant_id, found[0][2], consistent=True)
            if existing is not None and not existing.deleted:
                return Created(existing, created=False)
        duplicates = frozenset((kind, value) for kind, value, _ in found)
    try:
        with repository.unit_of_work() as uow:
            stage_new(uow, item, duplicates)
    except TransactionConflict as conflict:
        raise _duplicate(tenant_id, conflict, doc) from conflict
    return Created(item, created=True)


def new_contact(tenant_id: str, cmd: ContactCreate, owner_id: str | None = None) -> ContactItem:
    """The record a create makes (normalized emails and phones, checked properties, owned by
    `owner_id` unless it names another owner, known by something), not yet staged."""
    doc = _normalized(tenant_id, cmd.model_dump(mode="json", exclude_none=True))
    if owner_id and "owner_id" not in doc:
        doc["owner_id"] = owner_id
    domain.require_identity(doc)
    return repository.new_record(tenant_id, new_id("con"), doc, clock.iso())


def stage_new(uow: UnitOfWork, item: ContactItem,
              duplicates: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Add a new contact (record, claims, entries, ContactCreated) to `uow`.

    `duplicates` lists the (kind, value) claimed by another contact, held beside it.
    """
    entries = domain.entries_of(item.doc)
    _keep_duplicates(item, duplicates, entries)
    shown = record(item) | {"version": 1}
    uow.put(item, condition=ContactItem.PK.does_not_exist(), label="contact")
    repository.write_entries(uow, item.tenant_id, item.contact_id, shown, None, entries,
                             duplicates)
    uow.emit(ContactCreated(contact_id=item.contact_id, contact=shown), item.tenant_id)


def duplicates_of(item: ContactItem) -> frozenset[tuple[str, str]]:
    """The (kind, value) this contact holds beside another contact's claim."""
    return frozenset(tuple(v.split(":", 1)) for v in item.dup_claims or ())  # type: ignore[misc]


def _keep_duplicates(item: ContactItem, duplicates: frozenset[tuple[str, str]],
                     entries: domain.Entries) -> None:
    present = {("EMAIL", v) for v in entries.emails} | {("PHONE", v) for v in entries.phones}
    kept = {f"{kind}:{value}" for kind, value in duplicates if (kind, value) in present}
    item.dup_claims = kept or None


def _existing(tenant_id: str, entries: domain.Entries) -> list[tuple[str, str, str]]:
    found = []
    for kind, values in (("EMAIL", entries.emails), ("PHONE", entries.phones)):
        for value in sorted(values):
            owner = repository.claim_owner(tenant_id, kind, value)
            if owner:
                found.append((kind, value, owner))
    return found


def _duplicate(tenant_id: str, conflict: TransactionConflict, doc: dict[str, Any]) -> Conflict:
    """A 409 that names the duplicated field and the contact that already has it."""
    errors = []
    for label in conflict.labels:
        kind, _, value = label.partition(":")
        listing = doc.get("emails" if kind == "email" else "phones") or []
        key = "address" if kind == "email" else "number"
        index = next((i for i, e in enumerate(listing) if e[key] == value), 0)
        owner = repository.claim_owner(tenant_id, kind.upper(), value)
        errors.append({"field": f"{'emails' if kind == 'email' else 'phones'}[{index}].{key}",
                       "message": f"already belongs to contact {owner}",
                       "existing_id": owner or ""})
    problem = Conflict("a contact with this email or phone exists: " + ", ".join(
        e["existing_id"] for e in errors), errors=errors, code="duplicate_contact")
    return problem


def update(principal: Principal, tenant_id: str, contact_id: str, cmd: ContactFields,
           if_match: int | None) -> ContactItem:
    item = get(principal, tenant_id, contact_id)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the contact changed since you read it",
                                 code="version_mismatch")
    sent = cmd.model_dump(mode="json", exclude_unset=True)
    changes = _normalized(tenant_id, sent, item.doc.get("properties"))
    before_doc = dict(item.doc)
    after_doc, changed = domain.apply(before_doc, changes)
    after_doc = {k: v for k, v in after_doc.items() if v is not None}
    domain.require_identity(after_doc)
    if not changed:
        return item
    try:
        with repository.unit_of_work() as uow:
            stage_update(uow, item, after_doc, changed)
    except TransactionConflict as conflict:
        raise _duplicate(tenant_id, conflict, after_doc) from conflict
    return item


def stage_update(uow: UnitOfWork, item: ContactItem, after_doc: dict[str, Any],
                 changed: list[str]) -> dict[str, Any]:
    """Add the rewrite of `item` as `after_doc` (entries, ContactUpdated) to `uow`; the
    put is conditioned on the version read. Returns the record as the event shows it."""
    before, after = domain.entries_of(item.doc), domain.entries_of(after_doc)
    duplicates = duplicates_of(item)
    item.doc = after_doc
    item.updated_at = clock.iso()
    repository.index_record(item)
    _keep_duplicates(item, duplicates, after)
    shown = record(item) | {"version": (item.version or 0) + 1}
    uow.put(item, label="version")
    repository.write_entries(uow, item.tenant_id, item.contact_id, shown, before, after,
                             duplicates)
    uow.emit(ContactUpdated(contact_id=item.contact_id, contact=shown, changed=changed),
             item.tenant_id)
    return shown


def delete(principal: Principal, tenant_id: str, contact_id: str) -> None:
    """Leave a tombstone for sync clients; free the contact's emails and phones."""
    item = get(principal, tenant_id, contact_id)
    before = domain.entries_of(item.doc)
    duplicates = duplicates_of(item)
    item.deleted = True
    item.doc = {}
    item.dup_claims = None
    item.updated_at = clock.iso()
    item.expires_at = clock.now() + timedelta(days=repository.TOMBSTONE_DAYS)
    repository.index_record(item)
    with repository.unit_of_work() as uow:
        uow.put(item, label="version")
        repository.write_entries(uow, tenant_id, contact_id, {}, before, None, duplicates)
        uow.emit(ContactDeleted(contact_id=contact_id), tenant_id)
