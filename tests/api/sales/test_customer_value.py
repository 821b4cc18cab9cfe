"""Customer value, RFM, stats and recommendations: maintained by the consumer of order
events (once per order version, late events ignored) and read from aggregates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_shared.ids import new_id
from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle
from tests.support.makers.sales_commerce import order_body


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def line(sku: str, amount: int, quantity: int = 1) -> dict[str, Any]:
    return {"sku": sku, "name": sku.title(), "quantity": quantity,
            "unit_price": {"amount": amount, "currency": "USD"}}


def buy(sales: ApiClient, tenant: Tenant, contact: str, *lines: dict[str, Any],
        status: str = "paid", **fields: Any) -> dict[str, Any]:
    total = sum(item["quantity"] * item["unit_price"]["amount"] for item in lines)
    reply = sales.post("/orders", order_body(contact, lines=list(lines), status=status,
                                             totals={"amount": total, "currency": "USD"},
                                             **fields), token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def test_value_counts_paid_orders_and_refunds_take_them_back(
        sales: ApiClient, tenant: Tenant, runtimes: dict[str, Any]) -> None:
    contact, company = new_id("con"), new_id("cmp")
    first = buy(sales, tenant, contact, line("mug", 1000), company_id=company,
                placed_at="2031-01-05T10:00:00Z")
    buy(sales, tenant, contact, line("tea", 3000), placed_at="2031-03-05T10:00:00Z")
    buy(sales, tenant, contact, line("pot", 9999), status="placed")
    path = f"/orders/customers/{contact}/value"
    pending = sales.get(path, token=tenant.admin_token)
    assert pending.status == 200 and pending.json["order_count"] == 0, "not folded in yet"
    settle(runtimes)
    value = sales.get(path, token=tenant.admin_token).json
    assert value["lifetime_value"] == {"amount": 4000, "currency": "USD"}
    assert value["order_count"] == 2 and value["average_order_value"]["amount"] == 2000
    assert value["first_order_at"] == "2031-01-05T10:00:00.000Z"
    assert value["last_order_at"] == "2031-03-05T10:00:00.000Z"
    assert value["items_read"] == 2 and set(value["rfm"]) == {"recency", "frequency",
                                                              "monetary"}
    company_value = sales.get(f"/orders/customers/{company}/value",
                              token=tenant.admin_token).json
    assert company_value["order_count"] == 1 and company_value["rfm"] is None
    sales.patch(f"/orders/{first['order_id']}", {"status": "refunded"},
                token=tenant.admin_token)
    settle(runtimes)
    after = sales.get(path, token=tenant.admin_token).json
    assert after["lifetime_value"]["amount"] == 3000 and after["order_count"] == 1
    assert after["first_order_at"] == value["first_order_at"], "a refund does not un-date"
    assert sales.get(f"/orders/customers/{new_id('con')}/value",
                     token=tenant.admin_token).status == 404
    assert sales.get("/orders/customers/nobody/value", token=tenant.admin_token).status == 404


def test_late_and_repeated_events_change_nothing(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    contact = new_id("con")
    order = buy(sales, tenant, contact, line("mug", 1000), status="placed")
    [placed] = [e for e in outbox(session, tenant.tenant_id, "OrderPlaced", whole=True)
                if e["data"]["order_id"] == order["order_id"]]
    sales.patch(f"/orders/{order['order_id']}", {"status": "paid"}, token=tenant.admin_token)
    settle(runtimes)
    path = f"/orders/customers/{contact}/value"
    paid = sales.get(path, token=tenant.admin_token).json
    assert paid["order_count"] == 1
    # the same OrderPlaced again (a redelivery) and as a new event (late, version 1)
    put_bus_event(session, "crm.sales", "OrderPlaced", placed)
    late = {**placed, "metadata": {**placed["metadata"], "event_id": new_id("evt")}}
    put_bus_event(session, "crm.sales", "OrderPlaced", json.dumps(late))
    settle(runtimes)
    assert sales.get(path, token=tenant.admin_token).json == paid


def test_stats_by_month_source_and_product_read_buckets(
        sales: ApiClient, tenant: Tenant, tenants: Tenants, runtimes: dict[str, Any]) -> None:
    contact = new_id("con")
    buy(sales, tenant, contact, line("kettle", 2000), line("cup", 500, 2),
        placed_at="2032-01-10T00:00:00Z")
    buy(sales, tenant, contact, line("kettle", 2000), placed_at="2032-02-10T00:00:00Z",
        source="pos")
    buy(sales, tenant, contact, line("kettle", 7777), status="cancelled",
        placed_at="2032-02-11T00:00:00Z")
    settle(runtimes)
    token = tenant.admin_token
    months = sales.get("/orders/stats?group_by=month&from=2032-01&to=2032-02-28",
                       token=token).json
    assert [(g["key"], g["revenue"], g["orders"]) for g in months["groups"]] == [
        ("2032-01", 3000, 1), ("2032-02", 2000, 1)]
    assert months["items_read"] == 2
    sources = sales.get("/orders/stats?group_by=source&from=2032-01&to=2032-02",
                        token=token).json
    assert {g["key"]: g["revenue"] for g in sources["groups"]} == {"shop": 3000, "pos": 2000}
    products = sales.get("/orders/stats?group_by=product&from=2032-01&to=2032-02",
                         token=token).json
    kettle = next(g for g in products["groups"] if g["key"] == "sku:kettle")
    assert kettle["revenue"] == 4000 and kettle["orders"] == 2
    assert kettle["average_order_value"] == 2000 and kettle["name"] == "Kettle"
    assert products["items_read"] == 3
    for query, field in (("group_by=colour", "group_by"), ("from=soon", "from"),
                         ("to=2032-13", "to"), ("from=2032-03&to=2032-01", "to")):
        reply = sales.get(f"/orders/stats?{query}", token=token)
        assert reply.status == 400 and reply.json["errors"][0]["field"] == field
    other = tenants.create("Other")
    theirs = sales.get("/orders/stats?group_by=month&from=2032-01&to=2032-02",
                       token=other.admin_token).json
    assert theirs["groups"] == [] and theirs["items_read"] == 0


def test_recommendations_come_from_co_purchases_with_reasons(
        sales: ApiClient, tenant: Tenant, runtimes: dict[str, Any]) -> None:
    for _ in range(2):
        buyer = new_id("con")
        buy(sales, tenant, buyer, line("scone", 300), line("jam", 200))
        buy(sales, tenant, buyer, line("scone", 300), line("jam", 200))  # same customer
    solo = new_id("con")
    buy(sales, tenant, solo, line("scone", 300), line("cream", 100))
    newcomer = new_id("con")
    buy(sales, tenant, newcomer, line("scone", 300))
    settle(runtimes)
    found = sales.get(f"/orders/recommendations?contact_id={newcomer}",
                      token=tenant.admin_token).json
    assert [(r["product_key"], r["customers"]) for r in found["items"]][:2] == [
        ("sku:jam", 2), ("sku:cream", 1)]
    assert found["items"][0]["reason"] == "bought with Scone by 2 customers"
    assert found["items_read"] <= 1 + 10, "the contact and top-K neighbours, no more"
    by_product = sales.get("/orders/recommendations?product_id=sku:jam",
                           token=tenant.admin_token).json
    assert by_product["items"][0]["product_key"] == "sku:scone"
    top = sales.get("/orders/recommendations", token=tenant.admin_token).json
    assert top["items"][0]["customers"] == 2
    assert sales.get(f"/orders/recommendations?contact_id={new_id('con')}",
                     token=tenant.admin_token).status == 404
    both = sales.get(f"/orders/recommendations?contact_id={newcomer}&product_id=x",
                     token=tenant.admin_token)
    assert both.status == 400 and both.json["errors"][0]["field"] == "product_id"


def test_rfm_scores_rank_customers_within_the_tenant(
        sales: ApiClient, tenants: Tenants, runtimes: dict[str, Any]) -> None:
    tenant = tenants.create("Rfm")
    settle(runtimes)
    customers = [new_id("con") for _ in range(5)]
    for rank, contact in enumerate(customers, start=1):
        for n in range(rank):
            buy(sales, tenant, contact, line("bean", 1000 * rank),
                placed_at=f"2031-{rank:02d}-0{n + 1}T00:00:00Z")
    settle(runtimes)
    scores = [sales.get(f"/orders/customers/{c}/value", token=tenant.admin_token).json["rfm"]
              for c in customers]
    assert [s["frequency"] for s in scores] == [1, 2, 3, 4, 5]
    assert [s["recency"] for s in scores] == [1, 2, 3, 4, 5]
    assert scores[0]["monetary"] < scores[4]["monetary"]
    other = tenants.create("Other")
    assert sales.get(f"/orders/customers/{customers[0]}/value",
                     token=other.admin_token).status == 404
