"""The outbox relay: table stream -> EventBridge, in batches of 10, then clear the outbox.

Entries that EventBridge refuses are retried a few times here; if any still fail, the
handler reports the first failed stream record so Lambda retries from it. Nothing is
dropped: an unpublished outbox item stays in the table until it is published.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from crm_shared import context, observability
from crm_shared.events.outbox import OUTBOX_SK, outbox_item_class
from crm_shared.settings import get_settings

BATCH = 10
ATTEMPTS = 3


@lru_cache(maxsize=1)
def events_client() -> Any:
    import boto3  # deferred: only the relay function needs it

    settings = get_settings()
    return boto3.client("events", region_name=settings.region,
                        endpoint_url=settings.aws_endpoint_url)


def _outbox_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record.get("dynamodb", {}).get("NewImage") or {}
        if image.get("SK", {}).get("S") != OUTBOX_SK:
            continue
        found.append({
            "sequence": record["dynamodb"].get("SequenceNumber", ""),
            "pk": image["PK"]["S"],
            "entry": {
                "Source": image["source"]["S"],
                "DetailType": image["detail_type"]["S"],
                "Detail": image["detail"]["S"],
            },
        })
    return found


def publish(service: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Publish the outbox INSERTs among `records`; returns a stream partial-batch response."""
    context.begin(None)
    observability.bind(service, tenant_id=None, correlation_id=None)
    log = observability.logger(service)
    bus = get_settings().event_bus_name
    pending = _outbox_records(records)
    published: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for start in range(0, len(pending), BATCH):
        chunk = pending[start:start + BATCH]
        for attempt in range(ATTEMPTS):
            entries = [{**item["entry"], "EventBusName": bus} for item in chunk]
            try:
                response = events_client().put_events(Entries=entries)
                results = response.get("Entries", [])
            except Exception as exc:  # noqa: BLE001 - any client error is retried, then reported
                log.warning("PutEvents failed", extra={"error": str(exc), "attempt": attempt})
                results = [{"ErrorCode": "ClientError"}] * len(chunk)
            retry: list[dict[str, Any]] = []
            for item, result in zip(chunk, results, strict=False):
                (retry if result.get("ErrorCode") else published).append(item)
            chunk = retry
            if not chunk:
                break
            time.sleep(0.05 * 2**attempt)
        failed.extend(chunk)
    _clear(service, published)
    if failed:
        first = min(failed, key=lambda item: item["sequence"])
        log.error("outbox events not published; the stream will retry",
                  extra={"count": len(failed)})
        return {"batchItemFailures": [{"itemIdentifier": first["sequence"]}]}
    return {"batchItemFailures": []}


def _clear(service: str, published: list[dict[str, Any]]) -> None:
    model = outbox_item_class(service)
    with model.batch_write() as batch:
        for item in published:
            batch.delete(model(PK=item["pk"], SK=OUTBOX_SK, source="", detail_type="",
                               detail=""))
