"""Intake use cases: connectors (a key and a secret shown once), signed webhooks mapped into
order upserts or carts, and carts left without an order announced once (CartAbandoned)."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from chalicelib.intake import domain, repository
from chalicelib.intake.models import CartItem, ConnectorItem
from chalicelib.intake.schemas import ConnectorOut, IntakeSettings, Mapping
from chalicelib.orders import logic as orders
from chalicelib.orders.schemas import OrderCreate
from crm_shared import clock, context
from crm_shared.context import Principal
from crm_shared.errors import BadRequest, NotFound, PreconditionFailed, Unauthorized
from crm_shared.events.commerce_events import CartAbandoned
from crm_shared.ids import new_id
from crm_shared.unit_of_work import UnitOfWork
from crm_shared.validation import validate

INGEST_PATH = "/orders/ingest/{key}"


def shown(item: ConnectorItem, secret: str | None = None) -> dict[str, Any]:
    return ConnectorOut(**{**item.doc, "connector_key": item.connector_key,
                           "enabled": item.enabled, "secret": secret,
                           "ingest_path": INGEST_PATH.format(key=item.connector_key),
                           "created_at": item.created_at, "updated_at": item.updated_at,
                           "version": item.version or 0}).model_dump(mode="json")


def create_connector(tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A new connector; its secret is in this answer only."""
    key, secret = f"ck_{secrets.token_urlsafe(24)}", f"whsec_{secrets.token_urlsafe(32)}"
    mapping = fields.get("mapping") or Mapping().model_dump(mode="json")
    doc = {"name": fields["name"], "source": fields.get("source", "shop"), "mapping": mapping}
    item = repository.new_connector(tenant_id, key, secret, doc, clock.iso())
    item.enabled = fields.get("enabled", True) is not False
    item.save(condition=ConnectorItem.PK.does_not_exist())
    return shown(item, secret)


def connector(tenant_id: str, key: str, consistent: bool = False) -> ConnectorItem:
    """The tenant's connector (one GetItem); another tenant's key is a 404."""
    item = repository.connector(key, consistent) if key.startswith("ck_") else None
    if item is None or item.tenant_id != tenant_id:
        raise NotFound("no such connector")
    return item


def update_connector(tenant_id: str, key: str, fields: dict[str, Any],
                     if_match: int | None) -> dict[str, Any]:
    item = connector(tenant_id, key, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the connector changed since you read it")
    if fields.get("name"):
        item.doc = {**item.doc, "name": fields["name"]}
    if fields.get("mapping"):
        item.doc = {**item.doc, "mapping": fields["mapping"]}
    if fields.get("enabled") is not None:
        item.enabled = bool(fields["enabled"])
    item.updated_at = clock.iso()
    item.save()
    return shown(item)


def delete_connector(tenant_id: str, key: str) -> None:
    connector(tenant_id, key, consistent=True).delete()


def settings(tenant_id: str) -> dict[str, Any]:
    return IntakeSettings(**repository.settings(tenant_id)).model_dump()


def put_settings(tenant_id: str, values: dict[str, Any]) -> dict[str, Any]:
    repository.put_settings(tenant_id, values)
    return settings(tenant_id)


# -- the webhook ------------------------------------------------------------------------

def ingest(key: str, raw: bytes, signature: str | None) -> dict[str, Any]:
    """Verify, map and upsert one shop payload. A bad signature stores nothing; a replayed
    payload finds its order or cart unchanged and changes nothing."""
    item = repository.connector(key) if key.startswith("ck_") else None
    if item is None or not item.enabled or not domain.signature_ok(item.secret, raw, signature):
        raise Unauthorized("the signature does not match this connector", code="bad_signature")
    principal = Principal(kind="connector", tenant_id=item.tenant_id, subject=key)
    context.current().principal = principal
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest.for_field("body", "is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest.for_field("body", "must be a JSON object")
    mapping = item.doc["mapping"]
    if domain.kind_of(payload, mapping) == "cart":
        return _cart(item, domain.cart_doc(payload, mapping))
    body, cart_ref = domain.order_body(payload, mapping, item.doc.get("source", "shop"))
    fields = validate(OrderCreate, body).model_dump(mode="json", exclude_none=True)
    cart = repository.cart(item.tenant_id, key, cart_ref) if cart_ref else None

    def close_cart(uow: UnitOfWork) -> None:
        if cart is not None and cart.doc.get("status") == "open":
            cart.doc = {**cart.doc, "status": "converted"}
            cart.updated_at = clock.iso()
            repository.schedule_abandonment(cart, None)
            uow.put(cart, label="version")

    order, created = orders.create(principal, item.tenant_id, fields, upsert=True,
                                   also=close_cart)
    return {"kind": "order", "id": order["order_id"], "created": created,
            "version": order["version"]}


def _cart(connector_item: ConnectorItem, doc: dict[str, Any]) -> dict[str, Any]:
    tenant_id, key = connector_item.tenant_id, connector_item.connector_key
    item = repository.cart(tenant_id, key, doc["external_id"])
    creating = item is None
    if item is None:
        item = repository.new_cart(tenant_id, key, doc["external_id"], new_id("crt"),
                                   clock.iso())
    before = dict(item.doc)
    after = {**before, **doc, "connector_key": key}
    after["status"] = before.get("status") if before.get("status") == "converted" else "open"
    if after == before:
        return {"kind": "cart", "id": item.cart_id, "created": False,
                "version": item.version or 0}
    hours = int(settings(tenant_id)["cart_abandon_hours"])
    item.doc, item.updated_at = after, clock.iso()
    repository.index_cart(item)
    repository.schedule_abandonment(
        item, clock.now() + timedelta(hours=hours) if after["status"] == "open" else None)
    item.save(condition=CartItem.PK.does_not_exist() if creating else None)
    return {"kind": "cart", "id": item.cart_id, "created": creating,
            "version": item.version or 0}


def abandon_due(limit: int = 100) -> int:
    """Scheduled: each open cart whose window passed without an order is announced once."""
    sent = 0
    for item in repository.due_carts(limit):
        uow = repository.unit_of_work()
        repository.schedule_abandonment(item, None)
        if item.doc.get("status") == "open":
            item.doc = {**item.doc, "status": "abandoned", "abandoned_at": clock.iso()}
            uow.emit(CartAbandoned(
                cart_id=item.cart_id, connector_key=str(item.doc.get("connector_key")),
                external_id=str(item.doc.get("external_id")),
                contact_id=item.doc.get("contact_id"), email=item.doc.get("email"),
                cart=item.doc), item.tenant_id, actor="system:abandon_carts")
        uow.put(item, label="version")
        try:
            uow.commit()
        except PreconditionFailed:
            continue  # the cart changed meanwhile: it was rescheduled or converted
        sent += 1 if item.doc.get("status") == "abandoned" else 0
    return sent
