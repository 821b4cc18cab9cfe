"""Lead use cases: create (flagging duplicates by email), read with visibility, patch, delete.

The lead's email is claimed while the lead is open, in the same transaction as the lead,
so two requests cannot both create "the" lead for one address; the second is flagged with
`duplicate_of` (or refused with `?on_duplicate=reject`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.assignment import repository as load
from chalicelib.leads import domain, repository
from chalicelib.leads.models import LeadItem
from chalicelib.leads.schemas import LeadOut
from crm_shared import clock
from crm_shared.auth.roles import visibility
from crm_shared.contact_data import normalize_email, normalize_phone
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.sales_events import LeadCreated, LeadDeleted, LeadUpdated
from crm_shared.ids import is_id, new_id
from crm_shared.mentions import mention_event
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork


def record(item: LeadItem) -> dict[str, Any]:
    """The lead as the API (and its events) show it: every field, null when unset."""
    return LeadOut(**{**item.doc, "lead_id": item.lead_id, "created_at": item.created_at,
                      "updated_at": item.updated_at, "version": item.version or 0}
                   ).model_dump(mode="json")


def shown_after_save(item: LeadItem) -> dict[str, Any]:
    """The record as it will read once the pending write (version + 1) commits."""
    return record(item) | {"version": (item.version or 0) + 1}


def normalized(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as stored: email lowercased and checked, phone in E.164, source lowercase."""
    out = dict(fields)
    if out.get("email") is not None:
        out["email"] = normalize_email(out["email"])
    if out.get("phone") is not None:
        out["phone"] = normalize_phone(out["phone"])
    if out.get("source") is not None:
        out["source"] = out["source"].lower()
    if "utm" in out and out["utm"] is not None:
        out["utm"] = {k: v for k, v in out["utm"].items() if v is not None}
    if "tags" in out and not out["tags"]:
        out["tags"] = None  # no tags is stored as none
    return out


def visible(principal: Principal, item: LeadItem | None) -> LeadItem:
    """The lead if the caller may see it (owner, team, or who created it), else 404."""
    if item is None:
        raise NotFound("no such lead")
    seen = visibility(principal)
    doc = item.doc
    if not (seen.allows(doc.get("owner_id"), doc.get("team_id"))
            or doc.get("created_by") == principal.subject):
        raise NotFound("no such lead")
    return item


def get(principal: Principal, tenant_id: str, lead_id: str, consistent: bool = False) -> LeadItem:
    item = repository.get(tenant_id, lead_id, consistent) if is_id(lead_id, "lea") else None
    return visible(principal, item)


def _duplicate(tenant_id: str, email: str, holder: str) -> Conflict:
    return Conflict(f"an open lead with this email exists: {holder}", code="duplicate_lead",
                    errors=[{"field": "email", "message": f"already belongs to lead {holder}",
                             "existing_id": holder}])


def _claim_email(uow: UnitOfWork, tenant_id: str, lead_id: str, doc: dict[str, Any],
                 reject: bool) -> None:
    """Claim `doc['email']` for the lead, or flag it as a duplicate of the holder."""
    doc.pop("duplicate_of", None)
    email = doc.get("email")
    if not email or doc.get("status") not in domain.OPEN:
        return
    holder = repository.claimant(tenant_id, email)
    if holder == lead_id:
        return
    if holder is None:
        repository.claim(uow, tenant_id, email, lead_id)
    elif reject:
        raise _duplicate(tenant_id, email, holder)
    else:
        doc["duplicate_of"] = holder


def _release_email(uow: UnitOfWork, tenant_id: str, lead_id: str, doc: dict[str, Any]) -> None:
    email = doc.get("email")
    if email and doc.get("status") in domain.OPEN and not doc.get("duplicate_of"):
        repository.release(uow, tenant_id, email, lead_id)


def _holder(doc: dict[str, Any]) -> str | None:
    """Whose open-lead count this lead adds to (caps count open leads only)."""
    return doc.get("owner_id") if doc.get("status", domain.NEW) in domain.OPEN else None


def _move_load(uow: UnitOfWork, tenant_id: str, before: dict[str, Any], after: dict[str, Any],
               guard: load.Guard | None = None) -> None:
    old, new = _holder(before), _holder(after)
    if old == new:
        return
    if old:
        load.adjust(uow, tenant_id, old, -1)
    if new:
        load.adjust(uow, tenant_id, new, +1, guard if guard and guard.user_id == new else None)


def _commit(uow: UnitOfWork, tenant_id: str, doc: dict[str, Any]) -> None:
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if "email" in conflict.labels:  # claimed meanwhile by another request
            holder = repository.claimant(tenant_id, str(doc.get("email"))) or "another lead"
            raise _duplicate(tenant_id, str(doc.get("email")), holder) from None
        raise


