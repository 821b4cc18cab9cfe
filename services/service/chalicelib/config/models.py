"""The tenant's service configuration: one item, so a ticket write reads it in one call."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import ServiceItem


class ConfigItem(ServiceItem):
    """Type defaults, business-hours calendars, SLA policies and routing rules of a tenant.

    Small and bounded (caps per kind), read on every ticket write and by the SLA sweep."""

    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    version = VersionAttribute()
