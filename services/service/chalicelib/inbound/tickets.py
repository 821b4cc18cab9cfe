"""Ticket writes staged in the caller's transaction (an email's claim, a survey's event).

tickets.logic.create and tickets.comments.add commit on their own; an inbound email must
commit its Message-ID claim with the ticket or reply, or a redelivery would create it twice.
These follow the same rules with the tickets feature's own building blocks (repository,
stage_change, the SLA clock); they belong in tickets.logic as `stage_create` once that
feature takes them.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import logic as config_logic
from chalicelib.sla import clock as sla
from chalicelib.tickets import comments, domain, logic, repository
from chalicelib.tickets.models import CommentItem, TicketItem
from crm_shared import clock
from crm_shared.events.service_events import TicketCommented, TicketCreated
from crm_shared.ids import new_id
from crm_shared.unit_of_work import UnitOfWork


def stage_create(uow: UnitOfWork, tenant_id: str, fields: dict[str, Any],
                 actor: str) -> TicketItem:
    """A new unassigned ticket (routing assigns it on TicketCreated), as tickets.logic.create
    makes one."""
    config = config_logic.read(tenant_id)
    doc = {k: v for k, v in fields.items() if v is not None}
    doc.setdefault("channel", "email")
    doc.setdefault("type", "question")
    doc.setdefault("status", domain.NEW)
    default = config.get("type_defaults", {}).get(doc["type"], {})
    doc.setdefault("priority", default.get("priority", "normal"))
    doc.setdefault("tags", [])
    doc.setdefault("properties", {})
    now = clock.now()
    doc["sla_state"] = sla.start(config, doc, now)
    at = clock.iso(now)
    item = repository.new_record(tenant_id, new_id("tkt"), doc, at)
    repository.stage_save(uow, item, sla.next_due(doc["sla_state"]), create=True)
    uow.put(repository.new_history(tenant_id, item.ticket_id, new_id("hst"), at,
                                   from_status=None, to_status=doc["status"], by=actor),
            label="history")
    uow.emit(TicketCreated(ticket_id=item.ticket_id, ticket=logic.record(item, 1)), tenant_id,
             actor)
    return item


def stage_customer_comment(uow: UnitOfWork, item: TicketItem, body: str,
                           contact_id: str | None, attachments: list[str], actor: str,
                           *, new: bool = False) -> CommentItem:
    """The customer's public message on the ticket; on an existing ticket it reopens a
    pending or resolved one, as tickets.comments does for a customer's comment."""
    moment = clock.now()
    comment = repository.new_comment(
        item.tenant_id, item.ticket_id, new_id("cmt"), body=body or "(no text)", public=True,
        author_kind="customer", author_id=None, author_contact_id=contact_id,
        attachments=attachments, created_at=clock.iso(moment))
    if not new:
        changes: dict[str, Any] = {"last_comment_at": comment.created_at}
        if item.doc.get("status") in (domain.PENDING, domain.RESOLVED):
            changes["status"] = domain.OPEN
        logic.stage_change(uow, item, changes, actor, now=moment)
    uow.put(comment, label="comment")
    shown = logic.pending_record(item) if not new else logic.record(item, 1)
    uow.emit(TicketCommented(ticket_id=item.ticket_id, comment_id=comment.comment_id,
                             public=True, comment=comments.shown(comment), ticket=shown),
             item.tenant_id, actor)
    return comment
