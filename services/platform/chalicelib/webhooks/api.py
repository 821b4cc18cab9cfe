"""Routes of /webhooks (admins only): subscriptions, secrets, deliveries and replays."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import SERVICE
from chalicelib.webhooks import domain, logic
from chalicelib.webhooks.models import DeliveryItem, WebhookItem
from chalicelib.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    NewWebhookOut,
    SecretOut,
    WebhookCreate,
    WebhookOut,
    WebhookPage,
    WebhookSettings,
    WebhookSettingsOut,
    WebhookUpdate,
)
from crm_shared import clock
from crm_shared.auth.roles import ADMINS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "webhooks")


def _fields(item: WebhookItem) -> dict[str, Any]:
    return dict(
        webhook_id=item.webhook_id, url=item.url, description=item.description,
        event_types=list(item.event_types), filter=item.filter, role=domain.role_of(item.role),
        enabled=bool(item.enabled),
        disabled_reason=item.disabled_reason,
        key_ids=[s["key_id"] for s in domain.live_secrets(list(item.secrets), clock.now())],
        created_at=item.created_at, updated_at=item.updated_at, version=item.version or 0)


def out(item: WebhookItem) -> WebhookOut:
    return WebhookOut(**_fields(item))


def versioned(body: WebhookOut, status: int | None = None) -> Reply:
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


def delivery_out(item: DeliveryItem) -> DeliveryOut:
    pending = item.status == "pending"
    return DeliveryOut(
        delivery_id=item.delivery_id, webhook_id=item.webhook_id, event_id=item.event_id,
        event_type=item.event_type, status=item.status, attempt_count=int(item.attempt_count),
        attempts=list(item.attempts or []),
        next_attempt_at=item.next_attempt_at if pending else None, replay_of=item.replay_of,
        error=item.error, created_at=item.created_at, updated_at=item.updated_at,
        completed_at=item.completed_at, payload=json.loads(item.payload))


# literal paths before /webhooks/{webhook_id}
@api.route("/webhooks/settings", "GET", roles=ADMINS, response=WebhookSettingsOut)
def get_webhook_settings(req: ApiRequest) -> WebhookSettingsOut:
    """The tenant's webhook settings (consecutive failures before a webhook is disabled)."""
    item = logic.settings(req.tenant_id)
    return WebhookSettingsOut(disable_after_failures=int(item.disable_after_failures))


@api.route("/webhooks/settings", "PUT", roles=ADMINS, body=WebhookSettings,
           response=WebhookSettingsOut)
def put_webhook_settings(req: ApiRequest) -> WebhookSettingsOut:
    """Set how many consecutive failed deliveries disable a webhook (default 20)."""
    item = logic.save_settings(req.tenant_id, req.body)
    return WebhookSettingsOut(disable_after_failures=int(item.disable_after_failures))


@api.route("/webhooks", "POST", roles=ADMINS, body=WebhookCreate, response=NewWebhookOut,
           status=201)
def create_webhook(req: ApiRequest) -> Reply:
    """Subscribe a URL to event types; the signing secret is shown in this answer only."""
    item, secret = logic.create(req.tenant_id, req.body)
    body = NewWebhookOut(**_fields(item), secret=secret["secret"], key_id=secret["key_id"])
    return Reply(body, headers={"ETag": etag(body.version),
                                "Location": f"/webhooks/{item.webhook_id}"})


@api.route("/webhooks", "GET", roles=ADMINS, response=WebhookPage)
def list_webhooks(req: ApiRequest) -> WebhookPage:
    """A page of the tenant's webhooks, oldest first."""
    items, cursor = logic.list_page(req.tenant_id, parse_limit(req.query.get("limit")),
                                   req.query.get("cursor"))
    return WebhookPage(items=[out(i) for i in items], next_cursor=cursor)


@api.route("/webhooks/{webhook_id}", "GET", roles=ADMINS, response=WebhookOut)
def get_webhook(req: ApiRequest, webhook_id: str) -> Reply:
    """One webhook (never its secret)."""
    return versioned(out(logic.get(req.tenant_id, webhook_id)))


@api.route("/webhooks/{webhook_id}", "PATCH", roles=ADMINS, body=WebhookUpdate,
           response=WebhookOut)
def update_webhook(req: ApiRequest, webhook_id: str) -> Reply:
    """Change the URL, event types, filter or description; `enabled` re-enables one."""
    return versioned(out(logic.update(req.tenant_id, webhook_id, req.body, req.if_match())))


@api.route("/webhooks/{webhook_id}", "DELETE", roles=ADMINS, status=204)
def delete_webhook(req: ApiRequest, webhook_id: str) -> None:
    """Stop and remove a webhook; its pending deliveries end as failed."""
    logic.delete(req.tenant_id, webhook_id, req.if_match())


@api.route("/webhooks/{webhook_id}/rotate-secret", "POST", roles=ADMINS, response=SecretOut)
def rotate_webhook_secret(req: ApiRequest, webhook_id: str) -> SecretOut:
    """A new signing secret (shown once); the old one still signs for 24 hours."""
    item, secret = logic.rotate_secret(req.tenant_id, webhook_id)
    previous = item.secrets[1] if len(item.secrets) > 1 else None
    return SecretOut(webhook_id=item.webhook_id, key_id=secret["key_id"],
                     secret=secret["secret"],
                     previous_key_id=previous["key_id"] if previous else None,
                     previous_expires_at=previous["expires_at"] if previous else None)


@api.route("/webhooks/{webhook_id}/ping", "POST", roles=ADMINS, response=DeliveryOut,
           status=202)
def ping_webhook(req: ApiRequest, webhook_id: str) -> DeliveryOut:
    """Queue a signed `WebhookPing` delivery to check the receiver."""
    return delivery_out(logic.ping(req.tenant_id, webhook_id))


@api.route("/webhooks/{webhook_id}/deliveries", "GET", roles=ADMINS, response=DeliveryPage)
def list_webhook_deliveries(req: ApiRequest, webhook_id: str) -> DeliveryPage:
    """A page of the webhook's deliveries, newest first: one Query."""
    items, cursor = logic.list_deliveries(req.tenant_id, webhook_id,
                                          parse_limit(req.query.get("limit")),
                                          req.query.get("cursor"))
    return DeliveryPage(items=[delivery_out(i) for i in items], next_cursor=cursor)


@api.route("/webhooks/{webhook_id}/deliveries/{delivery_id}", "GET", roles=ADMINS,
           response=DeliveryOut)
def get_webhook_delivery(req: ApiRequest, webhook_id: str, delivery_id: str) -> DeliveryOut:
    """One delivery with every attempt (status, latency, response code, error)."""
    return delivery_out(logic.get_delivery(req.tenant_id, webhook_id, delivery_id))


@api.route("/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", "POST", roles=ADMINS,
           response=DeliveryOut, status=202)
def replay_webhook_delivery(req: ApiRequest, webhook_id: str, delivery_id: str) -> DeliveryOut:
    """Send a finished delivery's event again, as a new delivery."""
    return delivery_out(logic.replay(req.tenant_id, webhook_id, delivery_id))
