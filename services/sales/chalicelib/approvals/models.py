"""Approval items: one request and its decision; the tenant's approval policy."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class ApprovalItem(SalesItem):
    approval_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    subject_type = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    requested_by = UnicodeAttribute(null=True)
    approver_id = UnicodeAttribute(null=True)  # None: any of the tenant's admins decides
    status = UnicodeAttribute(default="pending")
    comment = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class ApprovalSettingsItem(SalesItem):
    tenant_id = UnicodeAttribute()
    discount_threshold = NumberAttribute(default=20)
    rules = JSONAttribute(default=list)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()
