"""Contract items: the record, its per-contact links, the tenant's notice settings."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class ContractItem(SalesItem):
    contract_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class ContractLinkItem(SalesItem):
    """The contract seen from one of its contacts (merge and lists by contact)."""

    contract_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()


class ContractSettingsItem(SalesItem):
    settings = JSONAttribute(default=dict)
