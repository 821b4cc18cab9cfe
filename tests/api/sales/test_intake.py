"""E-commerce intake: connectors with a secret shown once, signed webhooks mapped into
orders and carts (bad signatures store nothing, replays change nothing), and carts
announced once as abandoned after the tenant's window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.ids import new_id
from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Reply, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="module")
def shop(sales: ApiClient, tenant: Tenant) -> dict[str, Any]:
    reply = sales.post("/orders/connectors", {"name": "Webshop"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def sign(secret: str, raw: bytes) -> str:
    load_app("sales")
    from chalicelib.intake.domain import sign as signed

    return signed(secret, raw)


def send(sales: ApiClient, connector: dict[str, Any], payload: dict[str, Any],
         secret: str | None = None) -> Reply:
    raw = json.dumps(payload).encode()
    return sales.post(connector["ingest_path"], raw=raw, headers={
        "X-Signature": sign(secret or connector["secret"], raw)})


def shop_order(**fields: Any) -> dict[str, Any]:
    return {"type": "order", "id": unique("100"), "status": "paid", "currency": "usd",
            "total": "27.50", "email": "ada@example.com", "created_at": "2031-05-01T10:00:00Z",
            "line_items": [{"sku": "MUG", "name": "Mug", "quantity": 2, "price": "10.00"},
                           {"sku": "TEA", "name": "Tea", "quantity": 1, "price": "7.50"}],
            **fields}


def test_a_connector_shows_its_secret_once(sales: ApiClient, tenant: Tenant,
                                           shop: dict[str, Any]) -> None:
    assert shop["connector_key"].startswith("ck_") and shop["secret"].startswith("whsec_")
    assert shop["ingest_path"] == f"/orders/ingest/{shop['connector_key']}"
    read = sales.get(f"/orders/connectors/{shop['connector_key']}", token=tenant.admin_token)
    assert read.status == 200 and read.json["secret"] is None
    listed = sales.get("/orders/connectors", token=tenant.admin_token).json["items"]
    assert shop["connector_key"] in [c["connector_key"] for c in listed]
    assert all(c["secret"] is None for c in listed)


def test_a_signed_order_webhook_upserts_and_a_replay_changes_nothing(
        sales: ApiClient, tenant: Tenant, shop: dict[str, Any], session: Any,
        runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    payload = shop_order()
    first = send(sales, shop, payload)
    assert first.status == 200 and first.json["kind"] == "order" and first.json["created"]
    order = sales.get(f"/orders/{first.json['id']}", token=tenant.admin_token).json
    assert order["source"] == "shop" and order["external_id"] == payload["id"]
    assert order["status"] == "paid" and order["totals"] == {"amount": 2750, "currency": "USD"}
    assert order["customer"] == {"email": "ada@example.com"}
    replay = send(sales, shop, payload)
    assert replay.status == 200 and not replay.json["created"]
    assert replay.json["version"] == order["version"]
    assert sales.get(f"/orders/{first.json['id']}", token=tenant.admin_token).json == order
    paid = [e for e in outbox(session, tenant.tenant_id, "OrderPaid")
            if e["order_id"] == order["order_id"]]
    assert len(paid) == 1, "the replay emitted nothing"
    shipped = send(sales, shop, {**payload, "status": "fulfilled"})
    assert shipped.json["version"] == order["version"] + 1
    assert sales.get(f"/orders/{first.json['id']}", token=tenant.admin_token).json[
        "status"] == "shipped"


def test_bad_signatures_are_401_and_store_nothing(sales: ApiClient, tenant: Tenant,
                                                  tenants: Tenants,
                                                  shop: dict[str, Any]) -> None:
    payload = shop_order()
    raw = json.dumps(payload).encode()
    for headers in ({}, {"X-Signature": "sha256=00"}, {"X-Signature": "md5=x"},
                    {"X-Signature": sign("whsec_wrong", raw)}):
        reply = sales.post(shop["ingest_path"], raw=raw, headers=headers)
        assert reply.status == 401 and reply.header("Content-Type") == "application/problem+json"
    tampered = sales.post(shop["ingest_path"], raw=raw.replace(b"27.50", b"0.50"),
                          headers={"X-Signature": sign(shop["secret"], raw)})
    assert tampered.status == 401
    unknown = sales.post("/orders/ingest/ck_nope", raw=raw,
                         headers={"X-Signature": sign(shop["secret"], raw)})
    assert unknown.status == 401
    # another tenant's secret never opens this tenant's connector
    other = tenants.create("Other")
    theirs = sales.post("/orders/connectors", {"name": "Theirs"}, token=other.admin_token).json
    crossed = sales.post(shop["ingest_path"], raw=raw,
                         headers={"X-Signature": sign(theirs["secret"], raw)})
    assert crossed.status == 401
    mine = sales.get("/orders?limit=100", token=tenant.admin_token).json["items"]
    assert payload["id"] not in [o["external_id"] for o in mine]
    assert sales.get(f"/orders/connectors/{shop['connector_key']}",
                     token=other.admin_token).status == 404


@pytest.mark.parametrize("change, field", [
    ({"total": "99.00"}, "totals"),
    ({"total": "abc"}, "total"),
    ({"currency": "ZZZ"}, "totals.currency"),
    ({"status": "lost"}, "status"),
    ({"line_items": "none"}, "line_items"),
    ({"id": None}, "id"),
])
def test_payloads_that_do_not_map_are_422_naming_the_field(
        sales: ApiClient, shop: dict[str, Any], change: dict[str, Any], field: str) -> None:
    reply = send(sales, shop, shop_order(**change))
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_mappings_read_other_shapes(sales: ApiClient, tenant: Tenant) -> None:
    contact = new_id("con")
    mapped = sales.post("/orders/connectors", {"name": "ERP", "source": "erp", "mapping": {
        "kind": "topic", "amounts": "minor", "status_map": {"OK": "paid"},
        "line": {"sku": "code", "quantity": "qty", "unit_price": "unit"},
        "order": {"external_id": "ref", "status": "state", "total": "sum.value",
                  "currency": "sum.currency", "lines": "rows", "contact_id": "crm_id"}}},
        token=tenant.admin_token).json
    reply = send(sales, mapped, {"topic": "order", "ref": "E-1", "state": "OK",
                                 "crm_id": contact, "sum": {"value": 300, "currency": "EUR"},
                                 "rows": [{"code": "X", "qty": 3, "unit": 100}]})
    assert reply.status == 200, reply.json
    order = sales.get(f"/orders/{reply.json['id']}", token=tenant.admin_token).json
    assert order["source"] == "erp" and order["contact_id"] == contact
    assert order["lines"][0]["name"] == "X"
    bad = sales.post("/orders/connectors", {"name": "x", "mapping": {"amounts": "cents"}},
                     token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "mapping.amounts"
    off = sales.patch(f"/orders/connectors/{mapped['connector_key']}", {"enabled": False},
                      token=tenant.admin_token)
    assert off.status == 200 and off.json["enabled"] is False
    refused = send(sales, mapped, {"topic": "order", "ref": "E-2"})
    assert refused.status == 401


def test_carts_left_without_an_order_are_announced_once(
        sales: ApiClient, tenant: Tenant, shop: dict[str, Any], session: Any,
        runtimes: dict[str, Any], frozen_clock: None) -> None:
    token = tenant.admin_token
    assert sales.get("/orders/settings", token=token).json == {"cart_abandon_hours": 24}
    put = sales.request("PUT", "/orders/settings", {"cart_abandon_hours": 2}, token=token)
    assert put.status == 200 and put.json["cart_abandon_hours"] == 2
    bad = sales.request("PUT", "/orders/settings", {"cart_abandon_hours": 0}, token=token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "cart_abandon_hours"
    settle(runtimes)
    left = {"type": "cart", "id": unique("cart-"), "currency": "USD", "total": "10.00",
            "email": "bob@example.com", "line_items": [
                {"sku": "MUG", "name": "Mug", "quantity": 1, "price": "10.00"}]}
    bought = {**left, "id": unique("cart-")}
    assert send(sales, shop, left).json["kind"] == "cart"
    first = send(sales, shop, bought).json
    assert send(sales, shop, bought).json["version"] == first["version"], "a replay is a no-op"
    order = send(sales, shop, shop_order(cart_id=bought["id"]))
    assert order.status == 200

    def abandoned() -> list[dict[str, Any]]:
        return [e for e in outbox(session, tenant.tenant_id, "CartAbandoned")
                if e["external_id"] in {left["id"], bought["id"]}]

    runtimes["sales"].tick()
    assert abandoned() == [], "not yet"
    clock.advance(2 * 3600 + 60)
    runtimes["sales"].tick()
    runtimes["sales"].tick()
    [event] = abandoned()
    assert event["external_id"] == left["id"] and event["email"] == "bob@example.com"
    assert event["connector_key"] == shop["connector_key"]


def test_connector_roles(sales: ApiClient, tenants: Tenants, tenant: Tenant,
                         shop: dict[str, Any]) -> None:
    manager = tenants.user(tenant, "manager")
    assert sales.get("/orders/connectors", token=manager).status == 200
    assert sales.post("/orders/connectors", {"name": "x"}, token=manager).status == 403
    rep = tenants.user(tenant, "sales_rep")
    assert sales.get(f"/orders/connectors/{shop['connector_key']}", token=rep).status == 403
    assert sales.post("/orders/connectors", {"name": ""},
                      token=tenant.admin_token).json["errors"][0]["field"] == "name"


def test_erasure_deletes_the_persons_carts_found_by_address_or_contact(
        sales: ApiClient, tenant: Tenant, shop: dict[str, Any], session: Any,
        runtimes: dict[str, Any]) -> None:
    """Carts by any address the contact had (created, updated, or a merged contact's) and
    carts naming the contact (or a merged one) by id go; another shopper's cart stays."""
    from crm_shared.events.contacts_events import (
        ContactCreated,
        ContactErased,
        ContactMerged,
        ContactUpdated,
    )
    from tests.api.sales.test_orders import deliver

    person, merged = new_id("con"), new_id("con")
    first, second, third = (unique(f"{n}-ada-") + "@example.com"
                            for n in ("first", "second", "merged"))
    by_contact = sales.post("/orders/connectors", {"name": "By contact", "mapping": {
        "cart": {"contact_id": "crm_id"}}}, token=tenant.admin_token).json

    def contact(contact_id: str, version: int, *emails: str) -> dict[str, Any]:
        return {"contact_id": contact_id, "version": version,
                "emails": [{"address": e} for e in emails]}

    deliver(session, tenant.tenant_id, ContactCreated(
        contact_id=person, contact=contact(person, 1, first)))
    deliver(session, tenant.tenant_id, ContactUpdated(
        contact_id=person, contact=contact(person, 2, first, second), changed=["emails"]))
    deliver(session, tenant.tenant_id, ContactCreated(
        contact_id=merged, contact=contact(merged, 1, third)))
    settle(runtimes)
    deliver(session, tenant.tenant_id, ContactMerged(
        contact_id=person, merged_ids=[merged],
        contact=contact(person, 3, first, second)))
    settle(runtimes)

    def cart(email: str | None, **fields: Any) -> dict[str, Any]:
        return {"type": "cart", "id": unique("cart-"), "currency": "USD", "total": "10.00",
                "line_items": [{"sku": "MUG", "quantity": 1, "price": "10.00"}],
                **({"email": email} if email else {}), **fields}

    theirs = [(shop, cart(first.upper())), (shop, cart(second)), (shop, cart(third)),
              (by_contact, cart(None, crm_id=person)), (by_contact, cart(None, crm_id=merged))]
    other = cart("someone.else@example.com")
    for connector, payload in [*theirs, (shop, other)]:
        assert send(sales, connector, payload).status == 200
    load_app("sales")
    from chalicelib.intake import repository

    def stored(connector: dict[str, Any], payload: dict[str, Any]) -> Any:
        return repository.cart(tenant.tenant_id, connector["connector_key"], payload["id"])

    assert all(stored(c, p) is not None for c, p in theirs)
    deliver(session, tenant.tenant_id, ContactErased(
        contact_id=person, erased_at="2031-01-01T00:00:00Z"), 2)
    settle(runtimes)
    assert [p["id"] for c, p in theirs if stored(c, p) is not None] == []
    assert stored(shop, other).doc["email"] == "someone.else@example.com"
    # a late update from before the erasure brings nothing back
    deliver(session, tenant.tenant_id, ContactUpdated(
        contact_id=person, contact=contact(person, 2, first), changed=["emails"]))
    settle(runtimes)
    assert repository.owner(tenant.tenant_id, person).digests == []
