"""Web-to-lead items: the form, its public key, and per-minute submission counters."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class FormItem(SalesItem):
    form_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    form_key = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class FormKeyItem(SalesItem):
    """Which tenant and form a public key opens (the key itself says nothing of either)."""

    tenant_id = UnicodeAttribute()
    form_id = UnicodeAttribute()


class RateItem(SalesItem):
    count = NumberAttribute(default=0)
