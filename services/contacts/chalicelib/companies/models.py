"""Company items: the record itself and the lookup entries that carry a copy of it."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import ContactsItem


class CompanyItem(ContactsItem):
    company_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted = BooleanAttribute(default=False)
    # the parent_of edge that mirrors doc["parent_id"], so a new parent replaces it unread
    parent_relationship_id = UnicodeAttribute(null=True)
    version = VersionAttribute()


class CompanyEntryItem(ContactsItem):
    """A domain claim, a tag or name entry: keyed for one lookup, with the record."""

    company_id = UnicodeAttribute()
    record = JSONAttribute(default=dict)
