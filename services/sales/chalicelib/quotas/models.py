"""Quota items and the claim that makes (owner or team, period) unique."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class QuotaItem(SalesItem):
    quota_id = UnicodeAttribute()
    subject_kind = UnicodeAttribute()  # "owner" or "team"
    subject_id = UnicodeAttribute()
    period = UnicodeAttribute()
    amount = JSONAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class QuotaClaim(SalesItem):
    """Exists while a quota holds its (subject, period): a second one fails its condition."""

    quota_id = UnicodeAttribute()
