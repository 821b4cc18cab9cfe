"""What the contacts service's erasure means for the knowledge base: a contact's votes lose
who cast them.

Votes a contact cast are found by the voter index (GSI1), never a scan. The counts on the
article stay (they hold no one); the vote items, whose keys name the voter, are deleted.
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.kb import repository
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased
from crm_shared.unit_of_work import UnitOfWork

CHUNK = 90
ROUNDS = 20


@consumer.on(ContactErased)
def erase_votes(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    for _ in range(ROUNDS):
        found = repository.votes_of_contact(ctx.tenant_id, event.contact_id, CHUNK)
        if not found:
            return
        own = repository.unit_of_work()
        for vote in found:
            own.delete(vote, label="vote")
        own.commit()
    raise RuntimeError("more votes than one delivery erases: the retry goes on")
