"""A service's jobs queue: long tenant-wide work (imports, exports) cut into SQS messages.

Every message is a small JSON object `{"kind": ..., "tenant_id": ..., "job_id": ...}` plus
what its handler needs (a byte range, a cursor, a chunk number): never the data itself (SQS
caps a message at 256 KB). Handlers are idempotent, so a redelivery changes nothing twice; a
message that keeps failing reaches the DLQ after 5 receives.

One `JobQueue(service)` per service holds that service's handlers on the instance, never in
a module-level registry: the tests run every service in one process with one crm_shared,
and contacts' handlers must never see sales' messages. `queue.register(app, *modules)` adds
the Lambda function `handle_jobs`, which app.py binds as a module name (Chalice points the
function at `app.handle_jobs`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from functools import cached_property
from typing import Any

from crm_shared import context, observability
from crm_shared.context import Principal
from crm_shared.settings import get_settings

Message = dict[str, Any]
JobHandler = Callable[[Message], None]
SEND_BATCH = 10  # SendMessageBatch's maximum


def principal_of(stored: dict[str, Any], tenant_id: str) -> Principal:
    """The caller who started the job: its messages act as them (visibility, owner, actor)."""
    return Principal(kind=str(stored.get("kind", "system")), tenant_id=tenant_id,
                     subject=str(stored.get("subject", "jobs")),
                     roles=frozenset(stored.get("roles") or ()),
                     team_ids=frozenset(stored.get("team_ids") or ()))


def stored_principal(principal: Principal) -> dict[str, Any]:
    """What a job record keeps of its caller, for `principal_of` to restore."""
    return {"kind": principal.kind, "subject": principal.subject,
            "roles": sorted(principal.roles), "team_ids": sorted(principal.team_ids)}


class JobQueue:
    """The jobs queue `crm-<stage>-<service>-jobs` of one service and its handlers by kind."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.handlers: dict[str, JobHandler] = {}
        self.modules: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """Derived from the stage like the events queue's name (docs/conventions.md)."""
        return f"crm-{get_settings().stage}-{self.service}-jobs"

    def handler(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        """Register `fn` for messages of `kind`; a kind has exactly one handler (the same
        function again, from a module imported anew, replaces itself)."""
        def register(fn: JobHandler) -> JobHandler:
            known = self.handlers.get(kind, fn)
            if (known.__module__, known.__qualname__) != (fn.__module__, fn.__qualname__):
                raise ValueError(f"{self.service}: job kind {kind!r} has a handler already")
            self.handlers[kind] = fn
            return fn
        return register

    @cached_property
    def sqs(self) -> Any:
        import boto3  # deferred: only the routes that start jobs need SQS

        settings = get_settings()
        return boto3.client("sqs", region_name=settings.region,
                            endpoint_url=settings.aws_endpoint_url)

    @cached_property
    def url(self) -> str:
        return str(self.sqs.get_queue_url(QueueName=self.name)["QueueUrl"])

    def send(self, *messages: Message) -> None:
        """Enqueue messages, ten per request; raises if SQS refused any (the caller retries)."""
        for start in range(0, len(messages), SEND_BATCH):
            batch = messages[start:start + SEND_BATCH]
            result = self.sqs.send_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":"))}
                for i, m in enumerate(batch)])
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} job messages")

    def _handle_record(self, record: Any) -> None:
        message = json.loads(record.body)
        kind = message.get("kind")
        context.begin(message.get("correlation_id"))
        observability.bind(self.service, tenant_id=message.get("tenant_id"),
                           correlation_id=message.get("correlation_id"))
        fn = self.handlers.get(str(kind))
        if fn is None:
            observability.logger(self.service).error("unknown job message; acknowledged",
                                                     extra={"kind": kind})
            return
        fn(message)

    def process_batch(self, lambda_event: dict[str, Any]) -> dict[str, Any]:
        """Handle an SQS batch; returns `batchItemFailures` naming only the failed messages."""
        from aws_lambda_powertools.utilities.batch import (  # deferred: API cold starts skip it
            BatchProcessor,
            EventType,
            process_partial_response,
        )

        self.load()
        processor = BatchProcessor(event_type=EventType.SQS)
        return dict(process_partial_response(event=lambda_event,
                                             record_handler=self._handle_record,
                                             processor=processor))

    def load(self) -> None:
        """Import the handler modules named at registration (they register on import)."""
        for module in self.modules:
            importlib.import_module(module)

    def register(self, app: Any, *modules: str) -> Any:
        """Add `handle_jobs` (one message per invocation: a chunk is a few seconds of work).
        `modules` register the handlers; they are imported by the first batch, so the API
        function, which shares app.py, never pays for them."""
        self.modules = modules

        @app.on_sqs_message(queue=self.name, batch_size=1, name="handle_jobs")
        def handle_jobs(event: Any) -> dict[str, Any]:
            return self.process_batch(event.to_dict())

        app.crm_jobs = self
        return handle_jobs
