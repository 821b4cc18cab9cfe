"""Merge contacts: fold each merged contact into the survivor, then move what features hold.

One transaction folds every merged contact at once (survivor rewritten with its claims
and entries, merged contacts turned into tombstones with `merged_into`, their claims
taken over, ContactMerged); when that would exceed the 100 items of a transaction they
fold one at a time. Then every `parties.MOVERS` entry runs for every merged id. A merged
id that already points at this survivor is folded already: a retry after a failure only
re-runs the movers (which move what is left), and a repeated merge is a no-op 200.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import parties
from chalicelib.contacts import domain
from chalicelib.contacts import logic as contacts
from chalicelib.contacts import repository as store
from chalicelib.contacts.models import ContactItem
from chalicelib.privacy import folding
from chalicelib.privacy.schemas import MergeIn
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import ValidationFailed
from crm_shared.events.contacts_events import ContactMerged
from crm_shared.unit_of_work import MAX_ITEMS, UnitOfWork

Pending = list[tuple[int, ContactItem]]  # (index in from_ids, the contact to fold)


@dataclass
class Merged:
    survivor: ContactItem
    merged_ids: list[str]
    moved: dict[str, int]


def merge(principal: Principal, tenant_id: str, survivor_id: str, cmd: MergeIn) -> Merged:
    """Costs: 2 reads (survivor, BatchGet of the merged), 1 BatchGet of claims, 1 transaction
    (1 per merged contact when large), then what each mover costs."""
    survivor = contacts.get_for_update(principal, tenant_id, survivor_id)
    ids = parties.merge_ids(cmd.from_ids, survivor_id, "from_ids", "contact")
    pending = _pending(principal, survivor, ids, store.get_many(tenant_id, ids))
    if pending:
        survivor = _fold(tenant_id, survivor, pending)
    moved: dict[str, int] = {}
    for merged_id in ids:
        for name, mover in sorted(parties.movers().items()):
            moved[name] = moved.get(name, 0) + mover(tenant_id, merged_id, survivor_id)
    return Merged(survivor, ids, moved)


def _pending(principal: Principal, survivor: ContactItem, ids: list[str],
             found: dict[str, ContactItem]) -> Pending:
    """The contacts still to fold; a 422 naming from_ids[i] for any that cannot be merged."""
    pending = []
    for index, merged_id in enumerate(ids):
        field = f"from_ids[{index}]"
        item = found.get(merged_id)
        into = item.doc.get("merged_into") if item is not None else None
        if into == survivor.contact_id:
            continue  # folded by an earlier call: only its movers run again
        if into:
            raise ValidationFailed.for_field(field, f"was already merged into {into}")
        if item is None or item.deleted or not contacts.is_visible(principal, item):
            raise ValidationFailed.for_field(field, "no such contact")
        pending.append((index, item))
    return pending


def _fold(tenant_id: str, survivor: ContactItem, pending: Pending) -> ContactItem:
    now = clock.iso()
    uow, updated = _plan(tenant_id, survivor, pending, now, _holders(tenant_id, survivor, pending))
    if uow.size <= MAX_ITEMS:
        uow.commit()
        return updated
    for index, item in pending:
        holders = _holders(tenant_id, survivor, [(index, item)])
        uow, updated = _plan(tenant_id, survivor, [(index, item)], now, holders)
        if uow.size > MAX_ITEMS:
            uow, updated = _plan(tenant_id, survivor, [(index, item)], now, holders,
                                 lookups=False)
            if uow.size > MAX_ITEMS:
                raise ValidationFailed.for_field(
                    f"from_ids[{index}]", "has too many emails, phones and tags to merge in "
                    "one step: remove some tags from it or from the survivor first")
            _free_lookups(tenant_id, item)
        uow.commit()
        survivor = updated
    return survivor


def _holders(tenant_id: str, survivor: ContactItem,
             pending: Pending) -> dict[store.Claim, str | None]:
    claims = store.claims_of(domain.entries_of(survivor.doc))
    for _, item in pending:
        claims |= store.claims_of(domain.entries_of(item.doc))
    return store.claim_holders(tenant_id, claims)


def _plan(tenant_id: str, survivor: ContactItem, pending: Pending, now: str,
          holders: dict[store.Claim, str | None],
          lookups: bool = True) -> tuple[UnitOfWork, ContactItem]:
    """The fold as an uncommitted transaction, and the survivor as it would be after it."""
    doc = dict(survivor.doc)
    for index, item in pending:
        doc = folding.fold(doc, item.contact_id, item.doc, now, f"from_ids[{index}]")
    updated = _copy(survivor)
    updated.doc, updated.updated_at = doc, now
    store.index_record(updated)
    shown = contacts.record(updated) | {"version": (updated.version or 0) + 1}
    uow = store.unit_of_work()
    uow.put(updated, label="version")
    store.rewrite_entries(uow, tenant_id, survivor.contact_id, shown,
                          domain.entries_of(survivor.doc), domain.entries_of(doc), holders,
                          takes_from=frozenset(item.contact_id for _, item in pending))
    for _, item in pending:
        tombstone = _copy(item)
        tombstone.doc = {"merged_into": survivor.contact_id, "merged_at": now}
        tombstone.deleted, tombstone.updated_at, tombstone.expires_at = True, now, None
        store.index_record(tombstone)
        uow.put(tombstone, label=f"version:{item.contact_id}")
        store.drop_entries(uow, tenant_id, item.contact_id, domain.entries_of(item.doc),
                           holders, claims_taken=True, lookups=lookups)
    uow.emit(ContactMerged(contact_id=survivor.contact_id,
                           merged_ids=[item.contact_id for _, item in pending],
                           contact=shown), tenant_id)
    return uow, updated


def _free_lookups(tenant_id: str, item: ContactItem) -> None:
    """Drop a large merged contact's tag and name entries ahead of its fold (a retry redoes
    it harmlessly); its claims and record stay until the fold moves them."""
    with store.unit_of_work() as uow:
        store.drop_lookups(uow, tenant_id, item.contact_id, domain.entries_of(item.doc))


def _copy(item: ContactItem) -> ContactItem:
    """A detached copy to plan on: a plan that is not committed leaves the original as read."""
    copy = ContactItem(PK=item.PK, SK=item.SK, contact_id=item.contact_id,
                       tenant_id=item.tenant_id, doc=dict(item.doc), created_at=item.created_at,
                       updated_at=item.updated_at, deleted=item.deleted,
                       expires_at=item.expires_at)
    if item.version is not None:
        copy.version = item.version
    return copy
