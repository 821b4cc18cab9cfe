"""Company use cases: create, read with visibility, patch, delete to tombstone, hierarchy.

A company's parent_id is mirrored by a `parent_of` edge of the relationship network, written
in the same transaction as the company, so the network and the hierarchy never disagree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.companies import domain, repository
from chalicelib.companies.models import CompanyItem
from chalicelib.companies.schemas import CompanyCreate, CompanyFields
from chalicelib.properties import logic as properties
from chalicelib.relationships import logic as relationships
from chalicelib.relationships import repository as edges
from chalicelib.relationships.domain import PARENT_SOURCE, Edge
from crm_shared import clock
from crm_shared.auth.roles import Visibility
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.contacts_events import CompanyCreated, CompanyDeleted, CompanyUpdated
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

MAX_HIERARCHY_DEPTH = 5
MAX_HIERARCHY_NODES = 200


def record(item: CompanyItem) -> dict[str, Any]:
    """The company as the API shows it."""
    return {**item.doc, "company_id": item.company_id, "created_at": item.created_at,
            "updated_at": item.updated_at, "version": item.version or 0}


def _normalized(tenant_id: str, fields: dict[str, Any],
                existing_properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fields as stored: the normalized domain, a known currency, checked properties."""
    out = dict(fields)
    if out.get("domain") is not None:
        out["domain"] = domain.normalize_domain(out["domain"])
    domain.check_currency(out.get("annual_revenue"))
    if "properties" in out:
        out["properties"] = properties.validate(
            tenant_id, "company", out["properties"] or {}, existing_properties)
    return out


def _allows(seen: Visibility, item: CompanyItem) -> bool:
    return seen.allows(item.doc.get("owner_id"), item.doc.get("team_id"))


def get(principal: Principal, tenant_id: str, company_id: str) -> CompanyItem:
    """A live company the caller may see (one GetItem), else 404."""
    item = repository.get(tenant_id, company_id) if is_id(company_id, "cmp") else None
    if item is not None and item.deleted and item.doc.get("merged_into"):
        raise merged_problem(item)
    if item is None or item.deleted or not _allows(
            relationships.seen_by(principal, tenant_id), item):
        raise NotFound("no such company")
    return item


def merged_problem(item: CompanyItem) -> NotFound:
    """A merged company is gone (404), but the answer names the survivor to follow."""
    survivor = str(item.doc["merged_into"])
    return NotFound(f"company {item.company_id} was merged into {survivor}",
                    code="company_merged", headers={"Location": f"/companies/{survivor}"},
                    errors=[{"field": "company_id", "message": f"was merged into {survivor}",
                             "merged_into": survivor}])


def _chain(tenant_id: str, company_id: str | None, parent_id: str,
           seen: Visibility | None) -> list[CompanyItem]:
    """The new parent and its ancestors (one GetItem each, at most MAX_ANCESTORS), refused
    with a 422 naming parent_id if the parent is unknown or the chain holds the company."""
    chain: list[CompanyItem] = []
    current: str | None = parent_id
    complete = False
    for _ in range(domain.MAX_ANCESTORS):
        item = repository.get(tenant_id, str(current), consistent=True)
        if item is None or item.deleted:
            if not chain:
                raise ValidationFailed.for_field("parent_id", "no such company")
            complete = True
            break
        if not chain and seen is not None and not _allows(seen, item):
            raise ValidationFailed.for_field("parent_id", "no such company")
        chain.append(item)
        current = item.doc.get("parent_id")
        if item.company_id == company_id or not current:
            complete = True
            break
    domain.check_chain(company_id, parent_id, [c.company_id for c in chain], complete)
    return chain


def _reparent(uow: UnitOfWork, item: CompanyItem, old: str | None, new: str | None,
              seen: Visibility | None) -> None:
    """Swap the parent_of edge that mirrors parent_id, guarding the chain read until commit."""
    tenant_id = item.tenant_id
    if new:
        for ancestor in _chain(tenant_id, item.company_id, new, seen):
            repository.check_unchanged(uow, ancestor)
    if old and item.parent_relationship_id:
        gone = Edge(item.parent_relationship_id, old, item.company_id, "parent_of", None, "",
                    PARENT_SOURCE)
        edges.remove(uow, tenant_id, gone)
        relationships.emit_deleted(uow, tenant_id, gone)
    item.parent_relationship_id = None
    if new:
        edge = Edge(new_id("rel"), new, item.company_id, "parent_of", None, item.updated_at,
                    PARENT_SOURCE)
        edges.add(uow, tenant_id, edge)
        relationships.emit_created(uow, tenant_id, edge)
        item.parent_relationship_id = edge.relationship_id


def detach_parent(uow: UnitOfWork, item: CompanyItem, parent_id: str | None) -> None:
    """Drop the parent_of edge of a company leaving the hierarchy (deleted, merged)."""
    _reparent(uow, item, parent_id, None, None)


def commit(uow: UnitOfWork, tenant_id: str, doc: dict[str, Any]) -> None:
    """Commit a company write, turning a taken domain or a moved hierarchy into a 409."""
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if "domain" in conflict.labels:
            owner = repository.domain_owner(tenant_id, str(doc.get("domain")))
            raise Conflict(f"a company with this domain exists: {owner}",
                           code="duplicate_company",
                           errors=[{"field": "domain", "message": f"already belongs to "
                                    f"company {owner}", "existing_id": owner or ""}]) from None
        if "parent_id" in conflict.labels:
            raise Conflict.for_field("parent_id", "the hierarchy changed while saving; retry",
                                     code="hierarchy_changed") from None
        raise


