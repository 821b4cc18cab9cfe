"""Intake items: shop connectors (found by key alone), carts, the tenant's settings."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import SalesItem


class ConnectorItem(SalesItem):
    connector_key = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    secret = UnicodeAttribute()  # the HMAC key the shop signs with: needed in clear to verify
    enabled = BooleanAttribute(default=True)
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class CartItem(SalesItem):
    cart_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class IntakeSettingsItem(SalesItem):
    settings = JSONAttribute(default=dict)
