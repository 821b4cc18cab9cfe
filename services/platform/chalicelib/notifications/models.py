"""Notification items of the platform table. Key shapes live in repository.py."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute

from chalicelib.models import PlatformItem


class NotificationItem(PlatformItem):
    """One notice in one user's inbox; a deleted one stays as a tombstone for the delta
    feed until its TTL."""

    notification_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    type = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute(null=True)
    link = JSONAttribute(null=True)  # {"type": "lead", "id": "lea_..."}
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    actor = UnicodeAttribute(null=True)
    read_at = UnicodeAttribute(null=True)
    deleted = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class PreferencesItem(PlatformItem):
    """A user's choices per notification type, and when their next digest is due."""

    tenant_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    types = JSONAttribute(default=dict)  # {type: {"in_app": bool, "digest": bool}}
    digest = BooleanAttribute(default=False)
    last_digest_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
