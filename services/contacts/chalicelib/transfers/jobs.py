"""The jobs queue: long tenant-wide work (imports, exports) cut into SQS messages.

Every message is a small JSON object `{"kind": ..., "tenant_id": ..., "job_id": ...}` plus
what its handler needs (a byte range, a cursor): never the data itself (SQS caps a message
at 256 KB). Handlers are idempotent, so a redelivery changes nothing twice; a message that
keeps failing reaches the DLQ after 5 receives. `register(app)` adds the Lambda function
`handle_jobs`, which app.py binds as a module name (Chalice points the function at it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalice import Chalice

from chalicelib import SERVICE
from crm_shared import context, observability
from crm_shared.context import Principal
from crm_shared.settings import get_settings

Message = dict[str, Any]
HANDLERS: dict[str, Callable[[Message], None]] = {}
SEND_BATCH = 10  # SendMessageBatch's maximum


def queue_name() -> str:
    """`crm-<stage>-contacts-jobs`, like the events queue's name, derived from the stage."""
    return f"crm-{get_settings().stage}-{SERVICE}-jobs"


def handler(kind: str) -> Callable[[Callable[[Message], None]], Callable[[Message], None]]:
    def register(fn: Callable[[Message], None]) -> Callable[[Message], None]:
        HANDLERS[kind] = fn
        return fn
    return register


@lru_cache(maxsize=1)
def _sqs() -> Any:
    import boto3  # deferred: only the routes that start jobs need SQS

    settings = get_settings()
    return boto3.client("sqs", region_name=settings.region, endpoint_url=settings.aws_endpoint_url)


@lru_cache(maxsize=1)
def queue_url() -> str:
    return str(_sqs().get_queue_url(QueueName=queue_name())["QueueUrl"])


def send(*messages: Message) -> None:
    """Enqueue messages, ten per request; raises if SQS refused any (the caller retries)."""
    for start in range(0, len(messages), SEND_BATCH):
        batch = messages[start:start + SEND_BATCH]
        result = _sqs().send_message_batch(QueueUrl=queue_url(), Entries=[
            {"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":"))}
            for i, m in enumerate(batch)])
        if result.get("Failed"):
            raise RuntimeError(f"SQS refused {len(result['Failed'])} job messages")


def principal_of(stored: dict[str, Any], tenant_id: str) -> Principal:
    """The caller who started the job: its chunks act as them (visibility, owner, actor)."""
    return Principal(kind=str(stored.get("kind", "system")), tenant_id=tenant_id,
                     subject=str(stored.get("subject", "transfers")),
                     roles=frozenset(stored.get("roles") or ()),
                     team_ids=frozenset(stored.get("team_ids") or ()))


def stored_principal(principal: Principal) -> dict[str, Any]:
    return {"kind": principal.kind, "subject": principal.subject,
            "roles": sorted(principal.roles), "team_ids": sorted(principal.team_ids)}


def _handle_record(record: Any) -> None:
    message = json.loads(record.body)
    kind = message.get("kind")
    context.begin(message.get("correlation_id"))
    observability.bind(SERVICE, tenant_id=message.get("tenant_id"),
                       correlation_id=message.get("correlation_id"))
    fn = HANDLERS.get(str(kind))
    if fn is None:
        observability.logger(SERVICE).error("unknown job message; acknowledged",
                                            extra={"kind": kind})
        return
    fn(message)


def process_batch(lambda_event: dict[str, Any]) -> dict[str, Any]:
    """Handle an SQS batch; returns `batchItemFailures` naming only the failed messages."""
    from aws_lambda_powertools.utilities.batch import (  # deferred: API cold starts skip it
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(process_partial_response(event=lambda_event, record_handler=_handle_record,
                                         processor=processor))


def register(app: Chalice) -> Any:
    """Add `handle_jobs` (one message per invocation: a chunk is a few seconds of work)."""
    import importlib

    for module in ("importer", "exporter"):  # their handlers register on import
        importlib.import_module(f"chalicelib.transfers.{module}")

    @app.on_sqs_message(queue=queue_name(), batch_size=1, name="handle_jobs")
    def handle_jobs(event: Any) -> dict[str, Any]:
        return process_batch(event.to_dict())

    return handle_jobs
