"""Journey items: the definition (with its counters), per-step stats, per-contact presence
and enrollments."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.models import MarketingItem


class JourneyItem(MarketingItem):
    """`rev` is the ETag version, checked by hand, so enrollments may ADD to the counters."""

    journey_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()  # active | paused
    trigger = JSONAttribute()
    reentry = JSONAttribute()
    steps = JSONAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    rev = NumberAttribute(default=1)
    enrolled = NumberAttribute(default=0)
    completed = NumberAttribute(default=0)
    exited = NumberAttribute(default=0)


class StepStatsItem(MarketingItem):
    """How many enrollments reached, finished and left the journey at one step."""

    step_id = UnicodeAttribute(null=True)
    entered = NumberAttribute(default=0)
    completed = NumberAttribute(default=0)
    exited = NumberAttribute(default=0)


class PresenceItem(MarketingItem):
    """A contact's latest enrollment in a journey: the re-entry rules read it."""

    contact_id = UnicodeAttribute()
    enrollment_id = UnicodeAttribute()
    entered_at = UnicodeAttribute()
    active = BooleanAttribute(default=True)


class EnrollmentItem(MarketingItem):
    """One contact's way through one journey. `seq` counts executed steps: each step
    commits conditioned on it, so a step runs once whoever retries it."""

    enrollment_id = UnicodeAttribute()
    journey_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    status = UnicodeAttribute()  # active | completed | exited
    step_id = UnicodeAttribute(null=True)
    seq = NumberAttribute(default=0)
    resume_at = UnicodeAttribute(null=True)  # a wait step's deadline
    last_send_pk = UnicodeAttribute(null=True)
    last_send_sk = UnicodeAttribute(null=True)
    last_message_id = UnicodeAttribute(null=True)
    history = JSONAttribute(default=list)
    outcome = UnicodeAttribute(null=True)
    entered_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
