"""Return use cases: request a return on a ticket, move it through its steps, edit it.

Each step shows on the ticket as a public system comment written in the step's own
transaction (with TicketCommented), rather than by an event the tickets feature would
consume: both features live in this service and table, so one transaction is lighter than a
subscription, a rule and a consumer, and the note exists exactly when the step does. The
ticket record itself is not touched (no version bump under an agent's open edit); on a
request its existence is a condition of the same transaction.
"""

from __future__ import annotations

from typing import Any

from chalicelib.returns import domain, repository
from chalicelib.returns.models import ReturnItem
from chalicelib.returns.schemas import ReturnOut
from chalicelib.tickets import comments as ticket_comments
from chalicelib.tickets import logic as tickets
from chalicelib.tickets import repository as ticket_store
from chalicelib.tickets.models import TicketItem
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.service_events import ReturnRequested, TicketCommented
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork


def record(item: ReturnItem, version: int | None = None) -> dict[str, Any]:
    return ReturnOut(**item.doc, return_id=item.return_id, created_at=item.created_at,
                     updated_at=item.updated_at,
                     version=version or item.version or 0).model_dump(mode="json")


def get(tenant_id: str, return_id: str, consistent: bool = False) -> ReturnItem:
    item = repository.get(tenant_id, return_id, consistent) if is_id(return_id, "ret") else None
    if item is None:
        raise NotFound("no such return")
    return item


def _ticket(principal: Principal, tenant_id: str, ticket_id: str) -> TicketItem:
    """The ticket a new return hangs on; a 422 naming `ticket_id` when the caller cannot
    see one by that id."""
    found = ticket_store.get(tenant_id, ticket_id)
    if found is None or not tickets.may_see(principal, found.doc):
        raise ValidationFailed.for_field("ticket_id", "no such ticket")
    return found


def _note_on_ticket(uow: UnitOfWork, ticket: TicketItem, text: str, at: str) -> None:
    comment = ticket_store.new_comment(
        ticket.tenant_id, ticket.ticket_id, new_id("cmt"), body=text, public=True,
        author_kind="system", author_id=None, author_contact_id=None, attachments=[],
        created_at=at)
    uow.put(comment, label="ticket_comment")
    uow.emit(TicketCommented(ticket_id=ticket.ticket_id, comment_id=comment.comment_id,
                             public=True, comment=ticket_comments.shown(comment),
                             ticket=tickets.record(ticket)), ticket.tenant_id)


def create(principal: Principal, tenant_id: str, fields: dict[str, Any]) -> ReturnItem:
    if not fields.get("order_id") and not fields.get("external_order_ref"):
        raise ValidationFailed.for_field("order_id", "give the order_id or the "
                                         "external_order_ref of the order")
    ticket = _ticket(principal, tenant_id, fields["ticket_id"])
    now = clock.iso()
    doc = {k: v for k, v in fields.items() if v is not None}
    doc.setdefault("contact_id", ticket.doc.get("contact_id"))
    doc.update(status=domain.REQUESTED, created_by=principal.subject,
               history=[{"status": domain.REQUESTED, "at": now, "by": principal.actor}])
    item = repository.new_record(tenant_id, new_id("ret"), doc, now)
    repository.index(item)
    uow = repository.unit_of_work()
    uow.put(item, ReturnItem.PK.does_not_exist(), label="return")
    uow.check(TicketItem, ticket.PK, ticket.SK, TicketItem.PK.exists(), label="ticket")
    _note_on_ticket(uow, ticket, domain.ticket_note(item.return_id, domain.REQUESTED,
                                                    doc["lines"]), now)
    uow.emit(ReturnRequested(return_id=item.return_id, order_id=doc.get("order_id"),
                             contact_id=doc.get("contact_id"), ticket_id=ticket.ticket_id,
                             request=record(item, 1)), tenant_id, principal.actor)
    try:
        uow.commit()
    except TransactionConflict as failed:
        if "ticket" in failed.labels:
            raise ValidationFailed.for_field("ticket_id", "no such ticket") from None
        raise
    return item


def update(principal: Principal, tenant_id: str, return_id: str, fields: dict[str, Any],
           if_match: int | None) -> ReturnItem:
    """Edit the return and/or take one step of its flow, with the step's event."""
    item = get(tenant_id, return_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the return changed since you read it",
                                 code="version_mismatch")
    doc = dict(item.doc)
    current, wanted = doc["status"], fields.pop("status", None) or doc["status"]
    note = fields.pop("note", None)
    domain.check_transition(current, wanted)
    if "lines" in fields:
        if fields["lines"] is None:
            raise ValidationFailed.for_field("lines", "cannot be cleared")
        if current != domain.REQUESTED:
            raise Conflict.for_field("status", "lines are fixed once the return is "
                                     f"{current}", code="return_locked")
    if fields.get("refund") is not None and wanted != domain.REFUNDED:
        raise ValidationFailed.for_field("refund", "comes with the step to refunded")
    if note is not None and wanted == current:
        raise ValidationFailed.for_field("note", "belongs to a status step")
    doc.update(fields)
    now = clock.iso()
    moved = wanted != current
    if moved:
        doc["status"] = wanted
        doc["history"] = [*doc.get("history", []), {"status": wanted, "at": now,
                                                      "by": principal.actor, "note": note}]
    doc = {k: v for k, v in doc.items() if v is not None}
    if doc == item.doc:
        return item
    item.doc, item.updated_at = doc, now
    repository.index(item)
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    if moved:
        ticket = ticket_store.get(tenant_id, str(doc["ticket_id"]))
        if ticket is not None:  # a deleted ticket keeps no notes
            _note_on_ticket(uow, ticket, domain.ticket_note(item.return_id, wanted, []), now)
        event = domain.EVENTS[wanted]
        uow.emit(event(return_id=item.return_id, order_id=doc.get("order_id"),
                       external_order_ref=doc.get("external_order_ref"),
                       contact_id=doc.get("contact_id"), ticket_id=doc.get("ticket_id"),
                       note=note, request=record(item, (item.version or 0) + 1)),
                 tenant_id, principal.actor)
    uow.commit()
    return item
