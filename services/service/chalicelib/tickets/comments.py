"""Comments: public replies and internal notes, with what a reply does to the ticket.

An agent's first public reply is the ticket's first response (the SLA target is met and
the business seconds it took are kept); it also opens a new ticket. A customer's message
reopens a pending or resolved ticket. Attachments are file ids of the contacts service's
uploads: the bytes never pass through here.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from chalicelib.config import logic as config_logic
from chalicelib.sla import clock as sla
from chalicelib.tickets import domain, logic, repository
from chalicelib.tickets.models import CommentItem, TicketItem
from chalicelib.tickets.schemas import CommentIn, CommentOut
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import Conflict, PreconditionFailed, ValidationFailed
from crm_shared.events.service_events import TicketCommented
from crm_shared.ids import new_id
from crm_shared.mentions import mention_event
from crm_shared.unit_of_work import UnitOfWork

ATTEMPTS = 3


def shown(item: CommentItem) -> dict[str, Any]:
    return CommentOut(comment_id=item.comment_id, ticket_id=item.ticket_id, body=item.body,
                      public=bool(item.public), author_kind=item.author_kind,
                      author_id=item.author_id, author_contact_id=item.author_contact_id,
                      attachments=list(item.attachments or []), erased=bool(item.erased),
                      created_at=item.created_at).model_dump(mode="json")


def add(principal: Principal, tenant_id: str, ticket_id: str, body: CommentIn) -> CommentItem:
    """Add the comment and its effects in one transaction (retried if the ticket moved)."""
    for attempt in range(ATTEMPTS):
        try:
            return _add(principal, tenant_id, ticket_id, body)
        except PreconditionFailed:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _add(principal: Principal, tenant_id: str, ticket_id: str, body: CommentIn) -> CommentItem:
    item = logic.get(principal, tenant_id, ticket_id, consistent=True)
    if body.body is None:
        raise ValidationFailed.for_field("body", "is required")
    doc = item.doc
    if doc.get("status") == domain.CLOSED:
        raise Conflict.for_field("status", "a closed ticket takes no comments",
                                 code="ticket_closed")
    customer = body.author_contact_id is not None
    uow = repository.unit_of_work()
    comment = stage_comment(uow, item, body.body, principal.actor, public=body.public,
                            customer=customer,
                            author_id=None if customer else principal.subject,
                            author_contact_id=body.author_contact_id,
                            attachments=body.attachments)
    mentioned = None if customer else mention_event(  # a customer's words notify no one
        "service", "comment", comment.comment_id, comment.body,
        principal.subject if principal.kind == "user" else None, parent_id=item.ticket_id)
    if mentioned is not None:
        uow.emit(mentioned, tenant_id)
    uow.commit()
    return comment


def stage_comment(uow: UnitOfWork, item: TicketItem, body: str, actor: str | None, *,
                  public: bool = True, customer: bool = False, author_id: str | None = None,
                  author_contact_id: str | None = None, attachments: Sequence[str] = (),
                  new: bool = False) -> CommentItem:
    """Stage a comment and what it does to the ticket in the caller's transaction: an
    agent's public reply counts (the first is the first response and opens a new ticket),
    a customer's message (always public) reopens a pending or resolved ticket. `new`: the
    ticket is being created in the same transaction (stage_create) and is shown as such."""
    public = True if customer else public
    doc = item.doc
    moment = clock.now()
    config = config_logic.read(item.tenant_id)
    changes: dict[str, Any] = {}
    if public and not customer:
        changes["public_reply_count"] = int(doc.get("public_reply_count") or 0) + 1
        if not doc.get("first_response_at"):
            state = copy.deepcopy(doc.get("sla_state") or sla.start(config, doc, moment))
            metrics = dict(doc.get("metrics") or {})
            metrics["first_response_seconds"] = sla.elapsed(state, config, moment)
            state["first_response_met"] = True
            sla.refresh(state, config)
            changes.update(first_response_at=clock.iso(moment), metrics=metrics,
                           sla_state=state)
        if doc.get("status") == domain.NEW:
            changes["status"] = domain.OPEN
    elif customer and doc.get("status") in (domain.PENDING, domain.RESOLVED):
        changes["status"] = domain.OPEN
    comment = repository.new_comment(
        item.tenant_id, item.ticket_id, new_id("cmt"), body=body, public=public,
        author_kind="customer" if customer else "agent", author_id=author_id,
        author_contact_id=author_contact_id, attachments=list(attachments),
        created_at=clock.iso(moment))
    if new:
        ticket = logic.record(item, 1)
    else:
        changes["last_comment_at"] = comment.created_at
        logic.stage_change(uow, item, changes, actor, config=config, now=moment)
        ticket = logic.pending_record(item)
    uow.put(comment, label="comment")
    uow.emit(TicketCommented(ticket_id=item.ticket_id, comment_id=comment.comment_id,
                             public=public, comment=shown(comment), ticket=ticket),
             item.tenant_id, actor)
    return comment
