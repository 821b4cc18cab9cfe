"""The contacts service's merges and erasures, applied to the deals that name the parties.

Deals are found through their party links (one Query per party), never by a scan. Each
handler runs in the event's transaction with the consumer's marker, so a redelivered event
changes nothing twice. A party on more deals than one transaction holds is repointed in
earlier transactions first: a repointed deal no longer links to the old party, so a
redelivery finds only what is left and no deal is changed (or announced) twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.consumers import consumer
from chalicelib.opportunities import logic, repository
from chalicelib.opportunities.models import OpportunityItem
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import CompanyMerged, ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

BUDGET = 60  # items of the event's transaction this feature may use (100 in all)
Change = Callable[[OpportunityItem], dict[str, Any] | None]


def _cost(item: OpportunityItem) -> int:
    """Items one deal's change writes at most: record, links (old and new), event."""
    return 3 + 2 * len(repository.parties_of(item.doc))


def _apply(uow: UnitOfWork, tenant_id: str, party_ids: list[str], change: Change) -> None:
    ids = [o for party in party_ids for o in repository.linked_to(tenant_id, party)]
    items = [i for i in repository.get_many(tenant_id, ids) if not i.deleted]
    batches: list[list[tuple[OpportunityItem, dict[str, Any]]]] = [[]]
    used = 0
    for item in sorted(items, key=lambda i: i.opportunity_id):
        changes = change(item)
        if changes is None:
            continue
        if used + _cost(item) > BUDGET and batches[-1]:
            batches.append([])
            used = 0
        batches[-1].append((item, changes))
        used += _cost(item)
    *earlier, last = batches
    for batch in earlier:
        own = repository.unit_of_work()
        for item, changes in batch:
            logic.change_in(own, item, changes)
        own.commit()
    for item, changes in last:
        logic.change_in(uow, item, changes)


def _contacts(item: OpportunityItem, gone: set[str], survivor: str | None) -> list[str]:
    out: list[str] = []
    for contact_id in item.doc.get("contact_ids") or []:
        kept = survivor if contact_id in gone else contact_id
        if kept and kept not in out:
            out.append(kept)
    return out


@consumer.on(ContactMerged)
def contact_merged(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """Deals of the merged contacts name the survivor instead (once)."""
    gone = set(event.merged_ids) - {event.contact_id}
    _apply(uow, ctx.tenant_id, sorted(gone),
           lambda item: {"contact_ids": _contacts(item, gone, event.contact_id)})


@consumer.on(ContactErased)
def contact_erased(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR erasure: no deal keeps the erased person's id."""
    gone = {event.contact_id}
    _apply(uow, ctx.tenant_id, [event.contact_id],
           lambda item: {"contact_ids": _contacts(item, gone, None)})


@consumer.on(CompanyMerged)
def company_merged(event: CompanyMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """Deals of the merged companies belong to the surviving company."""
    gone = set(event.merged_ids) - {event.company_id}
    name = event.company.get("name")

    def repoint(item: OpportunityItem) -> dict[str, Any] | None:
        if item.doc.get("company_id") not in gone:
            return None
        return {"company_id": event.company_id, **({"company_name": name} if name else {})}

    _apply(uow, ctx.tenant_id, sorted(gone), repoint)
