"""Events about outbound webhooks (source crm.platform)."""

from __future__ import annotations

from crm_shared.events.envelope import Event


class WebhookDisabled(Event):
    """The platform stopped delivering to a subscription: its receiver answered 410 Gone
    (`reason` "gone") or failed `failures` times in a row (`reason` "failing")."""

    source = "crm.platform"

    webhook_id: str
    url: str
    reason: str
    failures: int


class WebhookDeliveryRequested(Event):
    """A ping or a replay was saved: the platform's consumer queues its delivery (the API
    itself never touches SQS, and the request and its delivery commit together)."""

    source = "crm.platform"

    webhook_id: str
    delivery_id: str
