"""The delivery queue `crm-<stage>-platform-webhooks` (+ `-dlq`): one message per delivery.

A message is `{"tenant_id", "webhook_id", "delivery_id"}`; the delivery item holds the rest.
Retries wait on the message's own visibility (ChangeMessageVisibility, 12 h at most per
step), so no timer or scan is needed; a delivery out of retries is copied to the DLQ.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from crm_shared.settings import get_settings

MAX_VISIBILITY = 12 * 3600


def name(suffix: str = "") -> str:
    return f"crm-{get_settings().stage}-platform-webhooks{suffix}"


@lru_cache(maxsize=1)
def _sqs() -> Any:
    import boto3  # deferred: only the routes and functions that enqueue need SQS

    settings = get_settings()
    return boto3.client("sqs", region_name=settings.region,
                        endpoint_url=settings.aws_endpoint_url)


@lru_cache(maxsize=2)
def _url(queue_name: str) -> str:
    return str(_sqs().get_queue_url(QueueName=queue_name)["QueueUrl"])


def message(tenant_id: str, webhook_id: str, delivery_id: str) -> dict[str, str]:
    return {"tenant_id": tenant_id, "webhook_id": webhook_id, "delivery_id": delivery_id}


def send(*messages: dict[str, str]) -> None:
    """Enqueue deliveries, ten per request; raises if SQS refused any (the caller retries)."""
    items = list(messages)
    for start in range(0, len(items), 10):
        chunk = items[start:start + 10]
        result = _sqs().send_message_batch(QueueUrl=_url(name()), Entries=[
            {"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":"))}
            for i, m in enumerate(chunk)])
        if result.get("Failed"):
            raise RuntimeError(f"SQS refused {len(result['Failed'])} webhook deliveries")


def hide(receipt_handle: str, seconds: int) -> None:
    """Keep the message back for `seconds` (capped at SQS's 12 hours)."""
    _sqs().change_message_visibility(QueueUrl=_url(name()), ReceiptHandle=receipt_handle,
                                     VisibilityTimeout=max(0, min(seconds, MAX_VISIBILITY)))


def dead_letter(body: str) -> None:
    """Park a delivery that ran out of retries where an operator can see it."""
    _sqs().send_message(QueueUrl=_url(name("-dlq")), MessageBody=body)
