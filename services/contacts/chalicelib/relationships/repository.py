"""The only code that knows the relationship key shapes.

- the record: `T#<t>#REL#<rel_id>` / `REL`, on GSI1 `T#<t>#RELS` / `<created_at>#<id>`
  (the tenant's edges, oldest first);
- one half per party, in the canonical form (see domain.py):
  `T#<t>#PARTY#<canonical from>` / `REL#<type key>#OUT#<canonical to>` and
  `T#<t>#PARTY#<canonical to>` / `REL#<type key>#IN#<canonical from>` (both `OUT` for a
  symmetric type). Each half carries the edge, so a party's edges are one Query, and an
  edge that exists (either way round) fails the halves' `does_not_exist` condition.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib import SERVICE
from chalicelib.relationships.domain import Edge
from chalicelib.relationships.models import RelationshipHalfItem, RelationshipItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

RECORD = "REL"
DUPLICATE = "duplicate_relationship"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def record_keys(tenant_id: str, relationship_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "REL", relationship_id), RECORD


def party_pk(tenant_id: str, party_id: str) -> str:
    return tenant_key(tenant_id, "PARTY", party_id)


def _all_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "RELS")


def half_prefix(type_key: str | None = None, direction: str | None = None) -> str:
    """The sort-key prefix of a party's halves, narrowed by type key and direction."""
    if type_key is None:
        return "REL#"
    return f"REL#{type_key}#" + (f"{direction.upper()}#" if direction else "")


def _halves(tenant_id: str, edge: Edge) -> list[RelationshipHalfItem]:
    cfrom, cto = edge.canonical
    back = "OUT" if edge.symmetric else "IN"
    shown = edge.shown()
    return [
        RelationshipHalfItem(PK=party_pk(tenant_id, cfrom), SK=f"REL#{edge.key}#OUT#{cto}",
                             relationship_id=edge.relationship_id, party_id=cfrom,
                             other_id=cto, type_key=edge.key,
                             direction="both" if edge.symmetric else "out", edge=shown),
        RelationshipHalfItem(PK=party_pk(tenant_id, cto), SK=f"REL#{edge.key}#{back}#{cfrom}",
                             relationship_id=edge.relationship_id, party_id=cto,
                             other_id=cfrom, type_key=edge.key,
                             direction="both" if edge.symmetric else "in", edge=shown),
    ]


def _record(tenant_id: str, edge: Edge) -> RelationshipItem:
    pk, sk = record_keys(tenant_id, edge.relationship_id)
    return RelationshipItem(PK=pk, SK=sk, relationship_id=edge.relationship_id,
                            tenant_id=tenant_id, edge=edge.shown(), GSI1PK=_all_pk(tenant_id),
                            GSI1SK=f"{edge.created_at}#{edge.relationship_id}")


def add(uow: UnitOfWork, tenant_id: str, edge: Edge) -> None:
    """Write the edge (record and both halves) inside `uow`; an existing edge between the
    same parties with the same meaning fails with the label `duplicate_relationship`."""
    uow.put(_record(tenant_id, edge), condition=RelationshipItem.PK.does_not_exist())
    for half in _halves(tenant_id, edge):
        uow.put(half, condition=RelationshipHalfItem.PK.does_not_exist(), label=DUPLICATE)


GONE = "relationship_gone"


def remove(uow: UnitOfWork, tenant_id: str, edge: Edge, only_if_present: bool = False) -> None:
    """Delete the edge and both halves; `only_if_present` fails the transaction (label
    `relationship_gone`) when the edge was deleted meanwhile."""
    condition = RelationshipItem.PK.exists() if only_if_present else None
    uow.delete(_record(tenant_id, edge), condition=condition, label=GONE)
    for half in _halves(tenant_id, edge):
        uow.delete(half)


def edge_of(doc: dict[str, Any]) -> Edge:
    return Edge(**{k: v for k, v in doc.items() if k != "inverse_type"})


def get(tenant_id: str, relationship_id: str) -> Edge | None:
    pk, sk = record_keys(tenant_id, relationship_id)
    try:
        return edge_of(RelationshipItem.get(pk, sk, consistent_read=True).edge)
    except RelationshipItem.DoesNotExist:
        return None


def list_all(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[Edge], str | None]:
    """A page of the tenant's edges, oldest first (GSI1)."""
    items, next_cursor = query_page(
        lambda **kw: RelationshipItem.gsi1.query(_all_pk(tenant_id), **kw),
        f"{tenant_id}:relationships", cursor, limit)
    return [edge_of(i.edge) for i in items], next_cursor


def list_for_party(tenant_id: str, party_id: str, prefix: str, directions: set[str] | None,
                   limit: int, cursor: str | None) -> tuple[list[Edge], str | None]:
    """A page of a party's edges under a sort-key prefix. `directions` (rarely used: a
    direction without a type) filters the page read, which still costs `limit` items."""
    filter_condition: Condition | None = None
    if directions:
        filter_condition = RelationshipHalfItem.direction.is_in(*sorted(directions))
    scope = f"{tenant_id}:rel:{party_id}:{prefix}:{sorted(directions or [])}"
    items, next_cursor = query_page(
        lambda **kw: RelationshipHalfItem.query(
            party_pk(tenant_id, party_id), RelationshipHalfItem.SK.startswith(prefix),
            filter_condition=filter_condition, **kw), scope, cursor, limit)
    return [edge_of(i.edge) for i in items], next_cursor


def existing_id(tenant_id: str, edge: Edge) -> str | None:
    """The id of the edge that holds `edge`'s place (its canonical outbound half)."""
    half = _halves(tenant_id, edge)[0]
    try:
        return str(RelationshipHalfItem.get(half.PK, half.SK, consistent_read=True)
                   .relationship_id)
    except RelationshipHalfItem.DoesNotExist:
        return None


def neighbours(tenant_id: str, party_id: str, type_keys: set[str] | None, custom: bool,
               limit: int) -> list[Edge]:
    """Up to `limit` of a party's halves read (edges of `type_keys`, and custom edges if
    `custom`; every edge when `type_keys` is None): one Query."""
    filter_condition: Condition | None = None
    if type_keys is not None:
        filter_condition = RelationshipHalfItem.type_key.startswith("custom.") if custom \
            else None
        if type_keys:
            by_key = RelationshipHalfItem.type_key.is_in(*sorted(type_keys))
            filter_condition = by_key if filter_condition is None else (
                filter_condition | by_key)
    result = RelationshipHalfItem.query(
        party_pk(tenant_id, party_id), RelationshipHalfItem.SK.startswith("REL#"),
        filter_condition=filter_condition, limit=limit, page_size=limit)
    return [edge_of(i.edge) for i in result]


def all_of_party(tenant_id: str, party_id: str) -> Iterator[Edge]:
    """Every edge of a party, page by page (merges, erasure and exports: off the request
    path of lists, and bounded by the party's own edges)."""
    for half in RelationshipHalfItem.query(party_pk(tenant_id, party_id),
                                           RelationshipHalfItem.SK.startswith("REL#"),
                                           consistent_read=True, page_size=100):
        yield edge_of(half.edge)
