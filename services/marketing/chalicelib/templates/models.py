"""Message templates and the tenant's sender identities."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import MarketingItem


class TemplateItem(MarketingItem):
    template_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channel = UnicodeAttribute()  # email | sms
    purpose = UnicodeAttribute()  # marketing | transactional
    subject = UnicodeAttribute(null=True)
    html = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class SenderIdentityItem(MarketingItem):
    """An address the tenant sends from; SES verifies it (status is SES's, refreshed on read)."""

    identity_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    is_default = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class SenderClaimItem(MarketingItem):
    """One identity per address per tenant."""

    identity_id = UnicodeAttribute()
