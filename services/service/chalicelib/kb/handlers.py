"""What the contacts service's erasure means for the knowledge base: a contact's votes lose
who cast them.

Votes a contact cast are found by the voter index (GSI1), never a scan. The counts on the
article stay (they hold no one); the vote items, whose keys name the voter, are deleted. A
delivery deletes one budget of pages; what is left goes on in continuation jobs
(chalicelib.continuations), not in redeliveries. A deleted vote leaves the index, and
deleting it again changes nothing, so a repeated round is harmless.
"""

from __future__ import annotations

from typing import Any

from chalicelib import continuations
from chalicelib.consumers import consumer
from chalicelib.kb import repository
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased
from crm_shared.unit_of_work import UnitOfWork

CHUNK = 90  # votes a page (one transaction)
ROUNDS = 20  # pages a delivery deletes; a person with more goes on in continuation jobs
ERASE = "kb.erase_votes"


@consumer.on(ContactErased)
def erase_votes(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    continuations.begin(ERASE, ctx, {"contact_id": event.contact_id})


@continuations.continued(ERASE)
def _erase_some(tenant_id: str, params: dict[str, Any]) -> bool:
    """Delete a budget of the contact's votes; True if some are left."""
    contact_id, budget = str(params["contact_id"]), continuations.Budget(ROUNDS)
    while found := repository.votes_of_contact(tenant_id, contact_id, CHUNK):
        if not budget.spend():
            return True
        own = repository.unit_of_work()
        for vote in found:
            own.delete(vote, label="vote")
        own.commit()
    return False
