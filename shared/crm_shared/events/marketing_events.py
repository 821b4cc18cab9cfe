"""Events the marketing service publishes (source crm.marketing).

Sales scores leads on them; the timeline records them; contacts turns `Unsubscribed` into
a consent statement. Engagement events name the message (`message_id`) and, when known,
the contact and campaign; an address alone is never enough to identify a person.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from crm_shared.events.envelope import Event


class MarketingEvent(Event):
    source = "crm.marketing"


class Engagement(MarketingEvent):
    """Who engaged: a contact, a lead, or only an address (any may be missing)."""

    contact_id: str | None = None
    lead_id: str | None = None
    email: str | None = None
    campaign_id: str | None = None
    occurred_at: str


class MessageOpened(Engagement):
    message_id: str


class LinkClicked(Engagement):
    message_id: str
    url: str


class FormSubmitted(Engagement):
    """A marketing form (not web-to-lead) was submitted; `fields` as the visitor sent them."""

    form_id: str
    fields: dict[str, Any] = Field(default_factory=dict)


class CampaignLaunched(MarketingEvent):
    """A campaign started sending (once per campaign: a second launch changes nothing).

    The marketing service plans its recipients on this event, so a launch the API
    acknowledged is always planned, even if the process died right after answering.
    """

    campaign_id: str
    launch_id: str
    channel: str
    segment_ids: list[str]
    template_id: str
    launched_at: str


class MessageSent(MarketingEvent):
    """SES or SNS accepted one message for one recipient (campaign or transactional)."""

    message_id: str
    channel: str
    contact_id: str | None = None
    campaign_id: str | None = None
    idempotency_key: str | None = None  # transactional messages: the caller's key
    provider_message_id: str | None = None
    sent_at: str


class MessageDelivered(MarketingEvent):
    """The provider reported delivery to the recipient's server."""

    message_id: str
    channel: str
    contact_id: str | None = None
    campaign_id: str | None = None
    delivered_at: str


class MessageBounced(MarketingEvent):
    """The message bounced or drew a complaint; `kind` is hard, soft or complaint."""

    message_id: str
    channel: str
    kind: str
    contact_id: str | None = None
    campaign_id: str | None = None
    bounced_at: str


class Unsubscribed(MarketingEvent):
    """The recipient opted out of marketing on `channel` (one-click or the link)."""

    contact_id: str | None = None
    channel: str
    campaign_id: str | None = None
    message_id: str | None = None
    occurred_at: str


class JourneyEntered(MarketingEvent):
    """A contact entered a journey; marketing runs its first steps on this event, so an
    acknowledged entry always starts."""

    journey_id: str
    contact_id: str
    entered_at: str
    enrollment_id: str | None = None


class JourneyCompleted(MarketingEvent):
    """A contact left a journey: `outcome` is completed (the last step), exited (an exit
    step or a branch with nowhere to go) or a reason it had to stop."""

    journey_id: str
    contact_id: str
    completed_at: str
    outcome: str | None = None
    enrollment_id: str | None = None
