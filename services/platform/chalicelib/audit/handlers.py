"""Entries from events: every domain event (a change) and the reads services report.

Changes arrive on the platform's events queue through the consumer's per-source catch-all
(`Consumer.on_source`, one bus rule per source): every event of the domain services, and
of the platform's own only those about records (not workflow or webhook plumbing). Reads
and exports arrive on the audit queue (crm_shared.audit) and are handled by `reads`, a
consumer of its own, so the events queue's rules stay exactly its subscriptions. Both run
each event's entries in one transaction with its idempotency marker.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.audit import domain, logic
from crm_shared import context
from crm_shared.events.audit_events import (
    FieldPermissionsChanged,
    RecordsExported,
    RecordsRead,
)
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.envelope import Event
from crm_shared.events.platform_events import (
    ApiKeyCreated,
    ApiKeyRevoked,
    TeamChanged,
    TenantDeleted,
    TenantProvisioned,
    UserInvited,
    UserUpdated,
)
from crm_shared.unit_of_work import UnitOfWork

DOMAIN_SOURCES = ("crm.contacts", "crm.sales", "crm.service", "crm.marketing",
                  "crm.collaboration")
PLATFORM_RECORDS = frozenset(cls.detail_type() for cls in (
    TenantProvisioned, TenantDeleted, UserInvited, UserUpdated, TeamChanged, ApiKeyCreated,
    ApiKeyRevoked, FieldPermissionsChanged,
))


def _origin() -> tuple[str | None, str | None]:
    ctx = context.current()
    return ctx.source_ip, ctx.user_agent


def record_change(event: Event, ctx: EventContext, uow: UnitOfWork) -> None:
    """One entry for the record the event is about, with what changed in it."""
    if type(event).source == "crm.platform" and ctx.detail_type not in PLATFORM_RECORDS:
        return
    data = event.model_dump(mode="json")
    entity_type, entity_id = domain.subject(data, list(type(event).model_fields),
                                            ctx.detail_type, ctx.tenant_id)
    source_ip, user_agent = _origin()
    logic.append(uow, tenant_id=ctx.tenant_id, occurred_at=ctx.occurred_at, actor=ctx.actor,
                 action=domain.action(ctx.detail_type, entity_type), entity_type=entity_type,
                 entity_id=entity_id, event_type=ctx.detail_type, event_id=ctx.event_id,
                 correlation_id=ctx.correlation_id, source_ip=source_ip,
                 user_agent=user_agent, changes=domain.changes(data, entity_type),
                 service=type(event).source.removeprefix("crm."))


def subscribe(consumer: Consumer) -> None:
    """Every event of every source, through the consumer's per-source catch-all."""
    for source in (*DOMAIN_SOURCES, "crm.platform"):
        consumer.on_source(source)(record_change)


reads = Consumer(SERVICE)


@reads.on(RecordsRead)
def records_read(event: RecordsRead, ctx: EventContext, uow: UnitOfWork) -> None:
    """One entry per record read: "who saw contact X" is one Query on the entity index."""
    source_ip, user_agent = _origin()
    retention = logic.retention_days(ctx.tenant_id)
    for index, entity_id in enumerate(event.entity_ids):
        logic.append(uow, tenant_id=ctx.tenant_id, occurred_at=ctx.occurred_at,
                     actor=ctx.actor, action="read", entity_type=event.entity_type,
                     entity_id=entity_id, event_type=ctx.detail_type, event_id=ctx.event_id,
                     correlation_id=ctx.correlation_id, source_ip=source_ip,
                     user_agent=user_agent, service=event.service, route=event.route,
                     retention=retention, mark_day=index == 0)


@reads.on(RecordsExported)
def records_exported(event: RecordsExported, ctx: EventContext, uow: UnitOfWork) -> None:
    after: dict[str, Any] = {"entity_type": event.entity_type, "rows": event.rows,
                             "fields": event.fields, "filter": event.filter}
    logic.append(uow, tenant_id=ctx.tenant_id, occurred_at=ctx.occurred_at, actor=ctx.actor,
                 action="export", entity_type="export", entity_id=event.export_id,
                 event_type=ctx.detail_type, event_id=ctx.event_id,
                 correlation_id=ctx.correlation_id, source_ip=None, user_agent=None,
                 changes={k: {"after": v} for k, v in after.items()}, service=event.service)
