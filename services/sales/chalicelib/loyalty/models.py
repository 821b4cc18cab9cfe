"""Loyalty items: the programme, each member's balance, and the append-only ledger."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import SalesItem


class ProgramItem(SalesItem):
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    version = VersionAttribute()


class MemberItem(SalesItem):
    """Balance and tier, changed only by conditional updates in the ledger entry's
    transaction (no version: concurrent redemptions race on the balance condition)."""

    contact_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    balance = NumberAttribute(default=0)
    lifetime = NumberAttribute(default=0)
    tier = UnicodeAttribute(null=True)
    seq = NumberAttribute(default=0)  # ledger writes so far: the condition of the next one
    joined_at = UnicodeAttribute()


class EntryItem(SalesItem):
    """One ledger line; an earned line sits on the DUE index until it expires."""

    entry_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    points = NumberAttribute()
    balance = NumberAttribute()
    at = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    expires_on = UnicodeAttribute(null=True)


class OrderPointsItem(SalesItem):
    """What an order earned, so a refund reverses exactly that once."""

    order_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    points = NumberAttribute()
    reversed = NumberAttribute(default=0)
