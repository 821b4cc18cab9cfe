"""What the contacts service's person events mean for returns.

A person's returns are found by the contact index (GSI4), never a scan; each is its own
version-checked transaction, and an erased or moved return leaves the contact's index, so a
repeated round resumes where a failure stopped. A delivery does one budget of pages; what is
left goes on in continuation jobs (chalicelib.continuations), not in redeliveries.
"""

from __future__ import annotations

from typing import Any

from chalicelib import continuations
from chalicelib.consumers import consumer
from chalicelib.returns import repository
from chalicelib.returns.models import ReturnItem
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

ROUNDS = 40  # pages a delivery changes; a person with more goes on in continuation jobs
PAGE = 25  # returns a page
ERASE, MERGE = "returns.erase", "returns.merge"


def _save(item: ReturnItem, doc: dict[str, Any]) -> None:
    item.doc = {k: v for k, v in doc.items() if v is not None}
    repository.index(item)
    own = repository.unit_of_work()
    own.put(item, label="version")
    own.commit()


def _each(tenant_id: str, contact_id: str, change: Any,
          budget: continuations.Budget) -> bool:
    """Change a budget of the contact's returns; True if some are left."""
    while found := repository.by_contact(tenant_id, contact_id, PAGE):
        if not budget.spend():
            return True
        for listed in found:
            item = repository.get(tenant_id, listed.return_id, consistent=True)
            if item is not None and item.doc.get("contact_id") == contact_id:
                _save(item, change(dict(item.doc)))
    return False


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    history = [{**step, "note": None} for step in doc.get("history", [])]
    lines = [{k: v for k, v in line.items() if k != "comment"} for line in doc.get("lines", [])]
    return {**doc, "contact_id": None, "notes": None, "address": None,
            "history": history, "lines": lines, "erased": True}


@consumer.on(ContactErased)
def erase_returns(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the returns keep their products and steps for the books, not the person."""
    continuations.begin(ERASE, ctx, {"contact_id": event.contact_id})


@continuations.continued(ERASE)
def _erase_some(tenant_id: str, params: dict[str, Any]) -> bool:
    return _each(tenant_id, str(params["contact_id"]), _strip,
                 continuations.Budget(ROUNDS))


@consumer.on(ContactMerged)
def repoint_returns(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The merged people's returns now belong to the survivor."""
    continuations.begin(MERGE, ctx, {"contact_id": event.contact_id,
                                     "merged_ids": list(event.merged_ids)})


@continuations.continued(MERGE)
def _repoint_some(tenant_id: str, params: dict[str, Any]) -> bool:
    survivor, budget = str(params["contact_id"]), continuations.Budget(ROUNDS)
    return any(_each(tenant_id, str(merged_id),
                     lambda doc: {**doc, "contact_id": survivor}, budget)
               for merged_id in params["merged_ids"])
