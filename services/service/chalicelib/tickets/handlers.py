"""What the contacts service's person events mean for tickets.

A person's tickets are found by the contact index (GSI5), never a scan. Large histories do
not fit one transaction, so each ticket is one transaction of its own: its comments first,
the ticket last (which drops it from the contact's index), so a retried event resumes
exactly where a failure stopped and nothing is done twice.
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.tickets import logic, repository
from chalicelib.tickets.models import CommentItem
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.unit_of_work import UnitOfWork

ACTOR = "system:contacts"
ERASED = "[erased]"
ROUNDS = 40  # of 50 tickets: a person with more is finished by the event's next delivery
CHUNK = 90


def _each_ticket(tenant_id: str, contact_id: str) -> list[str]:
    return [t.ticket_id for t in repository.by_contact(tenant_id, contact_id)]


@consumer.on(ContactErased)
def erase_person(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the person's tickets keep their numbers for the metrics, not their words."""
    for _ in range(ROUNDS):
        found = _each_ticket(ctx.tenant_id, event.contact_id)
        if not found:
            return
        for ticket_id in found:
            _erase_comments(ctx.tenant_id, ticket_id)
            item = repository.get(ctx.tenant_id, ticket_id, consistent=True)
            if item is None:
                continue
            own = repository.unit_of_work()
            logic.stage_change(own, item, {"subject": ERASED, "description": None,
                                           "contact_id": None, "properties": {},
                                           "erased": True}, ACTOR)
            own.commit()
    raise RuntimeError("more tickets than one delivery erases: the retry goes on")


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
    for merged_id in event.merged_ids:
        for _ in range(ROUNDS):
            found = _each_ticket(ctx.tenant_id, merged_id)
            if not found:
                break
            for ticket_id in found:
                item = repository.get(ctx.tenant_id, ticket_id, consistent=True)
                if item is None:
                    continue
                own = repository.unit_of_work()
                logic.stage_change(own, item, {"contact_id": event.contact_id}, ACTOR)
                own.commit()
        else:
            raise RuntimeError("more tickets than one delivery moves: the retry goes on")