def stage_create(uow: UnitOfWork, principal: Principal, tenant_id: str, fields: dict[str, Any],
                 reject_duplicate: bool = False, lead_id: str | None = None) -> LeadItem:
    """Stage a new lead, its email claim and LeadCreated in `uow` (forms use this too)."""
    doc = normalized({k: v for k, v in fields.items() if v is not None})
    domain.require_identity(doc)
    doc.setdefault("status", domain.NEW)
    if principal.kind in {"user", "api_key"}:
        doc["created_by"] = principal.subject
    doc["assignment_status"] = "manual" if doc.get("owner_id") else "pending"
    lead_id = lead_id or new_id("lea")
    _claim_email(uow, tenant_id, lead_id, doc, reject_duplicate)
    _move_load(uow, tenant_id, {}, doc)
    item = repository.new_record(tenant_id, lead_id, doc, clock.iso())
    uow.put(item, LeadItem.PK.does_not_exist(), label="lead")
    shown = record(item) | {"version": 1}
    uow.emit(LeadCreated(lead_id=lead_id, lead=shown), tenant_id)
    return item


def create(principal: Principal, tenant_id: str, fields: dict[str, Any],
           reject_duplicate: bool = False) -> LeadItem:
    uow = repository.unit_of_work()
    item = stage_create(uow, principal, tenant_id, fields, reject_duplicate)
    _emit_mentions(uow, principal, tenant_id, item, None)
    _commit(uow, tenant_id, item.doc)
    return item


def _emit_mentions(uow: UnitOfWork, principal: Principal, tenant_id: str, item: LeadItem,
                   notes_before: str | None) -> None:
    """UserMentioned for the users the saved notes newly @mention (platform notifications)."""
    event = mention_event("sales", "lead", item.lead_id, item.doc.get("notes"),
                          principal.subject if principal.kind == "user" else None, notes_before)
    if event is not None:
        uow.emit(event, tenant_id)


def stage_save(uow: UnitOfWork, item: LeadItem, changes: dict[str, Any],
               load_guard: load.Guard | None = None) -> list[str]:
    """Stage a merge-patch of stored fields with its claim moves and LeadUpdated.

    Returns the fields that changed (nothing is staged when none did). Used by the API and
    by the features that change a lead inside their own transaction (assignment, scoring,
    conversion, contact events).
    """
    before = dict(item.doc)
    after, changed = domain.apply(before, changes)
    if not changed:
        return []
    tenant_id = item.tenant_id
    email_moved = before.get("email") != after.get("email") or (
        (before.get("status") in domain.OPEN) != (after.get("status") in domain.OPEN))
    if email_moved:
        _release_email(uow, tenant_id, item.lead_id, before)
        _claim_email(uow, tenant_id, item.lead_id, after, reject=False)
    _move_load(uow, tenant_id, before, after, load_guard)
    item.doc = after
    item.updated_at = clock.iso()
    repository.index_record(item)
    uow.put(item, label="version")
    uow.emit(LeadUpdated(lead_id=item.lead_id, lead=shown_after_save(item), changed=changed),
             tenant_id)
    return changed


def update(principal: Principal, tenant_id: str, lead_id: str, fields: dict[str, Any],
           if_match: int | None) -> LeadItem:
    item = get(principal, tenant_id, lead_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the lead changed since you read it", code="version_mismatch")
    status = item.doc.get("status", domain.NEW)
    if status == domain.CONVERTED:
        raise Conflict.for_field("status", "a converted lead is read-only",
                                 code="lead_converted")
    changes = normalized(fields)
    if "status" in changes:
        if changes["status"] is None:
            raise ValidationFailed.for_field("status", "cannot be cleared")
        domain.check_transition(status, changes["status"])
    if "owner_id" in changes:
        changes["assignment_status"] = "manual" if changes["owner_id"] else None
        changes["assignment_note"] = None
    domain.require_identity({**item.doc, **changes})
    uow = repository.unit_of_work()
    notes_before = item.doc.get("notes")
    if stage_save(uow, item, changes):
        _emit_mentions(uow, principal, tenant_id, item, notes_before)
        _commit(uow, tenant_id, item.doc)
    return item


def delete(principal: Principal, tenant_id: str, lead_id: str) -> None:
    item = get(principal, tenant_id, lead_id, consistent=True)
    uow = repository.unit_of_work()
    _release_email(uow, tenant_id, lead_id, item.doc)
    _move_load(uow, tenant_id, item.doc, {})
    uow.delete(item, LeadItem.version == item.version, label="version")
    uow.emit(LeadDeleted(lead_id=lead_id), tenant_id)
    uow.commit()
