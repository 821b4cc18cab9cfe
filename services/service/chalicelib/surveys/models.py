"""Survey items: what was sent, the one response it may get, and the NPS schedule."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models import ServiceItem


class SurveyItem(ServiceItem):
    survey_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    contact_id = UnicodeAttribute(null=True)
    to_address = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute()
    expires_at_iso = UnicodeAttribute()


class ResponseItem(ServiceItem):
    """Written once per survey (its claim): a reused link finds it."""

    response_id = UnicodeAttribute()
    survey_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    score = NumberAttribute()
    comment = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    responded_at = UnicodeAttribute()
    erased = BooleanAttribute(default=False)


class NpsScheduleItem(ServiceItem):
    """A contact's next NPS survey: on the sparse DUE index until it is sent."""

    tenant_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    last_sent_at = UnicodeAttribute(null=True)
