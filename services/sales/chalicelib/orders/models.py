"""Order items: the record, its external-id claim and its status history."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class OrderItem(SalesItem):
    order_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class OrderClaimItem(SalesItem):
    """(source, external_id) taken by one order: a replayed upsert finds it in one GetItem."""

    order_id = UnicodeAttribute()


class OrderHistoryItem(SalesItem):
    order_id = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute(null=True)
