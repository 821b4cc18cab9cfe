"""Inbound items: the per-message claim, the quarantine, and the contacts' email projection."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import ServiceItem


class InboundItem(ServiceItem):
    """One accepted message of a tenant, keyed by its Message-ID: the exactly-once claim,
    the thread's link to its ticket (replies name it in In-Reply-To/References) and where
    its bytes are (erasure deletes them)."""

    tenant_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)
    comment_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()
    sender = UnicodeAttribute(null=True)
    raw_key = UnicodeAttribute(null=True)
    attachment_keys = ListAttribute[str](default=list)
    received_at = UnicodeAttribute()


class QuarantineItem(ServiceItem):
    quarantine_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)
    sender = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    size = NumberAttribute(default=0)
    raw_key = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()


class SenderItem(ServiceItem):
    """An email address of the tenant: the contact it belongs to (from contacts' events),
    or, while unknown, the tickets waiting for that contact to exist."""

    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute()
    contact_id = UnicodeAttribute(null=True)
    pending_ticket_ids = ListAttribute[str](default=list)
    requested = BooleanAttribute(default=False)
    version = VersionAttribute()


class ContactEmailsItem(ServiceItem):
    """The addresses a contact has (the projection's other direction: updates, erasure)."""

    tenant_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    emails = ListAttribute[str](default=list)
    contact_version = NumberAttribute(default=0)  # the newest contact version projected
