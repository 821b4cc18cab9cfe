"""Pipeline items: every pipeline of a tenant in one partition (a tenant has a handful)."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class PipelineItem(SalesItem):
    pipeline_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    stages = JSONAttribute(default=list)
    is_default = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
