"""Merge companies: fold each merged company into the survivor, then move what features hold.

Mirrors the contacts' merge (privacy/merge.py). Each merged company folds in its own
transaction (the survivor rewritten with its entries, the merged company turned into a
tombstone with `merged_into` so its id resolves to the survivor, its claim, entries and
parent edge gone, CompanyMerged); then every `parties.MOVERS` entry runs for it: child
companies, contacts, relationships, timeline and files follow to the survivor. A merged id
that already points at this survivor only re-runs the movers: a retry finishes the work
and a repeat is a no-op 200.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import parties
from chalicelib.companies import domain, logic, repository
from chalicelib.companies.models import CompanyItem
from chalicelib.companies.schemas import CompanyMergeIn
from chalicelib.relationships import logic as relationships
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import ValidationFailed
from crm_shared.events.contacts_events import CompanyMerged


@dataclass
class Merged:
    survivor: CompanyItem
    merged_ids: list[str]
    moved: dict[str, int]


def merge(principal: Principal, tenant_id: str, survivor_id: str,
          cmd: CompanyMergeIn) -> Merged:
    """Costs: a GetItem of the survivor and of each merged company, one per ancestor of the
    survivor (the cycle check), a transaction per merged company, then the movers."""
    survivor = logic.get(principal, tenant_id, survivor_id)
    survivor = repository.get(tenant_id, survivor_id, consistent=True) or survivor
    ids = parties.merge_ids(cmd.merge_ids, survivor_id, "merge_ids", "company")
    seen = relationships.seen_by(principal, tenant_id)
    ancestors = _ancestors(tenant_id, survivor)
    pending: list[tuple[str, CompanyItem]] = []
    for index, merged_id in enumerate(ids):
        field = f"merge_ids[{index}]"
        item = repository.get(tenant_id, merged_id, consistent=True)
        into = item.doc.get("merged_into") if item is not None else None
        if into == survivor_id:
            continue  # folded by an earlier call: only its movers run again
        if into:
            raise ValidationFailed.for_field(field, f"was already merged into {into}")
        if item is None or item.deleted or not seen.allows(item.doc.get("owner_id"),
                                                           item.doc.get("team_id")):
            raise ValidationFailed.for_field(field, "no such company")
        if merged_id in ancestors:
            raise ValidationFailed.for_field(
                field, "is an ancestor of the company it would merge into: merge the "
                "descendant into it instead", code="parent_cycle")
        pending.append((field, item))
    for field, item in pending:
        survivor = _fold(survivor, item, field)
    moved: dict[str, int] = {}
    for merged_id in ids:
        for name, mover in sorted(parties.movers().items()):
            moved[name] = moved.get(name, 0) + mover(tenant_id, merged_id, survivor_id)
    return Merged(repository.get(tenant_id, survivor_id, consistent=True) or survivor, ids,
                  moved)


def _ancestors(tenant_id: str, item: CompanyItem) -> set[str]:
    """The survivor's ancestors (one GetItem a level, at most MAX_ANCESTORS)."""
    found: set[str] = set()
    current = item.doc.get("parent_id")
    while current and current not in found and len(found) < domain.MAX_ANCESTORS:
        found.add(current)
        parent = repository.get(tenant_id, current, consistent=True)
        current = parent.doc.get("parent_id") if parent is not None else None
    return found


def _fold(survivor: CompanyItem, item: CompanyItem, field: str) -> CompanyItem:
    tenant_id, now = survivor.tenant_id, clock.iso()
    doc, _ = domain.fold(survivor.doc, item.doc, field)
    before, after = domain.entries_of(survivor.doc), domain.entries_of(doc)
    merged_entries = domain.entries_of(item.doc)
    taken = after.domain is not None and after.domain == merged_entries.domain
    survivor.doc, survivor.updated_at = doc, now
    repository.index_record(survivor)
    shown = logic.record(survivor) | {"version": (survivor.version or 0) + 1}
    uow = repository.unit_of_work()
    uow.put(survivor, label="version")
    if taken:  # the merged company's claim becomes the survivor's
        assert after.domain is not None
        repository.take_domain(uow, tenant_id, survivor.company_id, shown, after.domain,
                               item.company_id)
        after = domain.Entries(None, after.tags, after.name)
        merged_entries = domain.Entries(None, merged_entries.tags, merged_entries.name)
    repository.write_entries(uow, tenant_id, survivor.company_id, shown, before, after)
    old_parent = item.doc.get("parent_id")
    logic.detach_parent(uow, item, old_parent)
    item.doc = {"merged_into": survivor.company_id, "merged_at": now}
    item.deleted, item.updated_at, item.expires_at = True, now, None
    repository.index_record(item)
    uow.put(item, label=f"version:{item.company_id}")
    repository.write_entries(uow, tenant_id, item.company_id, {}, merged_entries, None)
    uow.emit(CompanyMerged(company_id=survivor.company_id, merged_ids=[item.company_id],
                           company=shown), tenant_id)
    logic.commit(uow, tenant_id, doc)
    return survivor
