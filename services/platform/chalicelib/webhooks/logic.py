"""Webhook use cases: subscriptions, secrets, enqueueing deliveries, listing and replaying."""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.webhooks import domain, egress, queue, repository
from chalicelib.webhooks.models import DeliveryItem, WebhookItem, WebhookSettingsItem
from chalicelib.webhooks.schemas import WebhookCreate, WebhookSettings, WebhookUpdate
from crm_shared import clock, field_permissions, observability
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.automation_events import WebhookCallRequested
from crm_shared.events.webhook_events import WebhookDeliveryRequested
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork


def _safe_url(url: str) -> str:
    try:
        egress.resolve(url)
    except egress.UnsafeUrl as exc:
        raise ValidationFailed.for_field("url", str(exc)) from None
    return url


def create(tenant_id: str, cmd: WebhookCreate) -> tuple[WebhookItem, dict[str, Any]]:
    """Save a subscription; its secret is returned here and never again."""
    _safe_url(cmd.url)
    now = clock.iso()
    secret = domain.new_secret()
    item = repository.new_webhook(
        tenant_id, new_id("web"), now,
        url=cmd.url, description=cmd.description, event_types=sorted(set(cmd.event_types)),
        filter=cmd.filter.model_dump(mode="json") if cmd.filter else None, role=cmd.role,
        enabled=True, secrets=[secret], updated_at=now)
    uow = repository.unit_of_work()
    repository.add(uow, item)
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if repository.LIMIT_LABEL in conflict.labels:
            raise Conflict.for_field("url", f"a tenant has at most {repository.MAX_WEBHOOKS} "
                                     "webhooks", code="webhook_limit") from None
        raise
    return item, secret


def list_page(tenant_id: str, limit: int,
              cursor: str | None) -> tuple[list[WebhookItem], str | None]:
    return repository.list_page(tenant_id, limit, cursor)


def get(tenant_id: str, webhook_id: str) -> WebhookItem:
    item = repository.get(tenant_id, webhook_id) if is_id(webhook_id, "web") else None
    if item is None:
        raise NotFound("no such webhook")
    return item


def _check_version(item: WebhookItem, if_match: int | None) -> None:
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the webhook changed since it was read; fetch it and retry",
                                 code="version_mismatch")


def update(tenant_id: str, webhook_id: str, cmd: WebhookUpdate,
           if_match: int | None) -> WebhookItem:
    item = get(tenant_id, webhook_id)
    _check_version(item, if_match)
    old_types, was_enabled = list(item.event_types), bool(item.enabled)
    given = cmd.model_fields_set
    if "url" in given and cmd.url is not None:
        item.url = _safe_url(cmd.url)
    if "event_types" in given and cmd.event_types is not None:
        item.event_types = sorted(set(cmd.event_types))
    if "filter" in given:
        item.filter = cmd.filter.model_dump(mode="json") if cmd.filter else None
    if "description" in given:
        item.description = cmd.description
    if "role" in given and cmd.role is not None:
        item.role = cmd.role
    if "enabled" in given and cmd.enabled is not None:
        item.enabled = cmd.enabled
        item.disabled_reason = None if cmd.enabled else "disabled by an admin"
    item.updated_at = clock.iso()
    with repository.unit_of_work() as uow:
        repository.save(uow, item, old_types, was_enabled)
        if item.enabled and not was_enabled:  # a fresh start for a re-enabled receiver
            repository.record_health(uow, tenant_id, webhook_id, 0, "enabled")
    return item


def delete(tenant_id: str, webhook_id: str, if_match: int | None) -> None:
    item = get(tenant_id, webhook_id)
    _check_version(item, if_match)
    with repository.unit_of_work() as uow:
        repository.remove(uow, item)


