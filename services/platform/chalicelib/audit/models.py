"""PynamoDB items of the audit log (key shapes live in audit/repository.py)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models import PlatformItem


class AuditEntryItem(PlatformItem):
    """One immutable entry: written once under a does-not-exist condition, never updated."""

    entry_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    entity_type = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    event_id = UnicodeAttribute()
    correlation_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    service = UnicodeAttribute(null=True)
    route = UnicodeAttribute(null=True)
    changes = UnicodeAttribute(null=True)  # JSON {field: {before?, after}}


class AuditSettingsItem(PlatformItem):
    tenant_id = UnicodeAttribute()
    retention_days = NumberAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class AuditDayItem(PlatformItem):
    """A tenant-day that has entries: on the DUE index until its file is in the bucket."""

    tenant_id = UnicodeAttribute()
    day = UnicodeAttribute()
