"""Typed, idempotent SQS consumers for bus events, with partial batch failure reporting.

Each handler adds its writes to a `UnitOfWork`; the consumer adds a marker keyed on
`event_id` to the same transaction, so a redelivered event changes nothing twice and a
failed one leaves no trace. Only the failed records of a batch are retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import UnicodeAttribute

from crm_shared import clock, context, observability
from crm_shared.context import Principal
from crm_shared.dynamo import BaseItem, table_meta, tenant_key
from crm_shared.events.envelope import Envelope, Event
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

MARKER_TTL = timedelta(days=15)
Handler = Callable[[Any, "EventContext", UnitOfWork], None]


class ConsumedItem(BaseItem):
    consumer = UnicodeAttribute()
    detail_type = UnicodeAttribute()


@cache
def _consumed_model(service: str) -> type[ConsumedItem]:
    return type(f"{service.title()}ConsumedItem", (ConsumedItem,), {"Meta": table_meta(service)})


@dataclass(frozen=True)
class EventContext:
    event_id: str
    tenant_id: str
    occurred_at: str
    correlation_id: str | None
    actor: str
    detail_type: str


@dataclass(frozen=True)
class Subscription:
    source: str
    detail_type: str
    model: type[Event]
    handlers: list[Handler]


class Consumer:
    """The event handlers of one service, keyed by detail-type."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.subscriptions: dict[str, Subscription] = {}
        self.sources: dict[str, list[Handler]] = {}

    def on(self, event_type: type[Event]) -> Callable[[Handler], Handler]:
        """Register a handler. Several features may handle one event: they run in
        registration order within the event's one transaction, so all or none apply."""
        def register(handler: Handler) -> Handler:
            name = event_type.detail_type()
            found = self.subscriptions.setdefault(
                name, Subscription(event_type.source, name, event_type, []))
            if found.model is not event_type:
                raise ValueError(f"{self.service}: {name} is registered with another model")
            if handler in found.handlers:
                raise ValueError(f"{self.service}: {handler.__name__} handles {name} twice")
            found.handlers.append(handler)
            return handler

        return register

    def on_source(self, source: str) -> Callable[[Handler], Handler]:
        """Register a catch-all handler for every catalog event of `source` (one rule per
        source delivers them). It runs after the handlers registered by name, in the same
        transaction; an event type outside the catalog is acknowledged unhandled."""
        def register(handler: Handler) -> Handler:
            found = self.sources.setdefault(source, [])
            if handler in found:
                raise ValueError(f"{self.service}: {handler.__name__} handles {source} twice")
            found.append(handler)
            return handler

        return register

    def process_batch(self, lambda_event: dict[str, Any]) -> dict[str, Any]:
        """Handle an SQS batch; returns `batchItemFailures` naming only the failed records."""
        from aws_lambda_powertools.utilities.batch import (  # deferred: API cold starts skip it
            BatchProcessor,
            EventType,
            process_partial_response,
        )

        processor = BatchProcessor(event_type=EventType.SQS)
        return dict(process_partial_response(
            event=lambda_event, record_handler=self._handle_record, processor=processor
        ))

    def _handle_record(self, record: SQSRecord) -> None:
        log = observability.logger(self.service)
        try:
            bus_event = json.loads(record.body)
            detail_type = bus_event["detail-type"]
            envelope = Envelope.model_validate(bus_event["detail"])
        except (ValueError, KeyError, TypeError) as exc:
            log.error("unreadable event; it will reach the DLQ after its retries",
                      extra={"message_id": record.message_id, "error": str(exc)})
            raise
        meta = envelope.metadata
        context.begin(meta.correlation_id)
        context.current().source_ip, context.current().user_agent = meta.source_ip, meta.user_agent
        context.current().principal = Principal(
            kind="system", tenant_id=meta.tenant_id, subject=f"{self.service}-consumer"
        )
        observability.bind(self.service, tenant_id=meta.tenant_id,
                           correlation_id=meta.correlation_id)
        subscription = self.subscriptions.get(detail_type)
        catch_all = self.sources.get(str(bus_event.get("source", "")), [])
        model = subscription.model if subscription else _catalog_model(detail_type, catch_all)
        if model is None:
            log.warning("no handler for this event; acknowledged",
                        extra={"detail_type": detail_type, "event_id": meta.event_id})
            return
        handlers = [*(subscription.handlers if subscription else ()), *catch_all]
        data = model.model_validate(envelope.data)
        event_ctx = EventContext(
            event_id=meta.event_id, tenant_id=meta.tenant_id, occurred_at=meta.occurred_at,
            correlation_id=meta.correlation_id, actor=meta.actor, detail_type=detail_type,
        )
        marker_model = _consumed_model(self.service)
        marker = marker_model(
            PK=tenant_key(meta.tenant_id, "CONSUMED", meta.event_id), SK=self.service,
            consumer=self.service, detail_type=detail_type,
            expires_at=clock.now() + MARKER_TTL,
        )
        uow = UnitOfWork(self.service)
        try:
            for handler in handlers:
                handler(data, event_ctx, uow)
            uow.put(marker, condition=marker_model.PK.does_not_exist(), label="consumed")
            uow.commit()
        except TransactionConflict as conflict:
            if "consumed" in conflict.labels:
                log.info("duplicate delivery ignored", extra={"event_id": meta.event_id})
                self._count(detail_type, "duplicate", meta.tenant_id, meta.correlation_id)
                return
            log.exception("event handler failed", extra={"event_id": meta.event_id})
            self._count(detail_type, "failed", meta.tenant_id, meta.correlation_id)
            raise
        except Exception:
            log.exception("event handler failed", extra={"event_id": meta.event_id,
                                                         "detail_type": detail_type})
            self._count(detail_type, "failed", meta.tenant_id, meta.correlation_id)
            raise
        log.info("event handled", extra={"event_id": meta.event_id, "detail_type": detail_type})
        self._count(detail_type, "handled", meta.tenant_id, meta.correlation_id)

    def _count(self, detail_type: str, outcome: str, tenant_id: str,
               correlation_id: str | None) -> None:
        observability.record_event(self.service, detail_type=detail_type, outcome=outcome,
                                   tenant_id=tenant_id, correlation_id=correlation_id)


def _catalog_model(detail_type: str, catch_all: list[Handler]) -> type[Event] | None:
    """The catalog's model of an event only catch-all handlers take (None: nobody's)."""
    if not catch_all:
        return None
    from crm_shared.events.catalog import CATALOG  # deferred: only catch-all consumers

    return CATALOG.get(detail_type)
