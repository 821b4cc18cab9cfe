"""SES feedback (SES -> SNS -> the feedback queue): deliveries, bounces and complaints.

A hard bounce or a complaint suppresses the address for every later message; each
notification updates its send record, adds to one of the campaign's counter shards (and
its channel's) and announces MessageDelivered or MessageBounced in one transaction,
conditioned on the record not having that outcome yet, so a redelivered notification
changes nothing twice. The shards keep a campaign's ~100,000 concurrent notifications off
one hot item; a transaction cancelled by a concurrent one on a shard is retried.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.campaigns import logic as campaigns
from chalicelib.delivery import repository as sends
from chalicelib.delivery.models import SendItem
from chalicelib.queues import process
from chalicelib.retries import retrying
from chalicelib.suppressions import domain as suppression
from chalicelib.suppressions import logic as suppressions
from crm_shared import clock, context, observability
from crm_shared.events.marketing_events import MessageBounced, MessageDelivered
from crm_shared.unit_of_work import TransactionConflict


def process_feedback(lambda_event: dict[str, Any]) -> dict[str, Any]:
    return process(lambda_event, _handle_record)


def notification_of(body: str) -> dict[str, Any]:
    """The SES notification inside an SNS envelope (or as is, with raw delivery)."""
    outer = json.loads(body)
    if isinstance(outer, dict) and outer.get("Type") == "Notification":
        inner = json.loads(outer["Message"])
        return inner if isinstance(inner, dict) else {}
    return outer if isinstance(outer, dict) else {}


def _handle_record(record: Any) -> None:
    context.begin(None)
    handle(notification_of(record.body))


def handle(notification: dict[str, Any]) -> str:
    kind = notification.get("notificationType") or notification.get("eventType")
    provider_id = (notification.get("mail") or {}).get("messageId")
    log = observability.logger("marketing")
    send = sends.find_by_provider_id(str(provider_id)) if provider_id else None
    if send is None:
        log.warning("feedback for a message we do not know; ignored",
                    extra={"kind": kind, "provider_message_id": provider_id})
        return "unknown"
    if kind == "Delivery":
        return _outcome(send, "delivered_at", "delivered",
                        MessageDelivered(message_id=send.message_id, channel=send.channel,
                                         contact_id=send.contact_id,
                                         campaign_id=send.campaign_id,
                                         delivered_at=clock.iso()))
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        hard = bounce.get("bounceType") == "Permanent"
        if hard:
            for recipient in bounce.get("bouncedRecipients") or []:
                _suppress(send, recipient.get("emailAddress"), "hard_bounce")
        return _outcome(send, "bounced_at", "bounced",
                        MessageBounced(message_id=send.message_id, channel=send.channel,
                                       kind="hard" if hard else "soft",
                                       contact_id=send.contact_id, campaign_id=send.campaign_id,
                                       bounced_at=clock.iso()))
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        for recipient in complaint.get("complainedRecipients") or []:
            _suppress(send, recipient.get("emailAddress"), "complaint")
        return _outcome(send, "bounced_at", "complained",
                        MessageBounced(message_id=send.message_id, channel=send.channel,
                                       kind="complaint", contact_id=send.contact_id,
                                       campaign_id=send.campaign_id, bounced_at=clock.iso()))
    log.info("feedback of no interest", extra={"kind": kind})
    return "ignored"


def _suppress(send: SendItem, address: str | None, reason: str) -> None:
    if address:
        suppressions.add(send.tenant_id, send.channel, suppression.lenient("email", address),
                         reason)


def _outcome(send: SendItem, attribute: str, counter: str, event: Any) -> str:
    uow = sends.unit_of_work()
    field = getattr(SendItem, attribute)
    uow.update(send, [field.set(clock.iso())], condition=field.does_not_exist(), label="send")
    if send.campaign_id:
        campaigns.count_message(send.tenant_id, send.campaign_id, uow, send.message_id,
                                send.channel, **{counter: 1})
    uow.emit(event, send.tenant_id)
    try:
        retrying(uow.commit)
    except TransactionConflict:
        return "duplicate"
    return counter
