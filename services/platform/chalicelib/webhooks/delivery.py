"""The delivery worker: one signed POST per attempt, retried with backoff on the message's
own SQS visibility for up to 24 hours, then parked in the DLQ and marked failed.

A delivery is attempted by one worker at a time (a short lease on the item), and each
attempt's outcome is written once (conditioned on the attempt count), so a duplicate SQS
message never sends an event twice. A worker that dies between the POST and its write
leaves the lease to expire: that attempt may be repeated, with the same X-CRM-Event-Id.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timedelta
from typing import Any

from chalicelib import SERVICE
from chalicelib.webhooks import domain, egress, queue, repository
from chalicelib.webhooks.models import DeliveryItem, WebhookItem
from crm_shared import clock, context, observability
from crm_shared.context import Principal
from crm_shared.events.webhook_events import WebhookDisabled
from crm_shared.unit_of_work import UnitOfWork
from crm_shared.webhook_signature import signature_header

TIMEOUT_SECONDS = 10
ORPHAN_GRACE_MS = 15 * 60 * 1000  # a message may overtake its delivery's commit
MAX_LOGGED_ATTEMPTS = 40


def process(lambda_event: dict[str, Any]) -> dict[str, Any]:
    """Handle an SQS batch; messages waiting for a retry are reported as failures (their
    visibility was already set), so SQS keeps them."""
    failed = []
    for record in lambda_event.get("Records", []):
        try:
            done = handle(record)
        except Exception:  # noqa: BLE001 - logged; SQS redelivers it after its visibility
            observability.logger(SERVICE).exception(
                "webhook delivery failed", extra={"message_id": record.get("messageId")})
            done = False
        if not done:
            failed.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failed}


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def handle(record: dict[str, Any]) -> bool:
    """True when the message is finished with; False when it must come back later."""
    message = json.loads(record["body"])
    tenant_id = str(message["tenant_id"])
    context.begin(None)
    context.current().principal = Principal(kind="system", tenant_id=tenant_id,
                                            subject="platform-webhooks")
    observability.bind(SERVICE, tenant_id=tenant_id, correlation_id=None)
    item = repository.get_delivery(tenant_id, str(message["webhook_id"]),
                                   str(message["delivery_id"]))
    now = clock.now()
    if item is None:  # not committed yet, or never will be (its event is retried)
        sent = int(record.get("attributes", {}).get("SentTimestamp") or 0)
        if now.timestamp() * 1000 - sent < ORPHAN_GRACE_MS:
            queue.hide(record["receiptHandle"], 30)
            return False
        return True
    if item.status != "pending":
        return True  # a duplicate message: this delivery is finished
    wait = (_parse(item.next_attempt_at) - now).total_seconds()
    if wait > 0:
        queue.hide(record["receiptHandle"], math.ceil(wait))
        return False
    if not repository.lease(item, clock.iso(now + domain.LEASE), clock.iso(now)):
        return True  # another worker holds this attempt
    hook = repository.get(tenant_id, item.webhook_id)
    if hook is None or not hook.enabled:
        _finish(item, "failed", "the webhook was deleted or disabled", now)
        return True
    attempt = attempt_once(hook, item, now)
    return _record(hook, item, attempt, now, record)


def headers_for(hook: WebhookItem, item: DeliveryItem, now: datetime) -> dict[str, str]:
    live = domain.live_secrets(list(hook.secrets or []), now)
    body = item.payload.encode()
    return {
        "Content-Type": "application/json",
        "User-Agent": "crm-webhooks/1",
        "X-CRM-Signature": signature_header([s["secret"] for s in live], body,
                                            int(now.timestamp())),
        "X-CRM-Key-Id": ",".join(s["key_id"] for s in live),
        "X-CRM-Event-Id": item.event_id,
        "X-CRM-Event-Type": item.event_type,
        "X-CRM-Delivery-Id": item.delivery_id,
    }


def attempt_once(hook: WebhookItem, item: DeliveryItem, now: datetime) -> dict[str, Any]:
    """POST the delivery once; the attempt as logged (never raises for the receiver's sake)."""
    import requests  # deferred: only the delivery function needs it

    logged: dict[str, Any] = {"at": clock.iso(now), "status": "failed", "latency_ms": None,
                              "response_code": None, "error": None}
    try:
        egress.resolve(hook.url)  # DNS may have changed since the URL was saved
    except egress.UnsafeUrl as exc:
        logged["error"] = f"url {exc}"
        return logged
    started = time.monotonic()
    try:
        response = requests.post(hook.url, data=item.payload.encode(),
                                 headers=headers_for(hook, item, now),
                                 timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        logged["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    else:
        logged["response_code"] = response.status_code
        if domain.outcome(response.status_code) == "delivered":
            logged["status"] = "delivered"
        else:
            logged["error"] = f"the receiver answered {response.status_code}"
    logged["latency_ms"] = int((time.monotonic() - started) * 1000)
    return logged


def _logged(item: DeliveryItem, attempt: dict[str, Any], now: datetime) -> None:
    item.attempts = [*list(item.attempts or []), attempt][-MAX_LOGGED_ATTEMPTS:]
    item.attempt_count = int(item.attempt_count or 0) + 1
    item.lease_until = None
    item.updated_at = clock.iso(now)


def _disable(uow: UnitOfWork, hook: WebhookItem, reason: str, failures: int,
             now: datetime) -> None:
    types = list(hook.event_types)
    hook.enabled = False
    hook.disabled_reason = ("the receiver answered 410 Gone" if reason == "gone" else
                            f"{failures} consecutive failed deliveries")
    hook.updated_at = clock.iso(now)
    repository.save(uow, hook, types, True)
    uow.emit(WebhookDisabled(webhook_id=hook.webhook_id, url=hook.url, reason=reason,
                             failures=failures), hook.tenant_id)


def _record(hook: WebhookItem, item: DeliveryItem, attempt: dict[str, Any], now: datetime,
            record: dict[str, Any]) -> bool:
    tenant_id = hook.tenant_id
    result = "delivered" if attempt["status"] == "delivered" else domain.outcome(
        attempt["response_code"])
    _logged(item, attempt, now)
    uow = repository.unit_of_work()
    retry_in: int | None = None
    if result == "delivered":
        item.status, item.completed_at, item.error = "delivered", clock.iso(now), None
        repository.record_health(uow, tenant_id, hook.webhook_id, 0, "delivered")
    elif result == "gone":
        item.status, item.completed_at, item.error = "failed", clock.iso(now), attempt["error"]
        failures = int(repository.health(tenant_id, hook.webhook_id).consecutive_failures) + 1
        repository.record_health(uow, tenant_id, hook.webhook_id, failures, "gone")
        _disable(uow, hook, "gone", failures, now)
    else:
        failures = int(repository.health(tenant_id, hook.webhook_id).consecutive_failures) + 1
        repository.record_health(uow, tenant_id, hook.webhook_id, failures, "failed")
        limit = int(repository.settings(tenant_id).disable_after_failures)
        delay = domain.backoff(int(item.attempt_count))
        retry_at = now + timedelta(seconds=delay)
        if failures >= limit:
            _disable(uow, hook, "failing", failures, now)
            item.status, item.completed_at = "failed", clock.iso(now)
            item.error = f"the webhook was disabled after {failures} consecutive failures"
        elif domain.gives_up(item.created_at, retry_at):
            item.status, item.completed_at = "failed", clock.iso(now)
            item.error = "no successful attempt within 24 hours"
        else:
            item.next_attempt_at, item.error = clock.iso(retry_at), attempt["error"]
            retry_in = delay
    repository.record_attempt(uow, item)
    uow.commit()
    if retry_in is not None:
        queue.hide(record["receiptHandle"], retry_in)
        return False
    if item.status == "failed" and result == "retry":
        queue.dead_letter(record["body"])
    return True


def _finish(item: DeliveryItem, status: str, error: str, now: datetime) -> None:
    item.status, item.error, item.completed_at = status, error, clock.iso(now)
    item.lease_until, item.updated_at = None, clock.iso(now)
    uow = repository.unit_of_work()
    uow.put(item, condition=DeliveryItem.status == "pending", label="attempt")
    uow.commit()
