"""Lead items: the record, and the email claim an open lead holds."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class LeadItem(SalesItem):
    lead_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class LeadClaimItem(SalesItem):
    """The open lead that holds an email in its tenant (duplicates are flagged against it)."""

    lead_id = UnicodeAttribute()
