"""Intake items: shop connectors (found by key alone), carts, the tenant's settings."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
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


class CartOwnerItem(SalesItem):
    """What finds a contact's carts on erasure: the digests of its email addresses (from
    contacts' events, never the addresses) and the contact ids merged into it."""

    contact_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    digests = ListAttribute[str](default=list)
    merged_ids = ListAttribute[str](default=list)
    contact_version = NumberAttribute(default=0)
    erased = BooleanAttribute(default=False)
    version = VersionAttribute()


class IntakeSettingsItem(SalesItem):
    settings = JSONAttribute(default=dict)
