"""The only code that knows the webhook key shapes.

- the subscription: `T#<t>#WEBHOOK#<id>` / `WEBHOOK`, on GSI1 `T#<t>#WEBHOOKS` /
  `<created_at>#<id>` (the tenant's list, oldest first);
- its health: `T#<t>#WEBHOOK#<id>` / `HEALTH`;
- its deliveries: `T#<t>#WEBHOOK#<id>` / `DLV#<delivery_id>` (ULIDs: newest last);
- one route per enabled subscription and event type: `T#<t>#WHROUTE#<event type>` /
  `<webhook id>`, so an event finds its tenant's subscriptions with one Query;
- the tenant's count and settings: `T#<t>#WEBHOOKS` / `COUNT` and `SETTINGS`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib import SERVICE
from chalicelib.webhooks.models import (
    DeliveryItem,
    WebhookCounterItem,
    WebhookHealthItem,
    WebhookItem,
    WebhookRouteItem,
    WebhookSettingsItem,
)
from crm_shared import clock
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

MAX_WEBHOOKS = 25  # per tenant: an event's deliveries fit in its one transaction
DELIVERY_TTL = timedelta(days=30)
LIMIT_LABEL = "webhook_limit"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def _pk(tenant_id: str, webhook_id: str) -> str:
    return tenant_key(tenant_id, "WEBHOOK", webhook_id)


def _list_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "WEBHOOKS")


def _route_pk(tenant_id: str, event_type: str) -> str:
    return tenant_key(tenant_id, "WHROUTE", event_type)


def _get(model: Any, pk: str, sk: str) -> Any:
    try:
        return model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return None


# -- subscriptions ----------------------------------------------------------------

def new_webhook(tenant_id: str, webhook_id: str, created_at: str, **fields: Any) -> WebhookItem:
    return WebhookItem(PK=_pk(tenant_id, webhook_id), SK="WEBHOOK", webhook_id=webhook_id,
                       tenant_id=tenant_id, created_at=created_at, GSI1PK=_list_pk(tenant_id),
                       GSI1SK=f"{created_at}#{webhook_id}", **fields)


def get(tenant_id: str, webhook_id: str) -> WebhookItem | None:
    return _get(WebhookItem, _pk(tenant_id, webhook_id), "WEBHOOK")  # type: ignore[no-any-return]


def list_page(tenant_id: str, limit: int,
              cursor: str | None) -> tuple[list[WebhookItem], str | None]:
    return query_page(lambda **kw: WebhookItem.gsi1.query(_list_pk(tenant_id), **kw),
                      f"{tenant_id}:webhooks", cursor, limit)


def _routes(item: WebhookItem, event_types: list[str]) -> list[WebhookRouteItem]:
    return [WebhookRouteItem(PK=_route_pk(item.tenant_id, t), SK=item.webhook_id,
                             webhook_id=item.webhook_id, filter=item.filter, role=item.role)
            for t in event_types]


def add(uow: UnitOfWork, item: WebhookItem) -> None:
    """Create the subscription, its routes and health, counted against the tenant's limit."""
    uow.put(item, condition=WebhookItem.PK.does_not_exist(), label="webhook")
    for route in _routes(item, list(item.event_types)):
        uow.put(route)
    uow.put(WebhookHealthItem(PK=item.PK, SK="HEALTH", consecutive_failures=0))
    counter = WebhookCounterItem(PK=_list_pk(item.tenant_id), SK="COUNT")
    uow.update(counter, [WebhookCounterItem.count.add(1)],
               condition=WebhookCounterItem.count.does_not_exist()
               | (WebhookCounterItem.count < MAX_WEBHOOKS), label=LIMIT_LABEL)


def save(uow: UnitOfWork, item: WebhookItem, old_types: list[str], was_enabled: bool) -> None:
    """Write a changed subscription (version-checked) and bring its routes in line."""
    uow.put(item, label="version")
    old = set(old_types) if was_enabled else set()
    new = set(item.event_types) if item.enabled else set()
    for route in _routes(item, sorted(old - new)):
        uow.delete(route)
    for route in _routes(item, sorted(new)):
        uow.put(route)


