"""One stored email -> a new ticket, a customer's reply, or a quarantine record.

Exactly once: the message's claim (tenant + Message-ID) commits in the same transaction as
the ticket or reply, so a redelivered notification finds it and creates nothing. Attachments
go to S3 first under keys derived from the Message-ID (a retry overwrites, never adds), and
the raw message is copied under its tenant's prefix; the original is deleted only after the
commit. What cannot become a ticket is quarantined and acknowledged, never retried.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import repository as tenants
from chalicelib.inbound import mime, repository, storage
from chalicelib.inbound.mime import Mail, Unreadable
from chalicelib.inbound.models import SenderItem
from chalicelib.tickets import comments, domain
from chalicelib.tickets import logic as tickets
from chalicelib.tickets import repository as ticket_store
from chalicelib.tickets.models import TicketItem
from crm_shared import clock, observability
from crm_shared.errors import PreconditionFailed
from crm_shared.events.service_events import ContactRequested, InboundEmailQuarantined
from crm_shared.http import transient
from crm_shared.unit_of_work import TransactionConflict

ACTOR = "system:email"
MAX_REFERENCES = 5
MAX_WAITING = 10  # tickets an unknown address keeps waiting for its contact


@dataclass
class Headers:
    """What the headers say, read leniently: enough to file a message in quarantine."""

    tenant_id: str | None = None
    sender: str | None = None
    subject: str | None = None
    message_id: str | None = None


def handle(source_bucket: str, key: str) -> str:
    """Process one stored message; returns the outcome (ticket, reply, duplicate,
    quarantined, gone). Raises only what a retry can fix (AWS throttling, a write race)."""
    try:
        stored = storage.fetch(source_bucket, key, mime.MAX_BYTES)
    except storage.Gone:
        return "gone"  # moved by an earlier delivery of the same notification
    headers = peek(stored.data)
    try:
        if stored.size > mime.MAX_BYTES:
            raise Unreadable("too_large", f"{stored.size} bytes, at most {mime.MAX_BYTES}")
        mail = mime.read(stored.data)
        if headers.tenant_id is None:
            raise Unreadable("unknown_address", "no recipient support+<tenant id>@...")
        return accept(stored, mail, headers.tenant_id, source_bucket)
    except Unreadable as problem:
        return quarantine(stored, source_bucket, headers, problem)
    except (PreconditionFailed, TransactionConflict):
        raise  # a concurrent write to the same ticket: the retry reads it again
    except Exception as exc:
        if transient(exc):
            raise
        observability.logger("service").exception("inbound email failed; quarantined")
        return quarantine(stored, source_bucket, headers,
                          Unreadable("unprocessable", type(exc).__name__))


def peek(data: bytes) -> Headers:
    """Tenant, sender, subject and Message-ID as far as the headers allow; the tenant only
    when it exists (a made-up id files nothing under it)."""
    found = Headers()
    try:
        msg = mime.parse(data)
        tenant_id = mime.tenant_of(mime.recipients(msg))
        if tenant_id and tenants.get(tenant_id) is not None:
            found.tenant_id = tenant_id
        found.subject = " ".join(str(msg.get("subject") or "").split())[:300] or None
        found.message_id = str(msg.get("message-id") or "").strip()[:500] or None
        header = msg.get("from")
        addresses = header.addresses if header is not None else ()
        found.sender = next((a.addr_spec.lower() for a in addresses if a.addr_spec), None)
    except Exception:  # noqa: BLE001 - a header too broken to read names nothing
        pass
    return found


def accept(stored: storage.Stored, mail: Mail, tenant_id: str, source_bucket: str) -> str:
    raw = repository.raw_key(tenant_id, mail.message_id)
    if repository.message(tenant_id, mail.message_id) is not None:
        _drop_original(source_bucket, stored.key, raw)
        return "duplicate"
    keys = []
    for number, attachment in enumerate(mail.attachments, 1):
        key = repository.attachment_key(tenant_id, mail.message_id, number, attachment.filename)
        storage.put(key, attachment.data, attachment.content_type)
        keys.append(key)
    storage.move(source_bucket, stored.key, raw)
    known = repository.sender(tenant_id, mail.sender, consistent=True)
    contact_id = known.contact_id if known else None
    text = mail.text
    if mail.dropped_attachments:
        text += f"\n\n[{mail.dropped_attachments} more attachments were not kept]"
    text = text or "(no text)"
    uow = repository.unit_of_work()
    ticket, follow_up_of = thread(tenant_id, mail, contact_id)
    if ticket is not None:
        comment = comments.stage_comment(uow, ticket, text, ACTOR, customer=True,
                                         author_contact_id=contact_id, attachments=keys)
        outcome = "reply"
    else:
        properties: dict[str, str | None] = {"follow_up_of": follow_up_of}
        if contact_id is None:
            properties.update(requester_email=mail.sender,
                              requester_name=(mail.sender_name or "")[:200] or None)
        ticket = tickets.stage_create(uow, tenant_id, {
            "subject": mail.subject, "description": mail.text or None, "channel": "email",
            "contact_id": contact_id, "last_comment_at": clock.iso(),
            "properties": {k: v for k, v in properties.items() if v}}, ACTOR)
        comment = comments.stage_comment(uow, ticket, text, ACTOR, customer=True,
                                         author_contact_id=contact_id, attachments=keys,
                                         new=True)
        if contact_id is None:
            await_contact(uow, tenant_id, mail, known, ticket.ticket_id)
        outcome = "ticket"
    repository.stage_claim(uow, tenant_id, mail.message_id, ticket_id=ticket.ticket_id,
                           comment_id=comment.comment_id, outcome=outcome, sender=mail.sender,
                           raw_key=raw, attachment_keys=keys, received_at=stored.received_at)
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if repository.CLAIM not in conflict.labels:
            raise
        outcome = "duplicate"  # another delivery of the same message committed first
    _drop_original(source_bucket, stored.key, raw)
    return outcome


def thread(tenant_id: str, mail: Mail, contact_id: str | None
           ) -> tuple[TicketItem | None, str | None]:
    """The open ticket this message answers (its In-Reply-To/References, then `[#tkt_...]`
    in the subject), if the sender is that ticket's requester; else None and the closed
    ticket it follows up, if any. Another tenant's ticket id finds nothing."""
    candidates = []
    for message_id in mail.references[:MAX_REFERENCES]:
        earlier = repository.message(tenant_id, message_id)
        if earlier is not None and earlier.ticket_id:
            candidates.append(earlier.ticket_id)
    named = mime.ticket_ref(mail.subject)
    if named:
        candidates.append(named)
    follow_up_of = None
    for ticket_id in dict.fromkeys(candidates):
        item = ticket_store.get(tenant_id, ticket_id, consistent=True)
        if item is None or not requested_by(item, mail.sender, contact_id):
            continue
        if item.doc.get("status") == domain.CLOSED:
            follow_up_of = follow_up_of or item.ticket_id
            continue
        return item, None
    return None, follow_up_of


