"""Events the customer service publishes (source crm.service).

Tickets travel whole as the API shows them (`ticket`, with its `version`), so a consumer
never calls back: the service's own metrics keep only the newest version they saw, which
makes them safe against redelivery and reordering.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from crm_shared.events.envelope import Event


class ServiceEvent(Event):
    source = "crm.service"


class TicketCreated(ServiceEvent):
    """A ticket exists; routing assigns it when it came without an assignee or team."""

    ticket_id: str
    ticket: dict[str, Any]


class TicketUpdated(ServiceEvent):
    """`ticket` after the change; `changed` names the fields that changed."""

    ticket_id: str
    ticket: dict[str, Any]
    changed: list[str]


class TicketAssigned(ServiceEvent):
    """`assignee_id` and/or `team_id` now hold the ticket; `rule_id` is the routing rule
    that chose them (None when a person assigned it), `reason` why (escalation, routing)."""

    ticket_id: str
    assignee_id: str | None = None
    team_id: str | None = None
    rule_id: str | None = None
    reason: str = "manual"
    ticket: dict[str, Any]


class TicketStatusChanged(ServiceEvent):
    ticket_id: str
    from_status: str | None = None
    to_status: str
    ticket: dict[str, Any]


class TicketResolved(ServiceEvent):
    """The ticket reached resolved; `resolution_seconds` are business seconds the SLA clock
    ran (paused time excluded), None when no calendar applied."""

    ticket_id: str
    resolution_seconds: int | None = None
    ticket: dict[str, Any]


class TicketCommented(ServiceEvent):
    """A public reply or an internal note; `comment` as the API shows it."""

    ticket_id: str
    comment_id: str
    public: bool
    comment: dict[str, Any]
    ticket: dict[str, Any]


class SlaBreached(ServiceEvent):
    """An SLA target (`first_response` or `resolution`) passed unmet, announced once per
    target. `notify_user_ids` are who the policy's escalation wants told (platform
    notifications); `escalation` lists what it did (priority raised, reassigned)."""

    ticket_id: str
    policy_id: str
    target: str = Field(description="first_response or resolution")
    due_at: str
    breached_at: str
    escalation: list[str] = Field(default_factory=list)
    notify_user_ids: list[str] = Field(default_factory=list)
    ticket: dict[str, Any]


class TicketSlaAtRisk(ServiceEvent):
    """An SLA target (`first_response` or `resolution`) is close to its due time and still
    unmet: the policy's `warn_before_minutes` of business time (default a fifth of the
    target) are left. Announced once per ticket and target; the platform notifies the
    assignee, or the team's manager when nobody is assigned."""

    ticket_id: str
    policy_id: str
    target: str = Field(description="first_response or resolution")
    due_at: str
    at_risk_at: str = Field(description="When the sweep found the target at risk.")
    remaining_seconds: int = Field(description="Business seconds left at `at_risk_at`.")
    assignee_id: str | None = None
    team_id: str | None = None
    ticket: dict[str, Any]


class SurveyResponded(ServiceEvent):
    """A customer answered a CSAT or NPS survey (about a ticket when `ticket_id` is set)."""

    survey_id: str
    response_id: str
    kind: str = Field(description="csat or nps")
    score: int
    comment: str | None = None
    contact_id: str | None = None
    ticket_id: str | None = None
    responded_at: str


class ReturnRequested(ServiceEvent):
    """A customer asked to return goods of an order; `request` as the API shows it."""

    return_id: str
    order_id: str | None = None
    contact_id: str | None = None
    ticket_id: str | None = None
    request: dict[str, Any]


class SurveySent(ServiceEvent):
    """A CSAT (about a resolved ticket) or NPS survey is due to go out; the service's own
    consumer turns it into one message command for marketing (keyed by `survey_id`, so a
    redelivery sends nothing twice)."""

    survey_id: str
    kind: str = Field(description="csat or nps")
    contact_id: str | None = None
    to_address: str | None = None
    ticket_id: str | None = None
    expires_at: str


class InboundEmailQuarantined(ServiceEvent):
    """An inbound email was not turned into a ticket or reply (malformed, too large, no
    tenant address...) and waits in the quarantine for an admin."""

    quarantine_id: str
    reason: str
    sender: str | None = None
    subject: str | None = None


class ContactRequested(ServiceEvent):
    """An email came from an address no contact has: the contacts service may create the
    contact; its ContactCreated then links the waiting tickets (by email)."""

    email: str
    name: str | None = None
    ticket_id: str | None = None
    channel: str = "email"


class ReturnMoved(ServiceEvent):
    """Base of a return's status steps (not published itself): `request` as the API shows
    it after the step, `note` what the agent wrote with it."""

    return_id: str
    order_id: str | None = None
    external_order_ref: str | None = None
    contact_id: str | None = None
    ticket_id: str | None = None
    note: str | None = None
    request: dict[str, Any]


class ReturnApproved(ReturnMoved):
    """The return may be sent back (requested -> approved)."""


class ReturnRejected(ReturnMoved):
    """The return was refused (requested -> rejected); final."""


class ReturnReceived(ReturnMoved):
    """The goods arrived back (approved -> received)."""


class ReturnRefunded(ReturnMoved):
    """The customer was refunded (received -> refunded); `request.refund` holds the
    amount when the agent recorded it. Final."""


class ReturnReplaced(ReturnMoved):
    """A replacement was sent instead of a refund (received -> replaced). Final."""


class ArticlePublished(ServiceEvent):
    """A knowledge-base article went live as version `version_number`; `article` is that
    version as the public site shows it."""

    article_id: str
    version_number: int
    locale: str
    article: dict[str, Any]