def remove(uow: UnitOfWork, item: WebhookItem) -> None:
    uow.delete(item, condition=WebhookItem.PK.exists(), label="version")
    uow.delete(WebhookHealthItem(PK=item.PK, SK="HEALTH"))
    if item.enabled:
        for route in _routes(item, list(item.event_types)):
            uow.delete(route)
    counter = WebhookCounterItem(PK=_list_pk(item.tenant_id), SK="COUNT")
    uow.update(counter, [WebhookCounterItem.count.add(-1)])


def routes_for(tenant_id: str, event_type: str) -> list[WebhookRouteItem]:
    """The enabled subscriptions of the tenant to this event type: one Query."""
    return list(WebhookRouteItem.query(_route_pk(tenant_id, event_type),
                                       limit=MAX_WEBHOOKS, page_size=MAX_WEBHOOKS))


def health(tenant_id: str, webhook_id: str) -> WebhookHealthItem:
    found = _get(WebhookHealthItem, _pk(tenant_id, webhook_id), "HEALTH")
    return found or WebhookHealthItem(PK=_pk(tenant_id, webhook_id), SK="HEALTH",
                                      consecutive_failures=0)


def record_health(uow: UnitOfWork, tenant_id: str, webhook_id: str, failures: int,
                  outcome: str) -> None:
    uow.put(WebhookHealthItem(PK=_pk(tenant_id, webhook_id), SK="HEALTH",
                              consecutive_failures=failures, last_outcome=outcome,
                              updated_at=clock.iso()))


def settings(tenant_id: str) -> WebhookSettingsItem:
    found = _get(WebhookSettingsItem, _list_pk(tenant_id), "SETTINGS")
    return found or WebhookSettingsItem(PK=_list_pk(tenant_id), SK="SETTINGS")


def save_settings(item: WebhookSettingsItem) -> None:
    item.save()


# -- deliveries -------------------------------------------------------------------

def new_delivery(tenant_id: str, webhook_id: str, delivery_id: str,
                 **fields: Any) -> DeliveryItem:
    return DeliveryItem(PK=_pk(tenant_id, webhook_id), SK=f"DLV#{delivery_id}",
                        delivery_id=delivery_id, webhook_id=webhook_id, tenant_id=tenant_id,
                        expires_at=clock.now() + DELIVERY_TTL, **fields)


def add_delivery(uow: UnitOfWork, item: DeliveryItem) -> None:
    """A delivery is written once: a second enqueue of the same event fails `delivery`."""
    uow.put(item, condition=DeliveryItem.PK.does_not_exist(), label="delivery")


def get_delivery(tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryItem | None:
    return _get(DeliveryItem, _pk(tenant_id, webhook_id),  # type: ignore[no-any-return]
                f"DLV#{delivery_id}")


def list_deliveries(tenant_id: str, webhook_id: str, limit: int,
                    cursor: str | None) -> tuple[list[DeliveryItem], str | None]:
    """Newest first: one Query of the subscription's partition."""
    return query_page(
        lambda **kw: DeliveryItem.query(_pk(tenant_id, webhook_id),
                                        DeliveryItem.SK.startswith("DLV#"),
                                        scan_index_forward=False, **kw),
        f"{tenant_id}:webhook:{webhook_id}:deliveries", cursor, limit)


def lease(item: DeliveryItem, until: str, now: str) -> bool:
    """Take the delivery for one attempt; False when another worker holds it or it is done."""
    condition: Condition = (DeliveryItem.status == "pending") & (
        DeliveryItem.attempt_count == item.attempt_count) & (
        DeliveryItem.lease_until.does_not_exist() | (DeliveryItem.lease_until < now))
    try:
        item.update(actions=[DeliveryItem.lease_until.set(until)], condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record_attempt(uow: UnitOfWork, item: DeliveryItem) -> None:
    """Write the attempt's outcome, only if no other worker recorded one meanwhile."""
    uow.put(item, condition=DeliveryItem.attempt_count == item.attempt_count - 1,
            label="attempt")