def rotate_secret(tenant_id: str, webhook_id: str) -> tuple[WebhookItem, dict[str, Any]]:
    """A new current secret; the previous one keeps signing (and verifying) for 24 h."""
    item = get(tenant_id, webhook_id)
    item.secrets = domain.rotate(list(item.secrets or []), clock.now())
    item.updated_at = clock.iso()
    with repository.unit_of_work() as uow:
        repository.save(uow, item, list(item.event_types), bool(item.enabled))
    return item, item.secrets[0]


def settings(tenant_id: str) -> WebhookSettingsItem:
    return repository.settings(tenant_id)


def save_settings(tenant_id: str, cmd: WebhookSettings) -> WebhookSettingsItem:
    item = repository.settings(tenant_id)
    item.disable_after_failures = cmd.disable_after_failures
    item.updated_at = clock.iso()
    repository.save_settings(item)
    return item


# -- deliveries -------------------------------------------------------------------

def _delivery(tenant_id: str, webhook_id: str, delivery_id: str, event_id: str,
              event_type: str, payload: str, replay_of: str | None = None) -> DeliveryItem:
    now = clock.iso()
    return repository.new_delivery(
        tenant_id, webhook_id, delivery_id, event_id=event_id, event_type=event_type,
        payload=payload, status="pending", attempts=[], attempt_count=0, next_attempt_at=now,
        replay_of=replay_of, created_at=now, updated_at=now)


def enqueue_event(uow: UnitOfWork, tenant_id: str, event_id: str, event_type: str,
                  occurred_at: str, data: dict[str, Any]) -> int:
    """Add a delivery per matching subscription to the event's transaction, and queue them.

    Each subscription sees the event as its role may (field permissions): its filter runs
    on that masked data, so a filter cannot test a hidden field, and its body carries it.
    The messages go out before the commit (SQS is not in the transaction): a message whose
    delivery never commits is dropped by the worker, and a redelivered event sends the same
    delivery ids again, which the worker delivers once.
    """
    routes = repository.routes_for(tenant_id, event_type)
    if not routes:
        return 0
    rules = field_permissions.tenant_rules(SERVICE, tenant_id)
    wanted: list[tuple[str, str]] = []
    for route in routes:
        seen = domain.masked(data, tenant_id, route.webhook_id, route.role, rules)
        if domain.wanted(route.filter, seen):
            wanted.append((route.webhook_id,
                           domain.body(event_id, event_type, occurred_at, tenant_id, seen)))
    if not wanted:
        return 0
    delivery_id = domain.delivery_id_for(event_id)
    for webhook_id, payload in wanted:
        repository.add_delivery(uow, _delivery(tenant_id, webhook_id, delivery_id, event_id,
                                               event_type, payload))
    queue.send(*(queue.message(tenant_id, w, delivery_id) for w, _ in wanted))
    return len(wanted)


def call_target(tenant_id: str, webhook_id: str | None, url: str | None) -> WebhookItem:
    """The subscription a workflow's `call_webhook` action calls: its `webhook_id`, or the
    tenant's enabled subscription registered for `url` (its secret signs the call, so the
    receiver verifies it as it verifies the subscription's events). A URL is checked like
    a subscription's (SSRF: https, public addresses) before it is looked up; 422 naming
    the field when there is nothing to call."""
    if webhook_id:
        hook = repository.get(tenant_id, webhook_id) if is_id(webhook_id, "web") else None
        if hook is None:
            raise ValidationFailed.for_field("webhook_id", "no such webhook in this tenant")
    else:
        wanted = _safe_url(str(url or ""))
        found = [h for h in repository.list_page(tenant_id, repository.MAX_WEBHOOKS, None)[0]
                 if h.url == wanted and h.enabled]
        if not found:
            raise ValidationFailed.for_field(
                "url", "no enabled webhook of this tenant has this URL: register it at "
                "POST /webhooks (its secret signs the calls) or name a webhook_id")
        hook = found[0]
    if not hook.enabled:
        raise ValidationFailed.for_field("webhook_id", "is disabled: enable it first")
    return hook