def requested_by(item: TicketItem, sender: str, contact_id: str | None) -> bool:
    """Only the ticket's own person may add to it by email (a ticket id is no secret)."""
    doc = item.doc
    if contact_id and doc.get("contact_id") == contact_id:
        return True
    return str((doc.get("properties") or {}).get("requester_email") or "").lower() == sender


def await_contact(uow: repository.UnitOfWork, tenant_id: str, mail: Mail,
                  known: SenderItem | None, ticket_id: str) -> None:
    """Remember the ticket under the unknown address and, the first time, ask contacts for
    the contact: its ContactCreated links the ticket."""
    item = known or repository.new_sender(tenant_id, mail.sender)
    kept = list(item.pending_ticket_ids or [])[-(MAX_WAITING - 1):]
    item.pending_ticket_ids = [*kept, ticket_id]
    first = not item.requested
    item.requested = True
    repository.stage_sender(uow, item)
    if first:
        uow.emit(ContactRequested(email=mail.sender, name=mail.sender_name,
                                  ticket_id=ticket_id), tenant_id, ACTOR)


def quarantine(stored: storage.Stored, source_bucket: str, headers: Headers,
               problem: Unreadable) -> str:
    tenant_id = headers.tenant_id
    target = repository.quarantine_key(tenant_id, stored.key)
    storage.move(source_bucket, stored.key, target)
    item = repository.new_quarantine(
        tenant_id, stored.key, stored.received_at, reason=problem.reason,
        detail=problem.detail[:500] or None, sender=headers.sender, subject=headers.subject,
        message_id=headers.message_id, size=stored.size, raw_key=target)
    uow = repository.unit_of_work()
    repository.stage_quarantine(uow, item)
    if tenant_id:
        uow.emit(InboundEmailQuarantined(quarantine_id=item.quarantine_id, reason=item.reason,
                                         sender=item.sender, subject=item.subject),
                 tenant_id, ACTOR)
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if repository.CLAIM not in conflict.labels:
            raise
    _drop_original(source_bucket, stored.key, target)
    return "quarantined"


def _drop_original(source_bucket: str, key: str, kept_as: str) -> None:
    if key != kept_as:
        storage.delete(source_bucket, key)
