"""Relationship use cases: create an edge with its inverse, read, list, delete, the network.

Edges carry ids and labels only, so the graph is readable by every role of the tenant;
the records at its ends keep their own visibility (a network hides names it may not show).
"""

from __future__ import annotations

from typing import Any

from chalicelib import tenancy
from chalicelib.companies import repository as companies
from chalicelib.companies.models import CompanyItem
from chalicelib.contacts import repository as contacts
from chalicelib.contacts.models import ContactItem
from chalicelib.relationships import domain, repository
from chalicelib.relationships.domain import Edge
from chalicelib.relationships.schemas import RelationshipCreate
from crm_shared import clock
from crm_shared.auth.roles import Visibility, visibility
from crm_shared.context import Principal
from crm_shared.errors import BadRequest, Conflict, NotFound, ValidationFailed
from crm_shared.events.contacts_events import RelationshipCreated, RelationshipDeleted
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

DIRECTIONS = ("out", "in", "both")
MAX_NETWORK_DEPTH = 3
MAX_NODES = 200
EDGES_PER_NODE = 100


def seen_by(principal: Principal, tenant_id: str) -> Visibility:
    scope = str(tenancy.settings_of(tenant_id).get("record_visibility", "team"))
    return visibility(principal, scope)


def party(tenant_id: str, party_id: str) -> ContactItem | CompanyItem | None:
    """The live record of a contact or company of the tenant: one GetItem."""
    item: ContactItem | CompanyItem | None = None
    if is_id(party_id, "con"):
        item = contacts.get(tenant_id, party_id, consistent=True)
    elif is_id(party_id, "cmp"):
        item = companies.get(tenant_id, party_id, consistent=True)
    return None if item is None or item.deleted else item


def _require_party(principal: Principal, tenant_id: str, party_id: str, field: str,
                   uow: UnitOfWork) -> None:
    """The party must exist, be live and visible to the caller; and stay live until commit."""
    item = party(tenant_id, party_id)
    if item is None or not seen_by(principal, tenant_id).allows(
            item.doc.get("owner_id"), item.doc.get("team_id")):
        raise ValidationFailed.for_field(field, "no such contact or company")
    model = type(item)
    uow.check(model, item.PK, item.SK, model.deleted == False,  # noqa: E712 - a condition
              label=f"party:{field}")


def emit_created(uow: UnitOfWork, tenant_id: str, edge: Edge) -> None:
    uow.emit(RelationshipCreated(relationship_id=edge.relationship_id, from_id=edge.from_id,
                                 to_id=edge.to_id, type=edge.type, label=edge.label), tenant_id)


def emit_deleted(uow: UnitOfWork, tenant_id: str, edge: Edge) -> None:
    uow.emit(RelationshipDeleted(relationship_id=edge.relationship_id, from_id=edge.from_id,
                                 to_id=edge.to_id, type=edge.type), tenant_id)


def create(principal: Principal, tenant_id: str, cmd: RelationshipCreate) -> Edge:
    label = cmd.label.strip() if cmd.label else None
    domain.check(cmd.from_id, cmd.to_id, cmd.type, label)
    if domain.type_key(cmd.type, label)[0] == "parent_of":
        raise ValidationFailed.for_field(
            "type", "a company's parent is its parent_id: set it with PATCH /companies/{id}")
    edge = Edge(new_id("rel"), cmd.from_id, cmd.to_id, cmd.type, label, clock.iso())
    uow = repository.unit_of_work()
    _require_party(principal, tenant_id, cmd.from_id, "from_id", uow)
    _require_party(principal, tenant_id, cmd.to_id, "to_id", uow)
    repository.add(uow, tenant_id, edge)
    emit_created(uow, tenant_id, edge)
    try:
        uow.commit()
    except TransactionConflict as conflict:
        raise _refused(tenant_id, edge, conflict.labels) from conflict
    return edge


def _refused(tenant_id: str, edge: Edge, labels: list[str]) -> ValidationFailed | Conflict:
    gone = next((label.split(":", 1)[1] for label in labels if label.startswith("party:")),
                None)
    if gone:
        return ValidationFailed.for_field(gone, "no such contact or company")
    existing = repository.existing_id(tenant_id, edge) or ""
    return Conflict(f"this relationship exists: {existing}", code=repository.DUPLICATE,
                    errors=[{"field": "to_id", "message": "is already related this way",
                             "existing_id": existing}])


def get(tenant_id: str, relationship_id: str) -> Edge:
    edge = repository.get(tenant_id, relationship_id) if is_id(relationship_id, "rel") else None
    if edge is None:
        raise NotFound("no such relationship")
    return edge


def delete(tenant_id: str, relationship_id: str) -> None:
    """Delete the edge and both halves in one transaction."""
    edge = get(tenant_id, relationship_id)
    if edge.source == domain.PARENT_SOURCE:
        raise Conflict.for_field("relationship_id", f"mirrors the parent_id of company "
                                 f"{edge.to_id}: change that instead", code="managed_edge")
    with repository.unit_of_work() as uow:
        repository.remove(uow, tenant_id, edge)
        emit_deleted(uow, tenant_id, edge)