def enqueue_call(uow: UnitOfWork, tenant_id: str, event_id: str, occurred_at: str,
                 call: WebhookCallRequested) -> DeliveryItem | None:
    """A workflow run's webhook call as one delivery of the named subscription, through the
    same signed delivery, retries and DLQ as its events, masked with its role.

    Keyed on (run, action): a second request for the same call, whatever its event id,
    finds the delivery and sends nothing. A call whose webhook is gone is dropped (the run
    already recorded that the call was requested)."""
    try:
        hook = call_target(tenant_id, call.webhook_id, call.url)
    except ValidationFailed as refused:
        observability.logger(SERVICE).warning("workflow webhook call dropped", extra={
            "run_id": call.run_id, "action_index": call.action_index,
            "reason": refused.detail})
        return None
    delivery_id = domain.call_delivery_id(call.run_id, call.action_index)
    if repository.get_delivery(tenant_id, hook.webhook_id, delivery_id) is not None:
        return None
    rules = field_permissions.tenant_rules(SERVICE, tenant_id)
    seen = domain.masked(call.payload, tenant_id, hook.webhook_id, hook.role, rules)
    event_type = call.event_type or "WebhookCallRequested"
    payload = domain.body(event_id, event_type, occurred_at, tenant_id, seen)
    item = _delivery(tenant_id, hook.webhook_id, delivery_id, event_id, event_type, payload)
    repository.add_delivery(uow, item)
    queue.send(queue.message(tenant_id, hook.webhook_id, delivery_id))
    return item


def _start(item: DeliveryItem) -> DeliveryItem:
    """Save the delivery with its request event: the consumer queues it (see handlers)."""
    with repository.unit_of_work() as uow:
        repository.add_delivery(uow, item)
        uow.emit(WebhookDeliveryRequested(webhook_id=item.webhook_id,
                                          delivery_id=item.delivery_id), item.tenant_id)
    return item


def dispatch(tenant_id: str, webhook_id: str, delivery_id: str) -> None:
    queue.send(queue.message(tenant_id, webhook_id, delivery_id))


def ping(tenant_id: str, webhook_id: str) -> DeliveryItem:
    """A test delivery (`WebhookPing`), to check a receiver and its signature checks."""
    hook = get(tenant_id, webhook_id)
    if not hook.enabled:
        raise Conflict.for_field("webhook_id", "is disabled: enable it first",
                                 code="webhook_disabled")
    event_id = new_id("evt")
    payload = domain.body(event_id, domain.PING, clock.iso(), tenant_id,
                          {"webhook_id": webhook_id})
    return _start(_delivery(tenant_id, webhook_id, domain.delivery_id_for(event_id), event_id,
                            domain.PING, payload))


def get_delivery(tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryItem:
    found = None
    if is_id(webhook_id, "web") and is_id(delivery_id, "dlv"):
        found = repository.get_delivery(tenant_id, webhook_id, delivery_id)
    if found is None:
        raise NotFound("no such delivery")
    return found


def list_deliveries(tenant_id: str, webhook_id: str, limit: int,
                    cursor: str | None) -> tuple[list[DeliveryItem], str | None]:
    get(tenant_id, webhook_id)
    return repository.list_deliveries(tenant_id, webhook_id, limit, cursor)


def replay(tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryItem:
    """Send a finished delivery's event again, as a new delivery (same X-CRM-Event-Id)."""
    hook = get(tenant_id, webhook_id)
    original = get_delivery(tenant_id, webhook_id, delivery_id)
    if original.status == "pending":
        raise Conflict.for_field("delivery_id", "is still being delivered",
                                 code="delivery_pending")
    if not hook.enabled:
        raise Conflict.for_field("webhook_id", "is disabled: enable it first",
                                 code="webhook_disabled")
    return _start(_delivery(tenant_id, webhook_id, new_id("dlv"), original.event_id,
                            original.event_type, original.payload, replay_of=delivery_id))
