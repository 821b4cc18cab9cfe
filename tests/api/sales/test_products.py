"""Products: a per-tenant catalog whose names and aliases are unique and resolve in one read."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def make(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Product "), "price": usd(1000), **fields}
    reply = sales.post("/products", body, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def test_create_read_and_list_by_series(sales: ApiClient, tenant: Tenant) -> None:
    made = sales.post("/products", {"name": "GTX  Pro", "series": "GTX", "price": usd(479_500),
                                    "aliases": ["GTXPro", "gtx pro"]}, token=tenant.admin_token)
    assert made.status == 201, made.json
    product = made.json
    assert product["product_id"].startswith("prd_")
    assert product["name"] == "GTX Pro" and product["aliases"] == ["GTXPro"]
    assert product["active"] is True and product["version"] == 1
    assert made.header("Location") == f"/products/{product['product_id']}"
    assert made.header("ETag") == '"1"'
    got = sales.get(f"/products/{product['product_id']}", token=tenant.admin_token)
    assert got.status == 200 and got.json == product
    make(sales, tenant, series="MG")
    listed = sales.get("/products?series=gtx", token=tenant.admin_token).json["items"]
    assert [p["product_id"] for p in listed] == [product["product_id"]]


def test_find_by_name_resolves_names_and_aliases_in_any_case(sales: ApiClient,
                                                             tenant: Tenant) -> None:
    product = make(sales, tenant, name="MG Advanced", aliases=["MGAdv"])
    load_app("sales")  # the sales service's chalicelib in sys.modules
    logic = importlib.import_module("chalicelib.products.logic")
    for spelling in ("MG Advanced", "mg  advanced", "MGADV"):
        found = logic.find_by_name(tenant.tenant_id, spelling)
        assert found is not None and found["product_id"] == product["product_id"], spelling
    assert logic.find_by_name(tenant.tenant_id, "MG Basic") is None
    assert logic.find_by_name("ten_01JD0000000000000000000000", "MG Advanced") is None


def test_a_taken_name_or_alias_is_409_naming_the_field_and_the_holder(sales: ApiClient,
                                                                      tenant: Tenant) -> None:
    first = make(sales, tenant, name="GTK 500", aliases=["GTK500"])
    same_name = sales.post("/products", {"name": "gtk 500", "price": usd(1)},
                           token=tenant.admin_token)
    assert same_name.status == 409, same_name.json
    assert same_name.json["errors"][0]["field"] == "name"
    assert same_name.json["errors"][0]["existing_id"] == first["product_id"]
    alias_clash = sales.post("/products", {"name": "Other", "aliases": ["x", "gtk500"],
                                           "price": usd(1)}, token=tenant.admin_token)
    assert alias_clash.status == 409
    assert alias_clash.json["errors"][0]["field"] == "aliases[1]"
    # nothing half-written: the refused product claimed nothing
    assert sales.post("/products", {"name": "Other", "price": usd(1)},
                      token=tenant.admin_token).status == 201


def test_rename_frees_the_old_name_and_keeps_case_changes(sales: ApiClient,
                                                          tenant: Tenant) -> None:
    product = make(sales, tenant, name="GTX Basic")
    pid = product["product_id"]
    recased = sales.patch(f"/products/{pid}", {"name": "GTX BASIC"}, token=tenant.admin_token)
    assert recased.status == 200, recased.json
    renamed = sales.patch(f"/products/{pid}", {"name": "GTX Starter", "aliases": ["GTXB"]},
                          token=tenant.admin_token, headers={"If-Match": recased.header("ETag")})
    assert renamed.status == 200, renamed.json
    assert renamed.json["version"] == 3
    reused = make(sales, tenant, name="GTX Basic")
    assert reused["product_id"] != pid
    taken = sales.patch(f"/products/{pid}", {"aliases": ["gtx basic"]}, token=tenant.admin_token)
    assert taken.status == 409 and taken.json["errors"][0]["field"] == "aliases[0]"
    assert taken.json["errors"][0]["existing_id"] == reused["product_id"]


def test_deactivated_products_leave_the_active_list(sales: ApiClient, tenant: Tenant) -> None:
    product = make(sales, tenant)
    active_ids = {p["product_id"] for p in sales.get(
        "/products?active=true&limit=100", token=tenant.admin_token).json["items"]}
    assert product["product_id"] in active_ids
    off = sales.patch(f"/products/{product['product_id']}", {"active": False},
                      token=tenant.admin_token)
    assert off.status == 200 and off.json["active"] is False
    active_ids = {p["product_id"] for p in sales.get(
        "/products?active=true&limit=100", token=tenant.admin_token).json["items"]}
    assert product["product_id"] not in active_ids


def test_a_stale_if_match_is_412_and_changes_nothing(sales: ApiClient, tenant: Tenant) -> None:
    made = sales.post("/products", {"name": unique("P"), "price": usd(5)},
                      token=tenant.admin_token)
    pid = made.json["product_id"]
    assert sales.patch(f"/products/{pid}", {"series": "A"}, token=tenant.admin_token,
                       headers={"If-Match": made.header("ETag")}).status == 200
    stale = sales.patch(f"/products/{pid}", {"series": "B"}, token=tenant.admin_token,
                        headers={"If-Match": made.header("ETag")})
    assert stale.status == 412
    assert sales.get(f"/products/{pid}", token=tenant.admin_token).json["series"] == "A"


def test_list_pages_with_a_signed_cursor(sales: ApiClient, tenant: Tenant) -> None:
    for _ in range(3):
        make(sales, tenant, series="Paged")
    first = sales.get("/products?series=Paged&limit=2", token=tenant.admin_token).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = sales.get(f"/products?series=Paged&limit=2&cursor={first['next_cursor']}",
                       token=tenant.admin_token).json
    assert len(second["items"]) == 1
    forged = sales.get(f"/products?limit=2&cursor={first['next_cursor']}",
                       token=tenant.admin_token)
    assert forged.status == 400 and forged.json["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("body, field", [
    ({"price": {"amount": 1, "currency": "USD"}}, "name"),
    ({"name": "X"}, "price"),
    ({"name": "X", "price": {"amount": -1, "currency": "USD"}}, "price.amount"),
    ({"name": "X", "price": {"amount": 1.5, "currency": "USD"}}, "price.amount"),
    ({"name": "X", "price": {"amount": 1, "currency": "ABC"}}, "price.currency"),
    ({"name": "X", "price": {"amount": 1, "currency": "USD"}, "aliases": [""]}, "aliases[0]"),
    ({"name": "X", "price": {"amount": 1, "currency": "USD"}, "colour": "red"}, "colour"),
])
def test_bad_products_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                               body: dict[str, Any], field: str) -> None:
    reply = sales.post("/products", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_name_and_price_cannot_be_cleared(sales: ApiClient, tenant: Tenant) -> None:
    pid = make(sales, tenant)["product_id"]
    for field in ("name", "price"):
        reply = sales.patch(f"/products/{pid}", {field: None}, token=tenant.admin_token)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == field


def test_reps_read_the_catalog_but_cannot_change_it(sales: ApiClient, tenants: Tenants,
                                                    tenant: Tenant) -> None:
    pid = make(sales, tenant)["product_id"]
    rep = tenants.user(tenant, "sales_rep")
    assert sales.get(f"/products/{pid}", token=rep).status == 200
    assert sales.post("/products", {"name": "Mine", "price": usd(1)}, token=rep).status == 403
    assert sales.patch(f"/products/{pid}", {"active": False}, token=rep).status == 403


def test_another_tenants_product_is_404(sales: ApiClient, tenants: Tenants,
                                        tenant: Tenant) -> None:
    pid = make(sales, tenant)["product_id"]
    other = tenants.create("Other")
    assert sales.get(f"/products/{pid}", token=other.admin_token).status == 404
    assert sales.patch(f"/products/{pid}", {"series": "X"},
                       token=other.admin_token).status == 404
    assert sales.get("/products/not-an-id", token=tenant.admin_token).status == 404