def list_edges(tenant_id: str, query: dict[str, str], limit: int,
               cursor: str | None) -> tuple[list[Edge], str | None]:
    """One Query: the tenant's edges, or a party's narrowed by type and direction."""
    party_id, type_ = query.get("party_id"), query.get("type")
    direction = query.get("direction") or "both"
    if direction not in DIRECTIONS:
        raise BadRequest.for_field("direction", f"must be one of {DIRECTIONS}")
    if type_ is not None and type_ not in domain.TYPES:
        raise BadRequest.for_field("type", f"must be one of {sorted(domain.TYPES)}")
    if not party_id:
        if type_ or query.get("direction"):
            raise BadRequest.for_field("party_id", "is required to filter by type or direction")
        return repository.list_all(tenant_id, limit, cursor)
    if domain.party_kind(party_id) is None:
        raise BadRequest.for_field("party_id", "must be a contact (con_) or company (cmp_) id")
    prefix, directions = _narrowing(type_, query.get("label"), direction)
    return repository.list_for_party(tenant_id, party_id, prefix, directions, limit, cursor)


def _narrowing(type_: str | None, label: str | None,
               direction: str) -> tuple[str, set[str] | None]:
    """The sort-key prefix (and, if a prefix cannot say it, the directions) to list."""
    if type_ is None:
        return repository.half_prefix(), None if direction == "both" else {direction, "both"}
    if type_ == domain.CUSTOM and not label:
        return "REL#custom.", None if direction == "both" else {direction}
    key, flipped = domain.type_key(type_, label)
    if type_ in domain.SYMMETRIC or direction == "both":
        return repository.half_prefix(key), None
    if flipped:
        direction = "in" if direction == "out" else "out"
    return repository.half_prefix(key, direction), None


def parse_types(raw: str | None) -> tuple[set[str] | None, bool]:
    """`?types=a,b` as canonical type keys, and whether custom edges are wanted."""
    if not raw:
        return None, True
    keys: set[str] = set()
    custom = False
    for name in (t.strip() for t in raw.split(",") if t.strip()):
        if name not in domain.TYPES:
            raise BadRequest.for_field("types", f"{name!r} is not one of {sorted(domain.TYPES)}")
        if name == domain.CUSTOM:
            custom = True
        else:
            keys.add(domain.type_key(name)[0])
    return keys, custom


def network(principal: Principal, tenant_id: str, start: str, depth: int,
            types: tuple[set[str] | None, bool]) -> dict[str, Any]:
    """Breadth-first over edges from `start`: one Query per node expanded, at most
    MAX_NODES nodes and EDGES_PER_NODE edges read per node; a node is visited once."""
    depths = {start: 0}
    edges: dict[str, Edge] = {}
    frontier = [start]
    truncated = False
    for level in range(1, depth + 1):
        following: list[str] = []
        for node in frontier:
            found = repository.neighbours(tenant_id, node, types[0], types[1], EDGES_PER_NODE)
            truncated = truncated or len(found) >= EDGES_PER_NODE
            for edge in found:
                other = edge.to_id if edge.from_id == node else edge.from_id
                if other not in depths:
                    if len(depths) >= MAX_NODES:
                        truncated = True
                        continue
                    depths[other] = level
                    following.append(other)
                edges[edge.relationship_id] = edge
        frontier = following
    records = _records(tenant_id, list(depths))
    seen = seen_by(principal, tenant_id)
    nodes = []
    for party_id, level in depths.items():
        item = records.get(party_id)
        if item is None:
            continue  # deleted since the edge was made: not a node of the network
        shown = seen.allows(item.doc.get("owner_id"), item.doc.get("team_id"))
        nodes.append({"id": party_id, "kind": domain.party_kind(party_id), "depth": level,
                      "name": _name(item) if shown else None})
    live = {n["id"] for n in nodes}
    kept = [e for e in edges.values() if e.from_id in live and e.to_id in live]
    return {"nodes": nodes, "edges": [e.shown() for e in kept], "truncated": truncated}


def _records(tenant_id: str, party_ids: list[str]) -> dict[str, ContactItem | CompanyItem]:
    """Live records of the parties: BatchGetItem, 100 keys a call."""
    found: dict[str, ContactItem | CompanyItem] = dict(
        companies.get_many(tenant_id, [p for p in party_ids if p.startswith("cmp_")]))
    keys = [contacts.contact_keys(tenant_id, p) for p in party_ids if p.startswith("con_")]
    if keys:
        found.update({c.contact_id: c for c in ContactItem.batch_get(keys)})
    return {k: v for k, v in found.items() if not v.deleted}


def _name(item: ContactItem | CompanyItem) -> str | None:
    doc = item.doc
    if isinstance(item, CompanyItem):
        return doc.get("name")
    name = " ".join(p for p in (doc.get("first_name"), doc.get("last_name")) if p)
    return name or next((e["address"] for e in doc.get("emails") or []), None)
