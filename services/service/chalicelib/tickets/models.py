"""Ticket items: the record, its list shadow, comments and status history."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import ServiceItem


class TicketItem(ServiceItem):
    """The ticket. `doc` holds the fields the API shows plus `sla_state` (the clock)."""

    ticket_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class TicketShadowItem(ServiceItem):
    """A copy of the ticket written in the same transaction, so three more list dimensions
    (company, priority, SLA state) are each one Query, like the five on the record."""

    ticket_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=0)  # the record's version it copies (no check)


class CommentItem(ServiceItem):
    comment_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    body = UnicodeAttribute(null=True)
    public = BooleanAttribute(default=False)
    author_kind = UnicodeAttribute(default="agent")
    author_id = UnicodeAttribute(null=True)
    author_contact_id = UnicodeAttribute(null=True)
    attachments = JSONAttribute(default=list)
    created_at = UnicodeAttribute()
    erased = BooleanAttribute(default=False)


class HistoryItem(ServiceItem):
    entry_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute(null=True)
