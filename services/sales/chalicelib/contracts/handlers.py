"""Contracts of merged contacts name the survivor, and no contract keeps an erased contact
(both found through the per-contact links).

Every link of every merged-away contact is read, a page at a time (a Query per page on the
link partition, never a scan), and the contracts are rewritten in chunks of their own
(chalicelib/chunks.py), none in the event's transaction: the deals', orders', points' and
carts' handlers can already fill its 100 items. Each contract write is version-guarded and
moves (or drops) the contract's links with it, so a redelivery (or a retry after a failure
part-way) finds only the contracts not yet changed and none is changed twice.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.chunks import every_page, in_chunks
from chalicelib.consumers import consumer
from chalicelib.contracts import logic, repository
from chalicelib.contracts.models import ContractItem
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

PAGE = 100  # links read per Query
CHUNK_ITEMS = 90  # items per transaction of its own


def contract_ids_of(tenant_id: str, contact_id: str) -> list[str]:
    """Every contract linked to the contact: its links, PAGE a Query."""
    return every_page(lambda cursor: repository.contract_ids_of_contact(
        tenant_id, contact_id, PAGE, cursor))


def _linked(tenant_id: str, contacts: set[str]) -> list[ContractItem]:
    """Every contract that names one of `contacts`, read consistently."""
    ids = {cid for contact in sorted(contacts) for cid in contract_ids_of(tenant_id, contact)}
    items: list[ContractItem] = []
    for contract_id in sorted(ids):
        item = repository.get(tenant_id, contract_id, consistent=True)
        if item is not None and contacts & set(item.doc.get("contact_ids") or []):
            items.append(item)
    return items


def _rewrite(uow: UnitOfWork, items: list[ContractItem], after: Callable[[list[str]], list[str]],
             cost: int) -> None:
    """Each contract's contacts become `after(before)`, with its links, `cost` items each."""
    def stage(into: UnitOfWork, chunk: list[ContractItem]) -> None:
        for item in chunk:
            before = list(item.doc.get("contact_ids") or [])
            logic.stage_contacts(into, item, before, after(before))

    in_chunks(uow, items, stage, key=lambda item: item.contract_id,
              in_event=0, chunk=max(1, CHUNK_ITEMS // cost))


@consumer.on(ContactMerged)
def merge_contracts(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """Every contract of the merged contacts names the survivor instead (once)."""
    gone = set(event.merged_ids) - {event.contact_id}
    # the record, a link out per merged contact, the survivor's link
    _rewrite(uow, _linked(ctx.tenant_id, gone),
             lambda before: list(dict.fromkeys(
                 event.contact_id if c in gone else c for c in before)),
             cost=2 + len(gone))


@consumer.on(ContactErased)
def erase_contracts(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR erasure: no contract names the erased person, nor keeps a link to them; the
    contract itself stays (it is with the company)."""
    gone = event.contact_id
    _rewrite(uow, _linked(ctx.tenant_id, {gone}),
             lambda before: [c for c in before if c != gone],
             cost=2)  # the record and its link out
