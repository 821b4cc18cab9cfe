"""What the contacts service's person events mean for tickets.

A person's tickets are found by the contact index (GSI5), never a scan. Large histories do
not fit one transaction, so each ticket is one transaction of its own: its comments first,
the ticket last (which drops it from the contact's index), so a repeated round resumes
exactly where a failure stopped and nothing is done twice. A delivery does one budget of
pages; what is left goes on in continuation jobs (chalicelib.continuations), not in
redeliveries.
"""

from __future__ import annotations

from typing import Any

from chalicelib import continuations
from chalicelib.consumers import consumer
from chalicelib.tickets import logic, repository
from chalicelib.tickets.models import CommentItem
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

ACTOR = "system:contacts"
ERASED = "[erased]"
ROUNDS = 40  # pages a delivery changes; a person with more goes on in continuation jobs
PAGE = 50  # tickets a page
CHUNK = 90
ERASE, MERGE = "tickets.erase", "tickets.merge"


def _each_ticket(tenant_id: str, contact_id: str) -> list[str]:
    return [t.ticket_id for t in repository.by_contact(tenant_id, contact_id, PAGE)]


@consumer.on(ContactErased)
def erase_person(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the person's tickets keep their numbers for the metrics, not their words."""
    continuations.begin(ERASE, ctx, {"contact_id": event.contact_id})


@continuations.continued(ERASE)
def _erase_some(tenant_id: str, params: dict[str, Any]) -> bool:
    """Erase a budget of the person's tickets; True if some are left."""
    contact_id, budget = str(params["contact_id"]), continuations.Budget(ROUNDS)
    while found := _each_ticket(tenant_id, contact_id):
        if not budget.spend():
            return True
        for ticket_id in found:
            item = repository.get(tenant_id, ticket_id, consistent=True)
            if item is None or item.doc.get("contact_id") != contact_id:
                continue  # gone, or the index lags a change already made
            _erase_comments(tenant_id, ticket_id)
            own = repository.unit_of_work()
            logic.stage_change(own, item, {"subject": ERASED, "description": None,
                                           "contact_id": None, "properties": {},
                                           "erased": True}, ACTOR)
            own.commit()
    return False


def _erase_comments(tenant_id: str, ticket_id: str) -> None:
    cursor = None
    while True:
        comments, cursor = repository.comments(tenant_id, ticket_id, 100, cursor)
        todo = [c for c in comments if not c.erased]
        for start in range(0, len(todo), CHUNK):
            own = repository.unit_of_work()
            for comment in todo[start:start + CHUNK]:
                own.update(comment, [CommentItem.body.remove(), CommentItem.attachments.set([]),
                                     CommentItem.author_contact_id.remove(),
                                     CommentItem.erased.set(True)], label="comment")
            own.commit()
        if not cursor:
            return


@consumer.on(ContactMerged)
def repoint_tickets(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The merged people's tickets now belong to the survivor."""
    continuations.begin(MERGE, ctx, {"contact_id": event.contact_id,
                                     "merged_ids": list(event.merged_ids)})


@continuations.continued(MERGE)
def _repoint_some(tenant_id: str, params: dict[str, Any]) -> bool:
    """Move a budget of the merged people's tickets; True if some are left."""
    survivor, budget = str(params["contact_id"]), continuations.Budget(ROUNDS)
    for merged_id in map(str, params["merged_ids"]):
        while found := _each_ticket(tenant_id, merged_id):
            if not budget.spend():
                return True
            for ticket_id in found:
                item = repository.get(tenant_id, ticket_id, consistent=True)
                if item is None or item.doc.get("contact_id") != merged_id:
                    continue
                own = repository.unit_of_work()
                logic.stage_change(own, item, {"contact_id": survivor}, ACTOR)
                own.commit()
    return False
