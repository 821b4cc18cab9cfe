"""`handle_inbound_email`: the SQS batch of SNS notifications that name stored messages.

A notification is either S3's (ObjectCreated, the bucket notifies the topic: the cloud and
the local runtime alike) or SES's own (a receipt rule's S3 action with a topic), wrapped in
SNS's envelope unless raw delivery is on. Only objects of the inbound bucket are read. Only
what a retry can fix fails its record; a bad email is quarantined and acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.inbound import logic, storage
from crm_shared import context, observability

SERVICE = "service"


def objects(body: str) -> Iterator[tuple[str, str]]:
    """(bucket, key) of each message a notification names; nothing for anything else."""
    try:
        message = json.loads(body)
        if isinstance(message, dict) and message.get("Type") == "Notification":
            message = json.loads(message.get("Message") or "null")
    except (ValueError, TypeError):
        return
    if not isinstance(message, dict):
        return
    for record in message.get("Records") or []:
        if not isinstance(record, dict) or record.get("eventSource") != "aws:s3" or not str(
                record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3") or {}
        name = (s3.get("bucket") or {}).get("name")
        key = (s3.get("object") or {}).get("key")
        if name and key:
            yield str(name), unquote_plus(str(key))
    action = (message.get("receipt") or {}).get("action") or {}
    if message.get("notificationType") == "Received" and action.get("type") == "S3":
        yield str(action.get("bucketName")), str(action.get("objectKey"))


def handle_record(record: Any) -> None:
    log = observability.logger(SERVICE)
    context.begin(None)
    observability.bind(SERVICE, tenant_id=None, correlation_id=None)
    found = list(objects(record.body))
    if not found:
        log.info("inbound notification names no message; acknowledged",
                 extra={"message_id": record.message_id})
    for name, key in found:
        if name != storage.bucket():
            log.warning("inbound notification of another bucket; ignored",
                        extra={"bucket": name})
            continue
        outcome = logic.handle(name, key)
        log.info("inbound email", extra={"key": key, "outcome": outcome})


def process_batch(lambda_event: dict[str, Any]) -> dict[str, Any]:
    """Handle an SQS batch; `batchItemFailures` names only records worth retrying."""
    from aws_lambda_powertools.utilities.batch import (  # deferred: API cold starts skip it
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(process_partial_response(event=lambda_event, record_handler=handle_record,
                                         processor=processor))
