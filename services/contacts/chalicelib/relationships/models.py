"""Relationship items: the edge record (by id) and one half under each of its parties."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.models import ContactsItem


class RelationshipItem(ContactsItem):
    """The edge as written, reachable by its id in one GetItem. Edges are immutable: a
    change is a delete and a create, so there is no version to match."""

    relationship_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    edge = JSONAttribute(default=dict)


class RelationshipHalfItem(ContactsItem):
    """The edge seen from one party, keyed for the party's adjacency Query, with the edge."""

    relationship_id = UnicodeAttribute()
    party_id = UnicodeAttribute()
    other_id = UnicodeAttribute()
    type_key = UnicodeAttribute()
    direction = UnicodeAttribute()  # "out", "in", or "both" (symmetric types)
    edge = JSONAttribute(default=dict)
