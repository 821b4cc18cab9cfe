"""The offboarding report: one item per service that reported its purge.

Under `_system` and out of the TENANT index (`tenant_indexed = False`): the report of a
tenant's purge must outlive the purge.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models import PlatformItem


class PurgeReportItem(PlatformItem):
    tenant_indexed = False
    offboarded_tenant = UnicodeAttribute()
    service = UnicodeAttribute()
    items_deleted = NumberAttribute()
    objects_deleted = NumberAttribute()
    purged_at = UnicodeAttribute()
