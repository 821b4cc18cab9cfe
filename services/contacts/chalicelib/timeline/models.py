"""Timeline items: interactions, the entries of each party's timeline, and its summary."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import ContactsItem


class InteractionItem(ContactsItem):
    """A call, email, meeting, chat, note, complaint or visit someone logged."""

    interaction_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    direction = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    occurred_at = UnicodeAttribute()
    duration_seconds = NumberAttribute(null=True)
    participants = JSONAttribute(default=list)
    related_ids = JSONAttribute(default=list)  # as sent: con_, cmp_ and foreign ids
    party_ids = JSONAttribute(default=list)  # the contacts and companies it is on the timeline of
    owner_id = UnicodeAttribute(null=True)
    team_id = UnicodeAttribute(null=True)
    erased = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class TimelineEntryItem(ContactsItem):
    """One line of a party's timeline; `source` names the fact it shows."""

    party_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    summary = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    source = JSONAttribute(default=dict)  # {service, type, id}
    link = UnicodeAttribute(null=True)


class SummaryItem(ContactsItem):
    """The 360 card's numbers, kept in step with the timeline in the same transactions.

    Reading it is one GetItem, whatever the length of the timeline.
    """

    party_id = UnicodeAttribute()
    counts = JSONAttribute(default=dict)  # kind -> number of entries
    last_occurred_at = UnicodeAttribute(null=True)
    latest = JSONAttribute(default=list)  # newest entries, at most domain.LATEST
    latest_by_kind = JSONAttribute(default=dict)  # kind -> newest entries, at most PER_KIND
    version = VersionAttribute()
