"""Opportunity items: the record, its stage history and its links to contacts and companies."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import SalesItem


class OpportunityItem(SalesItem):
    opportunity_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)  # the record's fields (derived ones included)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted = BooleanAttribute(default=False)
    # what the client set rather than what the stage or lines imply
    probability_set = BooleanAttribute(default=False)
    forecast_set = BooleanAttribute(default=False)
    amount_from_lines = BooleanAttribute(default=False)
    # the open stage history entry, so a stage change closes it without reading it
    stage_seq = NumberAttribute(default=0)
    stage_entered_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class StageEntryItem(SalesItem):
    """One stay of a deal in a stage; the current one has no exit yet."""

    opportunity_id = UnicodeAttribute()
    pipeline_id = UnicodeAttribute()
    stage = UnicodeAttribute()
    stage_kind = UnicodeAttribute()
    entered_at = UnicodeAttribute()
    exited_at = UnicodeAttribute(null=True)
    duration_seconds = NumberAttribute(null=True)


class OpportunityLinkItem(SalesItem):
    """The deal seen from one of its contacts or its company, with the record: a party's
    deals are one Query, and merges and erasures find them without a scan."""

    opportunity_id = UnicodeAttribute()
    party_id = UnicodeAttribute()
    record = JSONAttribute(default=dict)