def create(principal: Principal, tenant_id: str, cmd: CompanyCreate) -> CompanyItem:
    doc = _normalized(tenant_id, cmd.model_dump(mode="json", exclude_none=True))
    if principal.kind == "user" and "owner_id" not in doc:
        doc["owner_id"] = principal.subject
    item = repository.new_record(tenant_id, new_id("cmp"), doc, clock.iso())
    uow = repository.unit_of_work()
    _reparent(uow, item, None, doc.get("parent_id"),
              relationships.seen_by(principal, tenant_id))
    stage_new(uow, item)
    commit(uow, tenant_id, doc)
    return item


def stage_new(uow: UnitOfWork, item: CompanyItem) -> None:
    """Add a new company without a parent (record, claim, entries, CompanyCreated) to `uow`."""
    shown = record(item) | {"version": 1}
    uow.put(item, condition=CompanyItem.PK.does_not_exist(), label="company")
    repository.write_entries(uow, item.tenant_id, item.company_id, shown, None,
                             domain.entries_of(item.doc))
    uow.emit(CompanyCreated(company_id=item.company_id, company=shown), item.tenant_id)


def update(principal: Principal, tenant_id: str, company_id: str, cmd: CompanyFields,
           if_match: int | None) -> CompanyItem:
    item = get(principal, tenant_id, company_id)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the company changed since you read it",
                                 code="version_mismatch")
    sent = cmd.model_dump(mode="json", exclude_unset=True)
    changes = _normalized(tenant_id, sent, item.doc.get("properties"))
    return save(item, changes, relationships.seen_by(principal, tenant_id))


def save(item: CompanyItem, changes: dict[str, Any], seen: Visibility | None) -> CompanyItem:
    """Apply a merge-patch of stored fields and commit it with entries, edge and event."""
    before_doc = dict(item.doc)
    after_doc, changed = domain.apply(before_doc, changes)
    domain.require_name(after_doc)
    if not changed:
        return item
    tenant_id = item.tenant_id
    item.doc = after_doc
    item.updated_at = clock.iso()
    repository.index_record(item)
    uow = repository.unit_of_work()
    if before_doc.get("parent_id") != after_doc.get("parent_id"):
        _reparent(uow, item, before_doc.get("parent_id"), after_doc.get("parent_id"), seen)
    shown = record(item) | {"version": (item.version or 0) + 1}
    uow.put(item, label="version")
    repository.write_entries(uow, tenant_id, item.company_id, shown,
                             domain.entries_of(before_doc), domain.entries_of(after_doc))
    uow.emit(CompanyUpdated(company_id=item.company_id, company=shown, changed=changed),
             tenant_id)
    commit(uow, tenant_id, after_doc)
    return item


def delete(principal: Principal, tenant_id: str, company_id: str) -> None:
    """Leave a tombstone for sync clients; free the domain; drop the parent edge.

    A company with child companies is refused (409): re-parent them first, so no
    hierarchy is left pointing at a tombstone.
    """
    item = get(principal, tenant_id, company_id)
    if repository.has_children(tenant_id, company_id):
        raise Conflict.for_field("company_id", "has child companies: change their parent_id "
                                 "first", code="has_children")
    before = domain.entries_of(item.doc)
    uow = repository.unit_of_work()
    detach_parent(uow, item, item.doc.get("parent_id"))
    item.deleted = True
    item.doc = {}
    item.updated_at = clock.iso()
    item.expires_at = clock.now() + timedelta(days=repository.TOMBSTONE_DAYS)
    repository.index_record(item)
    uow.put(item, label="version")
    repository.write_entries(uow, tenant_id, company_id, {}, before, None)
    uow.emit(CompanyDeleted(company_id=company_id), tenant_id)
    uow.commit()


def _node(item: CompanyItem, depth: int, seen: Visibility) -> dict[str, Any]:
    return {"company_id": item.company_id, "depth": depth,
            "name": item.doc.get("name") if _allows(seen, item) else None,
            "parent_id": item.doc.get("parent_id")}


def hierarchy(principal: Principal, tenant_id: str, company_id: str,
              depth: int) -> dict[str, Any]:
    """Ancestors (one GetItem a level) and descendants (breadth-first, one children Query
    per company expanded), `depth` levels each way, MAX_HIERARCHY_NODES at most."""
    item = get(principal, tenant_id, company_id)
    seen = relationships.seen_by(principal, tenant_id)
    visited = {company_id}
    ancestors = []
    current = item.doc.get("parent_id")
    for level in range(1, depth + 1):
        parent = repository.get(tenant_id, current) if current and current not in visited \
            else None
        if parent is None or parent.deleted:
            break
        visited.add(parent.company_id)
        ancestors.append(_node(parent, -level, seen))
        current = parent.doc.get("parent_id")
    descendants: list[dict[str, Any]] = []
    truncated = False
    frontier = [company_id]
    for level in range(1, depth + 1):
        following = []
        for parent_id in frontier:
            room = MAX_HIERARCHY_NODES - len(ancestors) - len(descendants)
            if room <= 0:
                truncated = True
                break
            children, more = repository.list_records(tenant_id, min(room, 100), None,
                                                     "parent_id", parent_id)
            truncated = truncated or more is not None
            for child in children:
                if child.deleted or child.company_id in visited:
                    continue
                visited.add(child.company_id)
                descendants.append(_node(child, level, seen))
                following.append(child.company_id)
        frontier = following
    return {"company": _node(item, 0, seen), "ancestors": ancestors,
            "descendants": descendants, "truncated": truncated}
