"""Suppressions: addresses never to message, per reason (bounce, complaint, opt-out...)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.models import MarketingItem


class SuppressionItem(MarketingItem):
    """One reason an address is suppressed. The address itself is dropped on erasure:
    only its tenant-scoped hash (the key) remains, so the person is never mailed again."""

    suppression_id = UnicodeAttribute()  # sha256(tenant + normalized address), hex
    tenant_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    reason = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
