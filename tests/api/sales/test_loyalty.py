"""Loyalty: the programme, points earned on paid orders and reversed on refunds, redeemed
atomically (concurrent redemptions: exactly the affordable ones succeed), adjusted by
managers, expired by the schedule, tiers with TierChanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.http import handle_local
from crm_shared.ids import new_id
from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle
from tests.support.makers.sales_commerce import order_body
from tests.support.services import load_app

PROGRAM = {
    "enabled": True, "points_per_unit": 1, "product_points": {"sku:MUG": 5},
    "bonus_rules": [{"name": "big basket", "points": 50, "filter_groups": [
        {"filters": [{"field": "totals.amount", "operator": "gte", "value": 10000}]}]}],
    "expiry_days": 30,
    "tiers": [{"name": "Silver", "threshold": 100, "benefits": ["free shipping"]},
              {"name": "Bronze", "threshold": 0}],
}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], sales: ApiClient) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    yield
    clock.reset()


def consume(runtimes: dict[str, Any]) -> None:
    """Publish the sales outbox and run its consumers, leaving what they emit unpublished
    (so the test can read it in the outbox)."""
    sales = runtimes["sales"]
    load_app("sales")
    sales.pump_stream()
    while sales.pump_queue():
        pass


def enable(sales: ApiClient, tenant: Tenant) -> None:
    reply = sales.request("PUT", "/loyalty/program", PROGRAM, token=tenant.admin_token)
    assert reply.status == 200, reply.json


def member_with(sales: ApiClient, tenant: Tenant, points: int) -> str:
    contact = new_id("con")
    assert sales.post("/loyalty/members", {"contact_id": contact},
                      token=tenant.admin_token).status == 201
    adjusted = sales.post(f"/loyalty/members/{contact}/adjust",
                          {"points": points, "reason": "welcome"}, token=tenant.admin_token)
    assert adjusted.status == 201, adjusted.json
    return contact


def test_new_tenants_get_a_default_programme_switched_off(sales: ApiClient,
                                                          tenant: Tenant) -> None:
    program = sales.get("/loyalty/program", token=tenant.admin_token).json
    assert program["enabled"] is False and program["tiers"]


def test_paid_orders_earn_refunds_reverse_and_tiers_change(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    enable(sales, tenant)
    settle(runtimes)
    contact = new_id("con")
    small = sales.post("/orders", order_body(contact, status="paid"), token=tenant.admin_token)
    big = sales.post("/orders", order_body(contact, status="paid", lines=[
        {"sku": "TV", "quantity": 1, "unit_price": {"amount": 12000, "currency": "USD"}}],
        totals={"amount": 12000, "currency": "USD"}), token=tenant.admin_token)
    consume(runtimes)
    member = sales.get(f"/loyalty/members/{contact}", token=tenant.admin_token).json
    # 25 USD -> 25 + 2 mugs x 5; 120 USD -> 120 + the big-basket bonus 50
    assert member["balance"] == 35 + 170 and member["tier"] == "Silver"
    assert [e["kind"] for e in member["history"]] == ["earned", "earned"]
    assert member["history"][0]["expires_at"]
    changes = [e for e in outbox(session, tenant.tenant_id, "TierChanged")
               if e["contact_id"] == contact]
    assert [(c["from_tier"], c["to_tier"]) for c in changes] in (
        [(None, "Bronze"), ("Bronze", "Silver")], [(None, "Silver")])
    settle(runtimes)
    sales.patch(f"/orders/{big.json['order_id']}", {"status": "refunded"},
                token=tenant.admin_token)
    consume(runtimes)
    after = sales.get(f"/loyalty/members/{contact}", token=tenant.admin_token).json
    assert after["balance"] == 35 and after["tier"] == "Bronze"
    assert after["history"][0]["kind"] == "reversed" and after["history"][0]["points"] == -170
    [down] = [e for e in outbox(session, tenant.tenant_id, "TierChanged")
              if e["contact_id"] == contact]
    assert (down["from_tier"], down["to_tier"]) == ("Silver", "Bronze")
    assert small.status == 201


def test_concurrent_redemptions_never_overspend(sales: ApiClient, tenant: Tenant) -> None:
    contact = member_with(sales, tenant, 100)
    module = load_app("sales")
    raw = json.dumps({"points": 30}).encode()
    headers = {"Content-Type": "application/json",
               "Authorization": f"Bearer {tenant.admin_token}"}

    def redeem(_: int) -> tuple[int, Any]:
        status, _headers, body = handle_local(module.app, sales.gateway, "POST",
                                              f"/loyalty/members/{contact}/redeem",
                                              headers, raw)
        return status, json.loads(body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(redeem, range(8)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 201, 201, 409, 409, 409, 409, 409], results
    refused = [body for status, body in results if status == 409]
    assert all(body["errors"][0]["field"] == "points" for body in refused)
    member = sales.get(f"/loyalty/members/{contact}", token=tenant.admin_token).json
    assert member["balance"] == 10
    assert sorted(e["balance"] for e in member["history"]) == [10, 40, 70, 100]


def test_a_member_and_its_ledger_page_by_page(sales: ApiClient, tenant: Tenant) -> None:
    """The first page comes with the balance in one Query; the cursor pages the rest."""
    contact = member_with(sales, tenant, 10)
    for n in range(4):
        assert sales.post(f"/loyalty/members/{contact}/adjust", {
            "points": n + 1, "reason": f"r{n}"}, token=tenant.admin_token).status == 201
    first = sales.get(f"/loyalty/members/{contact}?limit=2", token=tenant.admin_token).json
    assert first["balance"] == 20 and first["contact_id"] == contact
    assert [e["reason"] for e in first["history"]] == ["r3", "r2"]
    seen = [e["reason"] for e in first["history"]]
    cursor = first["next_cursor"]
    while cursor:
        page = sales.get(f"/loyalty/members/{contact}?limit=2&cursor={cursor}",
                         token=tenant.admin_token).json
        assert page["balance"] == 20
        seen += [e["reason"] for e in page["history"]]
        cursor = page["next_cursor"]
    assert seen == ["r3", "r2", "r1", "r0", "welcome"]
    assert sales.get(f"/loyalty/members/{new_id('con')}",
                     token=tenant.admin_token).status == 404
    assert sales.get("/loyalty/members/nope", token=tenant.admin_token).status == 404


def test_redeem_and_adjust_validate_and_need_roles(sales: ApiClient, tenants: Tenants,
                                                   tenant: Tenant) -> None:
    contact = member_with(sales, tenant, 20)
    path = f"/loyalty/members/{contact}"
    too_much = sales.post(f"{path}/redeem", {"points": 21}, token=tenant.admin_token)
    assert too_much.status == 409 and too_much.json["errors"][0]["field"] == "points"
    for body, field in (({}, "points"), ({"points": 0}, "points"), ({"points": "5"}, "points")):
        reply = sales.post(f"{path}/redeem", body, token=tenant.admin_token)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == field
    assert sales.post(f"{path}/adjust", {"points": 5}, token=tenant.admin_token).json[
        "errors"][0]["field"] == "reason"
    below = sales.post(f"{path}/adjust", {"points": -21, "reason": "x"},
                       token=tenant.admin_token)
    assert below.status == 409 and below.json["errors"][0]["field"] == "points"
    rep = tenants.user(tenant, "sales_rep")
    assert sales.post(f"{path}/redeem", {"points": 1}, token=rep).status == 201
    assert sales.post(f"{path}/adjust", {"points": 1, "reason": "x"}, token=rep).status == 403
    assert sales.request("PUT", "/loyalty/program", PROGRAM, token=rep).status == 403
    other = tenants.create("Other")
    assert sales.get(path, token=other.admin_token).status == 404
    assert sales.post(f"{path}/redeem", {"points": 1}, token=other.admin_token).status == 404
    assert sales.get(f"/loyalty/members/{new_id('con')}", token=tenant.admin_token).status \
        == 404
    again = sales.post("/loyalty/members", {"contact_id": contact}, token=tenant.admin_token)
    assert again.status == 200 and again.json["balance"] == 19


@pytest.mark.parametrize("change, field", [
    ({"points_per_unit": -1}, "points_per_unit"),
    ({"expiry_days": 0}, "expiry_days"),
    ({"tiers": [{"name": "A", "threshold": 0}, {"name": "A", "threshold": 5}]}, "tiers"),
    ({"bonus_rules": [{"name": "x", "points": 5, "filter_groups": [
        {"filters": [{"field": "totals.amount", "operator": "near", "value": 1}]}]}]},
     "bonus_rules[0].filter_groups[0].filters[0].operator"),
    ({"colour": "red"}, "colour"),
])
def test_bad_programmes_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                                 change: dict[str, Any], field: str) -> None:
    reply = sales.request("PUT", "/loyalty/program", {**PROGRAM, **change},
                          token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert any(e["field"].startswith(field) for e in reply.json["errors"]), reply.json


def test_points_expire_once(sales: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
                            frozen_clock: None) -> None:
    enable(sales, tenant)
    settle(runtimes)
    contact = new_id("con")
    sales.post("/orders", order_body(contact, status="paid"), token=tenant.admin_token)
    settle(runtimes)
    path = f"/loyalty/members/{contact}"
    assert sales.get(path, token=tenant.admin_token).json["balance"] == 35
    sales.post(f"{path}/redeem", {"points": 5}, token=tenant.admin_token)
    runtimes["sales"].tick()
    assert sales.get(path, token=tenant.admin_token).json["balance"] == 30
    clock.advance(31 * 24 * 3600)
    runtimes["sales"].tick()
    runtimes["sales"].tick()
    member = sales.get(path, token=tenant.admin_token).json
    assert member["balance"] == 0
    assert [e["kind"] for e in member["history"]] == ["expired", "redeemed", "earned"]
    assert member["history"][0]["points"] == -30
