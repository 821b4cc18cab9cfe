"""Privacy items: consent statements (current and history) and the erasure audit trail."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import ContactsItem


class ConsentRecord(ContactsItem):
    """What every consent statement says; not written itself (see the two kinds below)."""

    contact_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    legal_basis = UnicodeAttribute(null=True)
    source = UnicodeAttribute()
    obtained_at = UnicodeAttribute()
    changed_at = UnicodeAttribute()
    changed_by = UnicodeAttribute()
    change_id = UnicodeAttribute()


class ConsentItem(ConsentRecord):
    """The channel's current statement: one item per (contact, channel), If-Match guarded."""

    version = VersionAttribute()


class ConsentHistoryItem(ConsentRecord):
    """One past statement; immutable, except that a merge moves it to the survivor."""

    moved_from = UnicodeAttribute(null=True)


class ErasureAuditItem(ContactsItem):
    """Proof an erasure happened, with nothing personal: who, when, how much per feature."""

    contact_id = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UnicodeAttribute()
    counts = JSONAttribute(default=dict)
