"""Orders: idempotent on (source, external_id), forward-only status with history and one
event per status, totals that add up, lists on indexes, bad input naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.ids import new_id
from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.makers.sales_commerce import order_body
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def place(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/orders", order_body(**fields), token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def test_create_prices_lines_and_reads_back(sales: ApiClient, tenant: Tenant) -> None:
    contact = new_id("con")
    order = place(sales, tenant, contact_id=contact, shipping={
        "carrier": "UPS", "name": "Ada Lovelace", "address": {"city": "London", "country": "GB"}})
    assert order["order_id"].startswith("ord_") and order["status"] == "placed"
    assert [line["total"] for line in order["lines"]] == [
        {"amount": 2000, "currency": "USD"}, {"amount": 500, "currency": "USD"}]
    assert order["shipping"]["carrier"] == "UPS" and order["version"] == 1
    read = sales.get(f"/orders/{order['order_id']}", token=tenant.admin_token)
    assert read.json == order and read.header("ETag") == '"1"'


def test_a_repeated_external_id_returns_the_order_and_upsert_applies(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    body = order_body(external_id=unique("shop-"))
    first = sales.post("/orders", body, token=tenant.admin_token)
    again = sales.post("/orders", {**body, "status": "paid"}, token=tenant.admin_token)
    assert first.status == 201 and again.status == 200
    assert again.json == first.json, "a repeat without upsert changes nothing"
    paid = sales.post("/orders?upsert=true", {**body, "status": "paid"},
                      token=tenant.admin_token)
    assert paid.status == 200 and paid.json["order_id"] == first.json["order_id"]
    assert paid.json["status"] == "paid" and paid.json["version"] == 2
    replay = sales.post("/orders?upsert=true", {**body, "status": "paid"},
                        token=tenant.admin_token)
    assert replay.json == paid.json, "the same upsert twice is one change"
    order_id = first.json["order_id"]
    placed = [e for e in outbox(session, tenant.tenant_id, "OrderPlaced")
              if e["order_id"] == order_id]
    paid_events = [e for e in outbox(session, tenant.tenant_id, "OrderPaid")
                   if e["order_id"] == order_id]
    assert len(placed) == 1 and len(paid_events) == 1
    assert paid_events[0]["order"] == paid.json
    assert sales.get("/orders?upsert=maybe", token=tenant.admin_token).status == 200
    assert sales.post("/orders?upsert=maybe", body, token=tenant.admin_token).json[
        "errors"][0]["field"] == "upsert"


def test_a_repeat_in_another_container_finds_its_order_by_the_claim(
        sales: ApiClient, tenant: Tenant) -> None:
    """A create writes its claim without reading it first; a container that never saw the
    claim learns it from the failed condition (or, for a changed body, from a read)."""
    load_app("sales")
    from chalicelib.orders import repository

    body = order_body(external_id=unique("cold-"))
    first = sales.post("/orders", body, token=tenant.admin_token)
    assert first.status == 201, first.json
    for changed in (body, {**body, "totals": {"amount": 1, "currency": "USD"}}):
        repository.forget_claims()
        again = sales.post("/orders", changed, token=tenant.admin_token)
        assert again.status == 200 and again.json == first.json, again.json
    repository.forget_claims()
    paid = sales.post("/orders?upsert=true", {**body, "status": "paid"},
                      token=tenant.admin_token)
    assert paid.status == 200 and paid.json["version"] == 2, paid.json
    listed = sales.get(f"/orders?contact_id={body['contact_id']}", token=tenant.admin_token)
    assert [o["order_id"] for o in listed.json["items"]] == [first.json["order_id"]]


def test_status_moves_forward_with_history_and_an_event_per_step(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    order = place(sales, tenant)
    path = f"/orders/{order['order_id']}"
    delivered = sales.patch(path, {"status": "delivered"}, token=tenant.admin_token)
    assert delivered.status == 200 and delivered.json["status"] == "delivered"
    for kind in ("OrderPaid", "OrderShipped", "OrderDelivered"):
        [event] = [e for e in outbox(session, tenant.tenant_id, kind)
                   if e["order_id"] == order["order_id"]]
        assert event["order"]["version"] == 2 and event["contact_id"] == order["contact_id"]
    back = sales.patch(path, {"status": "placed"}, token=tenant.admin_token)
    assert back.status == 409 and back.json["errors"][0]["field"] == "status"
    cancel = sales.patch(path, {"status": "cancelled"}, token=tenant.admin_token)
    assert cancel.status == 409 and cancel.json["errors"][0]["field"] == "status"
    refunded = sales.patch(path, {"status": "refunded"}, token=tenant.admin_token)
    assert refunded.status == 200
    again = sales.patch(path, {"status": "paid"}, token=tenant.admin_token)
    assert again.status == 409, "refunded is final"
    history = sales.get(f"{path}/history", token=tenant.admin_token).json["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "placed"), ("placed", "paid"), ("paid", "shipped"), ("shipped", "delivered"),
        ("delivered", "refunded")]
    assert all(h["actor"] == f"user:{tenant.admin_user_id}" for h in history)


def test_lines_are_final_once_paid_and_if_match_guards(sales: ApiClient,
                                                       tenant: Tenant) -> None:
    order = place(sales, tenant)
    path = f"/orders/{order['order_id']}"
    lines = [{"sku": "MUG", "quantity": 1, "unit_price": {"amount": 700, "currency": "USD"}}]
    changed = sales.patch(path, {"lines": lines, "totals": {"amount": 700, "currency": "USD"}},
                          token=tenant.admin_token)
    assert changed.status == 200 and changed.json["totals"]["amount"] == 700
    assert changed.json["lines"][0]["name"] == "MUG", "a sku-only line is named by its sku"
    stale = sales.patch(path, {"status": "paid"}, token=tenant.admin_token,
                        headers={"If-Match": '"1"'})
    assert stale.status == 412
    sales.patch(path, {"status": "paid"}, token=tenant.admin_token, headers={"If-Match": '"2"'})
    final = sales.patch(path, {"lines": lines + lines,
                               "totals": {"amount": 1400, "currency": "USD"}},
                        token=tenant.admin_token)
    assert final.status == 409 and final.json["errors"][0]["field"] == "lines"
    shipped = sales.patch(path, {"shipping": {"tracking_number": "1Z9", "carrier": "DHL",
                                              "shipped_at": "2030-01-02T10:00:00+01:00"}},
                          token=tenant.admin_token)
    assert shipped.json["shipping"]["shipped_at"] == "2030-01-02T09:00:00.000Z"


def test_products_are_checked_and_named(sales: ApiClient, tenant: Tenant) -> None:
    product = sales.post("/products", {"name": unique("Kettle "), "price": {
        "amount": 3000, "currency": "USD"}}, token=tenant.admin_token).json
    order = place(sales, tenant, lines=[{"product_id": product["product_id"], "quantity": 1,
                                         "unit_price": {"amount": 3000, "currency": "USD"}}],
                  totals={"amount": 3000, "currency": "USD"})
    assert order["lines"][0]["name"] == product["name"]
    missing = sales.post("/orders", order_body(lines=[{
        "product_id": "prd_" + "0" * 26, "quantity": 1,
        "unit_price": {"amount": 3000, "currency": "USD"}}],
        totals={"amount": 3000, "currency": "USD"}), token=tenant.admin_token)
    assert missing.status == 422 and missing.json["errors"][0]["field"] == "lines[0].product_id"


LINE = {"sku": "A", "quantity": 1, "unit_price": {"amount": 100, "currency": "USD"}}


@pytest.mark.parametrize("fields, field", [
    ({"totals": {"amount": 999, "currency": "USD"}}, "totals"),
    ({"totals": {"amount": 2500, "currency": "XYZ"}}, "totals.currency"),
    ({"lines": [{**LINE, "unit_price": {"amount": 100, "currency": "EUR"}}],
      "totals": {"amount": 100, "currency": "USD"}}, "lines[0].unit_price.currency"),
    ({"lines": [{**LINE, "discount": {"amount": 500, "currency": "USD"}}],
      "totals": {"amount": 0, "currency": "USD"}}, "lines[0].discount"),
    ({"lines": [{"quantity": 1, "unit_price": {"amount": 1, "currency": "USD"}}]}, "lines[0]"),
    ({"lines": [{**LINE, "quantity": 0}]}, "lines[0].quantity"),
    ({"lines": []}, "lines"),
    ({"source": "fax"}, "source"),
    ({"status": "lost"}, "status"),
    ({"contact_id": "bob"}, "contact_id"),
    ({"external_id": "has space"}, "external_id"),
    ({"placed_at": "yesterday"}, "placed_at"),
    ({"colour": "red"}, "colour"),
])
def test_bad_orders_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                             fields: dict[str, Any], field: str) -> None:
    reply = sales.post("/orders", order_body(**fields), token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]
    assert reply.header("Content-Type") == "application/problem+json"


def test_lists_by_contact_company_and_status_with_cursors(sales: ApiClient,
                                                          tenant: Tenant) -> None:
    contact, company = new_id("con"), new_id("cmp")
    made = [place(sales, tenant, contact_id=contact, company_id=company,
                  placed_at=f"2031-0{n}-01T00:00:00Z") for n in (1, 2, 3)]
    page = sales.get(f"/orders?contact_id={contact}&limit=2", token=tenant.admin_token).json
    assert [o["order_id"] for o in page["items"]] == [made[2]["order_id"], made[1]["order_id"]]
    rest = sales.get(f"/orders?contact_id={contact}&limit=2&cursor={page['next_cursor']}",
                     token=tenant.admin_token).json
    assert [o["order_id"] for o in rest["items"]] == [made[0]["order_id"]]
    by_company = sales.get(f"/orders?company_id={company}", token=tenant.admin_token).json
    assert len(by_company["items"]) == 3
    sales.patch(f"/orders/{made[0]['order_id']}", {"status": "cancelled"},
                token=tenant.admin_token)
    cancelled = sales.get("/orders?status=cancelled&limit=100", token=tenant.admin_token).json
    assert made[0]["order_id"] in [o["order_id"] for o in cancelled["items"]]
    bad = sales.get(f"/orders?contact_id={contact}&cursor={page['next_cursor']}x",
                    token=tenant.admin_token)
    assert bad.status == 400 and bad.json["errors"][0]["field"] == "cursor"
    assert sales.get("/orders?status=lost", token=tenant.admin_token).json["errors"][0][
        "field"] == "status"
    assert sales.get("/orders?contact_id=x", token=tenant.admin_token).status == 400
    assert sales.get(f"/orders?contact_id={contact}&status=paid",
                     token=tenant.admin_token).status == 400


def test_roles_and_tenants(sales: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    order = place(sales, tenant)
    viewer = tenants.user(tenant, "viewer")
    assert sales.get(f"/orders/{order['order_id']}", token=viewer).status == 200
    assert sales.post("/orders", order_body(), token=viewer).status == 403
    assert sales.patch(f"/orders/{order['order_id']}", {"status": "paid"},
                       token=viewer).status == 403
    other = tenants.create("Other")
    for reply in (sales.get(f"/orders/{order['order_id']}", token=other.admin_token),
                  sales.get(f"/orders/{order['order_id']}/history", token=other.admin_token),
                  sales.patch(f"/orders/{order['order_id']}", {"status": "paid"},
                              token=other.admin_token)):
        assert reply.status == 404
    listed = sales.get(f"/orders?contact_id={order['contact_id']}", token=other.admin_token)
    assert listed.json["items"] == []
    # the same external id in another tenant is another order
    body = order_body(external_id="shared-1")
    mine = sales.post("/orders", body, token=tenant.admin_token).json
    theirs = sales.post("/orders", body, token=other.admin_token)
    assert theirs.status == 201 and theirs.json["order_id"] != mine["order_id"]
    assert sales.get("/orders/ord_nope", token=tenant.admin_token).status == 404


# -- consumers: erasure and merges from the contacts service ------------------------------

def deliver(session: Any, tenant_id: str, event: Any, times: int = 1) -> None:
    """Put a contacts event on the bus `times` times (the same event id each time)."""
    from crm_shared.events.envelope import envelope_for
    from tests.support.events import put_bus_event

    envelope = envelope_for(event, tenant_id, "system:contacts").model_dump(mode="json")
    for _ in range(times):
        put_bus_event(session, "crm.contacts", type(event).detail_type(), envelope)


def test_erasure_strips_the_person_and_keeps_amounts(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    from crm_shared.events.contacts_events import ContactErased

    contact = new_id("con")
    order = place(sales, tenant, contact_id=contact, customer={
        "name": "Ada", "email": "ada@example.com"}, shipping={
        "carrier": "UPS", "tracking_number": "1Z", "name": "Ada Lovelace",
        "email": "ada@example.com", "phone": "+441234", "address": {"city": "London"}})
    settle(runtimes)
    deliver(session, tenant.tenant_id, ContactErased(contact_id=contact,
                                                     erased_at="2031-01-01T00:00:00Z"), 2)
    settle(runtimes)
    after = sales.get(f"/orders/{order['order_id']}", token=tenant.admin_token).json
    assert after["customer"] == {}
    assert after["shipping"] == {"carrier": "UPS", "tracking_number": "1Z"}
    assert after["totals"] == order["totals"] and after["lines"] == order["lines"]
    assert after["version"] == 2, "erased once though delivered twice"


def test_merge_repoints_orders_contracts_and_points(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    from crm_shared.events.contacts_events import ContactMerged

    loser, survivor = new_id("con"), new_id("con")
    lost = place(sales, tenant, contact_id=loser, status="paid")
    place(sales, tenant, contact_id=survivor, status="paid")
    contract = sales.post("/contracts", {
        "name": "Plan", "company_id": new_id("cmp"), "start_date": "2031-01-01",
        "end_date": "2031-12-31", "value": {"amount": 100, "currency": "USD"},
        "contact_ids": [loser, survivor]}, token=tenant.admin_token).json
    sales.post("/loyalty/members", {"contact_id": loser}, token=tenant.admin_token)
    sales.post(f"/loyalty/members/{loser}/adjust", {"points": 40, "reason": "welcome"},
               token=tenant.admin_token)
    settle(runtimes)
    deliver(session, tenant.tenant_id, ContactMerged(
        contact_id=survivor, merged_ids=[loser], contact={"contact_id": survivor}), 2)
    settle(runtimes)
    moved = sales.get(f"/orders/{lost['order_id']}", token=tenant.admin_token).json
    assert moved["contact_id"] == survivor
    mine = sales.get(f"/orders?contact_id={survivor}", token=tenant.admin_token).json["items"]
    assert len(mine) == 2
    assert sales.get(f"/orders?contact_id={loser}", token=tenant.admin_token).json[
        "items"] == []
    value = sales.get(f"/orders/customers/{survivor}/value", token=tenant.admin_token).json
    assert value["order_count"] == 2 and value["lifetime_value"]["amount"] == 5000
    assert sales.get(f"/orders/customers/{loser}/value", token=tenant.admin_token).status \
        == 404
    repointed = sales.get(f"/contracts/{contract['contract_id']}",
                          token=tenant.admin_token).json
    assert repointed["contact_ids"] == [survivor]
    member = sales.get(f"/loyalty/members/{survivor}", token=tenant.admin_token).json
    assert member["balance"] == 40 and member["history"][0]["kind"] == "merged"
    assert sales.get(f"/loyalty/members/{loser}", token=tenant.admin_token).status == 404
    # a refund after the merge comes off the survivor's value
    sales.patch(f"/orders/{lost['order_id']}", {"status": "refunded"},
                token=tenant.admin_token)
    settle(runtimes)
    value = sales.get(f"/orders/customers/{survivor}/value", token=tenant.admin_token).json
    assert value["order_count"] == 1 and value["lifetime_value"]["amount"] == 2500


def test_a_merge_moves_every_order_once_however_many(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    """More orders than one transaction holds move in chunks: all of them, each once
    (the event delivered twice), their value with them; an erasure strips them all."""
    from crm_shared.events.contacts_events import ContactErased, ContactMerged

    loser, survivor = new_id("con"), new_id("con")
    placed = [place(sales, tenant, contact_id=loser, status="paid",
                    customer={"name": "Ada", "email": "ada@example.com"})["order_id"]
              for _ in range(40)]
    settle(runtimes)
    deliver(session, tenant.tenant_id, ContactMerged(
        contact_id=survivor, merged_ids=[loser], contact={"contact_id": survivor}), 2)
    settle(runtimes)

    def all_of(contact_id: str) -> list[dict[str, Any]]:
        found, cursor = [], ""
        while True:
            page = sales.get(f"/orders?contact_id={contact_id}&limit=100{cursor}",
                             token=tenant.admin_token).json
            found += page["items"]
            if not page["next_cursor"]:
                return found
            cursor = f"&cursor={page['next_cursor']}"

    moved = all_of(survivor)
    assert sorted(o["order_id"] for o in moved) == sorted(placed)
    assert {o["version"] for o in moved} == {2}, "each order moved once"
    assert all_of(loser) == []
    value = sales.get(f"/orders/customers/{survivor}/value", token=tenant.admin_token).json
    assert value["order_count"] == 40 and value["lifetime_value"]["amount"] == 40 * 2500
    # a refund after the merge comes off the survivor's value: its contribution moved too
    sales.patch(f"/orders/{placed[0]}", {"status": "refunded"}, token=tenant.admin_token)
    settle(runtimes)
    value = sales.get(f"/orders/customers/{survivor}/value", token=tenant.admin_token).json
    assert value["order_count"] == 39

    deliver(session, tenant.tenant_id, ContactErased(contact_id=survivor,
                                                     erased_at="2031-01-01T00:00:00Z"), 2)
    settle(runtimes)
    erased = all_of(survivor)
    assert len(erased) == 40 and all(o["customer"] == {} for o in erased)
    versions = {o["order_id"]: o["version"] for o in erased}
    assert versions.pop(placed[0]) == 4, "moved, refunded, erased"
    assert set(versions.values()) == {3}, "each order erased once"
