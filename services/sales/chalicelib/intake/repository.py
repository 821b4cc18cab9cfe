"""The only code that knows intake keys.

- a connector `T#_system#ORDER_CONNECTOR#<key>` / `CONNECTOR`: the public ingest route
  knows only the key, so the item sits under the reserved tenant and names its tenant;
  the tenant lists its own on GSI1 (`T#<t>#ORDER_CONNECTORS`);
- a cart `T#<t>#CART#<connector>#<external_id>` / `CART`, on the sparse DUE index while
  open (job `abandon_carts`), found by its person on GSI1 (`T#<t>#CARTS#EMAIL#<digest of
  the address>`) and GSI2 (`T#<t>#CARTS#CONTACT#<con>`), both `<created_at>#<cart id>`;
- a contact's cart owner record `T#<t>#CART_OWNER#<con>` / `OWNER` (address digests);
- settings `T#<t>#INTAKE` / `SETTINGS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import SERVICE
from chalicelib.intake import domain
from chalicelib.intake.models import CartItem, CartOwnerItem, ConnectorItem, IntakeSettingsItem
from crm_shared.dynamo import SYSTEM_TENANT, tenant_key
from crm_shared.pagination import query_page
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

ABANDON_JOB = "abandon_carts"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def _connector_pk(key: str) -> str:
    return tenant_key(SYSTEM_TENANT, "ORDER_CONNECTOR", key)


def new_connector(tenant_id: str, key: str, secret: str, doc: dict[str, Any],
                  now: str) -> ConnectorItem:
    return ConnectorItem(PK=_connector_pk(key), SK="CONNECTOR", connector_key=key,
                         tenant_id=tenant_id, secret=secret, doc=doc, created_at=now,
                         updated_at=now, GSI1PK=tenant_key(tenant_id, "ORDER_CONNECTORS"),
                         GSI1SK=f"{now}#{key}")


def connector(key: str, consistent: bool = False) -> ConnectorItem | None:
    try:
        return ConnectorItem.get(_connector_pk(key), "CONNECTOR", consistent_read=consistent)
    except ConnectorItem.DoesNotExist:
        return None


def connectors(tenant_id: str, limit: int,
               cursor: str | None) -> tuple[list[ConnectorItem], str | None]:
    pk = tenant_key(tenant_id, "ORDER_CONNECTORS")
    return query_page(lambda **kw: ConnectorItem.gsi1.query(pk, **kw), f"{pk}:connectors",
                      cursor, limit)


def cart_keys(tenant_id: str, connector_key: str, external_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "CART", connector_key, external_id), "CART"


def cart(tenant_id: str, connector_key: str, external_id: str) -> CartItem | None:
    try:
        return CartItem.get(*cart_keys(tenant_id, connector_key, external_id),
                            consistent_read=True)
    except CartItem.DoesNotExist:
        return None


def new_cart(tenant_id: str, connector_key: str, external_id: str, cart_id: str,
             now: str) -> CartItem:
    pk, sk = cart_keys(tenant_id, connector_key, external_id)
    return CartItem(PK=pk, SK=sk, cart_id=cart_id, tenant_id=tenant_id, doc={},
                    created_at=now, updated_at=now)


def index_cart(item: CartItem) -> None:
    """Place the cart on its person's lists: by address digest and by contact id."""
    doc, tenant_id = item.doc, item.tenant_id
    sort = f"{item.created_at}#{item.cart_id}"
    email, contact_id = doc.get("email"), doc.get("contact_id")
    item.GSI1PK = tenant_key(tenant_id, "CARTS", "EMAIL", domain.email_digest(
        tenant_id, str(email))) if email else None
    item.GSI2PK = tenant_key(tenant_id, "CARTS", "CONTACT", str(contact_id)) \
        if contact_id else None
    item.GSI1SK = sort if email else None
    item.GSI2SK = sort if contact_id else None


def carts_of(tenant_id: str, digests: list[str], contact_ids: list[str]) -> list[CartItem]:
    """Every cart with one of the address digests or contact ids: a Query per list."""
    found: dict[str, CartItem] = {}
    for digest in dict.fromkeys(digests):
        for item in CartItem.gsi1.query(tenant_key(tenant_id, "CARTS", "EMAIL", digest)):
            found[item.PK] = item
    for contact_id in dict.fromkeys(contact_ids):
        for item in CartItem.gsi2.query(tenant_key(tenant_id, "CARTS", "CONTACT", contact_id)):
            found[item.PK] = item
    return list(found.values())


def delete_carts(items: list[CartItem]) -> None:
    """Idempotent: a retry deletes what is left (BatchWriteItem, 25 a request)."""
    with CartItem.batch_write() as batch:
        for item in items:
            batch.delete(item)


def owner_keys(tenant_id: str, contact_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "CART_OWNER", contact_id), "OWNER"


def owner(tenant_id: str, contact_id: str) -> CartOwnerItem:
    """The contact's cart owner record, read consistently (a new one if none)."""
    pk, sk = owner_keys(tenant_id, contact_id)
    try:
        return CartOwnerItem.get(pk, sk, consistent_read=True)
    except CartOwnerItem.DoesNotExist:
        return CartOwnerItem(PK=pk, SK=sk, contact_id=contact_id, tenant_id=tenant_id)


def schedule_abandonment(item: CartItem, due_at: datetime | None) -> None:
    due = due_fields(ABANDON_JOB, due_at, item.tenant_id, item.cart_id) if due_at else {}
    item.DUEPK, item.DUESK = due.get("DUEPK"), due.get("DUESK")


def due_carts(limit: int = 100) -> list[CartItem]:
    return due_items(CartItem, ABANDON_JOB, limit)


def settings(tenant_id: str) -> dict[str, Any]:
    try:
        return dict(IntakeSettingsItem.get(tenant_key(tenant_id, "INTAKE"), "SETTINGS").settings)
    except IntakeSettingsItem.DoesNotExist:
        return {}


def put_settings(tenant_id: str, values: dict[str, Any]) -> None:
    IntakeSettingsItem(PK=tenant_key(tenant_id, "INTAKE"), SK="SETTINGS",
                       settings=values).save()
