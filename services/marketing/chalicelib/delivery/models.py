"""Per-recipient send records: the claim, the outcome and what tracking needs."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.models import MarketingItem


class SendItem(MarketingItem):
    """One message to one recipient: a campaign's (campaign, contact) or a transactional
    command's idempotency key. `state` moves claimed -> sent | skipped | failed, or to
    uncertain when an attempt died between the provider's call and recording its answer.
    `batch_id`: the campaign send batch that made the record, and so counts its outcome in
    the campaign's counters (delivery.batches); None outside campaigns."""

    message_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    state = UnicodeAttribute()
    campaign_id = UnicodeAttribute(null=True)
    batch_id = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    idempotency_key = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    claimed_by = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    links = JSONAttribute(null=True)  # the URLs of the sent message, by index
    opened_at = UnicodeAttribute(null=True)
    clicked_at = UnicodeAttribute(null=True)
    unsubscribed_at = UnicodeAttribute(null=True)
    delivered_at = UnicodeAttribute(null=True)
    bounced_at = UnicodeAttribute(null=True)


class ProviderRefItem(MarketingItem):
    """SES message id -> our send record: bounce and delivery feedback carries only the
    provider's id. Kept under the system tenant, since feedback names no tenant."""

    tenant_id = UnicodeAttribute()
    send_pk = UnicodeAttribute()
    send_sk = UnicodeAttribute()
