"""The relationship network's part in merges, erasure and exports (see chalicelib/parties.py).

Erasure deletes every edge of the erased person. An edge holds only ids and a label, but who
a person knows, works for or reports to is itself personal data, and a label is free text
that may name them; keeping anonymized edges would keep that fact. Edges that mirror a
company's parent_id belong to the companies feature and follow its parent_id, so merges
and erasure leave them to it.
"""

from __future__ import annotations

from typing import Any

from chalicelib import parties
from chalicelib.relationships import logic, repository
from chalicelib.relationships.domain import PARENT_SOURCE
from crm_shared import clock
from crm_shared.ids import new_id
from crm_shared.unit_of_work import TransactionConflict


def _drop(tenant_id: str, edge: Any) -> None:
    """Delete the edge with its RelationshipDeleted, once: a racing drop of the same edge
    finds it gone and says nothing."""
    try:
        with repository.unit_of_work() as uow:
            repository.remove(uow, tenant_id, edge, only_if_present=True)
            logic.emit_deleted(uow, tenant_id, edge)
    except TransactionConflict as conflict:
        if repository.GONE not in conflict.labels:
            raise


@parties.mover("relationships")
def move_edges(tenant_id: str, from_party: str, to_party: str) -> int:
    """Re-point the merged party's edges to the survivor: each a delete and a create (new
    id) in one transaction; an edge that would join the survivor to itself, or that the
    survivor already has, is dropped instead."""
    moved_count = 0
    for edge in list(repository.all_of_party(tenant_id, from_party)):
        if edge.source == PARENT_SOURCE:
            continue
        moved = edge.moved(from_party, to_party, new_id("rel"), clock.iso())
        if moved.from_id == moved.to_id:
            _drop(tenant_id, edge)
        else:
            try:
                with repository.unit_of_work() as uow:
                    repository.remove(uow, tenant_id, edge)
                    logic.emit_deleted(uow, tenant_id, edge)
                    repository.add(uow, tenant_id, moved)
                    logic.emit_created(uow, tenant_id, moved)
            except TransactionConflict:
                _drop(tenant_id, edge)  # the survivor already has this edge
        moved_count += 1
    return moved_count


@parties.eraser("relationships")
def erase_edges(tenant_id: str, party_id: str) -> int:
    """Delete every edge of the erased party (see the module docstring for why)."""
    erased = 0
    for edge in list(repository.all_of_party(tenant_id, party_id)):
        if edge.source != PARENT_SOURCE:
            _drop(tenant_id, edge)
            erased += 1
    return erased


@parties.exporter("relationships")
def export_edges(tenant_id: str, party_id: str) -> list[dict[str, Any]]:
    return [edge.shown() for edge in repository.all_of_party(tenant_id, party_id)]


def drop_edges(tenant_id: str, party_id: str) -> int:
    """Delete every edge a deleted party still has (parent edges go with the company)."""
    return erase_edges(tenant_id, party_id)
