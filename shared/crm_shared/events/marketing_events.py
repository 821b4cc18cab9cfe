"""Events the marketing service publishes (source crm.marketing).

Sales scores leads on them; the timeline records them.
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
