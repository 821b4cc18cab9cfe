"""Segment items: the definition with its member counter and evaluation progress, and
its members."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models import MarketingItem


class SegmentItem(MarketingItem):
    """`rev` is the ETag version, checked by hand on definition writes, so that membership
    writes may ADD to `member_count` and evaluation chunks advance `chunk` in their own
    transactions without racing the definition's version."""

    segment_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()  # dynamic | static
    filter = JSONAttribute(null=True)  # {"filter_groups": [...]} for dynamic segments
    description = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    rev = NumberAttribute(default=1)
    member_count = NumberAttribute(default=0)
    evaluation_id = UnicodeAttribute(null=True)
    evaluation_status = UnicodeAttribute(null=True)  # running | complete
    chunk = NumberAttribute(default=0)
    scanned = NumberAttribute(default=0)
    evaluated_at = UnicodeAttribute(null=True)


class MemberItem(MarketingItem):
    segment_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    added_at = UnicodeAttribute()
