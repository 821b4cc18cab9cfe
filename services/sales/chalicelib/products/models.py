"""Product items: the record, and the name/alias claims that carry a copy of it."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class ProductItem(SalesItem):
    product_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class ProductClaimItem(SalesItem):
    """A name or alias taken by one product; holds the record so a lookup is one GetItem."""

    product_id = UnicodeAttribute()
    record = JSONAttribute(default=dict)
