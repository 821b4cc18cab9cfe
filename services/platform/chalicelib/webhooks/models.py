"""Webhook items of the platform table. Key shapes live in repository.py."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import PlatformItem


class WebhookItem(PlatformItem):
    """A subscription: where to send which events, and its signing secrets."""

    webhook_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    url = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    event_types = JSONAttribute(default=list)  # sorted detail-types
    filter = JSONAttribute(null=True)
    role = UnicodeAttribute(null=True)  # the role deliveries are masked as (None: viewer)
    enabled = BooleanAttribute(default=True)
    disabled_reason = UnicodeAttribute(null=True)
    # [{"key_id", "secret", "expires_at" (None for the current one)}], newest first
    secrets = JSONAttribute(default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class WebhookRouteItem(PlatformItem):
    """One enabled subscription under one event type: the consumer's match is one Query."""

    webhook_id = UnicodeAttribute()
    filter = JSONAttribute(null=True)
    role = UnicodeAttribute(null=True)  # the subscription's, so matching needs no other read


class WebhookHealthItem(PlatformItem):
    """Consecutive failed attempts, apart from the record so deliveries never move its ETag."""

    consecutive_failures = NumberAttribute(default=0)
    last_outcome = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class WebhookCounterItem(PlatformItem):
    """How many subscriptions the tenant has (bounds an event's fan-out transaction)."""

    count = NumberAttribute(default=0)


class WebhookSettingsItem(PlatformItem):
    disable_after_failures = NumberAttribute(default=20)
    updated_at = UnicodeAttribute(null=True)


class DeliveryItem(PlatformItem):
    """One event (or ping, or replay) for one subscription, with every attempt logged."""

    delivery_id = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    payload = UnicodeAttribute()  # the exact body sent, so every attempt signs the same bytes
    status = UnicodeAttribute()  # pending | delivered | failed
    attempts = JSONAttribute(default=list)
    attempt_count = NumberAttribute(default=0)
    next_attempt_at = UnicodeAttribute()
    lease_until = UnicodeAttribute(null=True)
    replay_of = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
