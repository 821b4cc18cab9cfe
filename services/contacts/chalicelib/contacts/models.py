"""Contact items: the record itself and the lookup entries that carry a copy of it."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)

from chalicelib.models import ContactsItem


class ContactItem(ContactsItem):
    contact_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted = BooleanAttribute(default=False)
    # "EMAIL:<address>" / "PHONE:<e164>" this contact holds beside another's claim, because
    # it was created with on_duplicate=allow: its writes must never touch that claim
    dup_claims = UnicodeSetAttribute(null=True)
    version = VersionAttribute()


class ContactEntryItem(ContactsItem):
    """An email or phone claim, a tag or name entry: keyed for one lookup, with the record.

    The copy makes a search by email one Query that answers with the contact itself; each
    write of the contact rewrites its entries in the same transaction.
    """

    contact_id = UnicodeAttribute()
    record = JSONAttribute(default=dict)
