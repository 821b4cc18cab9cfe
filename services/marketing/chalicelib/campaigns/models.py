"""Campaign items: the definition, its launch and its counters, the counter shards that
feedback and tracking add to, and batch completions."""

from __future__ import annotations

from collections.abc import Mapping

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.models import MarketingItem

COUNTERS = ("sent", "skipped", "failed", "uncertain", "delivered", "bounced", "complained",
            "opened", "clicked", "unsubscribed")


class ShardedCounters:
    """Counters kept on an item plus what its counter shards hold: per-message writes
    (feedback, tracking) add to one of several shard items instead of this one, so that
    thousands of concurrent notifications neither conflict on one item nor make it a hot
    key. The repository reads the shards with the item and adds them here; `total` is
    what the API shows. Never persisted: a put of the item writes only its own counters."""

    def add_shards(self, counts: Mapping[str, int]) -> None:
        summed = dict(getattr(self, "_shard_counts", {}))
        for name, value in counts.items():
            summed[name] = summed.get(name, 0) + int(value or 0)
        self._shard_counts = summed

    def total(self, name: str) -> int:
        return int(getattr(self, name) or 0) + getattr(self, "_shard_counts", {}).get(name, 0)


class FeedbackCounters(MarketingItem):
    """What feedback and tracking count per message (SHARDED): on a campaign's own item
    (counted there before shards existed) and on each of its counter shards."""

    delivered = NumberAttribute(default=0)
    bounced = NumberAttribute(default=0)
    complained = NumberAttribute(default=0)
    opened = NumberAttribute(default=0)
    clicked = NumberAttribute(default=0)
    unsubscribed = NumberAttribute(default=0)


class CampaignItem(ShardedCounters, FeedbackCounters):
    """`rev` is the ETag version, checked by hand on definition and status writes, so that
    senders may ADD to the counters in their own transactions without racing it. Send
    batches add to the counters here (once per batch); feedback and tracking add to the
    campaign's `CampaignCountersItem` shards (once per message)."""

    campaign_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channel = UnicodeAttribute()
    segment_ids = JSONAttribute(default=list)
    template_id = UnicodeAttribute()
    sender_identity_id = UnicodeAttribute(null=True)
    send_at = UnicodeAttribute(null=True)
    throttle_per_minute = NumberAttribute(null=True)
    status = UnicodeAttribute()
    launch_id = UnicodeAttribute(null=True)
    launched_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    rev = NumberAttribute(default=1)
    # planning and completion
    plan_chunk = NumberAttribute(default=0)
    planned = NumberAttribute(default=0)
    planned_batches = NumberAttribute(default=0)
    planning_done = BooleanAttribute(default=False)
    done_batches = NumberAttribute(default=0)
    # send outcomes (one per recipient; feedback outcomes: FeedbackCounters)
    sent = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    uncertain = NumberAttribute(default=0)
    # ROI: what the tenant says it cost ({amount, currency}) and won deals attributed to it
    cost = JSONAttribute(null=True)
    conversions = NumberAttribute(default=0)


class CampaignCountersItem(FeedbackCounters):
    """One of a campaign's counter shards (which one: a stable hash of the message)."""


#: what feedback and tracking count per message, on the shards
SHARDED = ("delivered", "bounced", "complained", "opened", "clicked", "unsubscribed")


class BatchDoneItem(MarketingItem):
    """A send batch finished: its recipients' outcomes were added to the counters and it
    was counted in `done_batches`, once, whatever redelivers it (delivery.batches)."""

    finished_at = UnicodeAttribute()
