"""Quotas: one per (owner or team, month or quarter), managers write, everyone reads."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle

EUR = {"amount": 5_000_000, "currency": "EUR"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def make(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/quotas", {"owner_id": new_id("usr"), "period": "2026-Q4",
                                   "amount": EUR, **fields}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    assert reply.header("Location") == f"/quotas/{reply.json['quota_id']}"
    return dict(reply.json)


def test_create_read_change_and_delete(sales: ApiClient, tenant: Tenant) -> None:
    owner = new_id("usr")
    made = make(sales, tenant, owner_id=owner)
    assert (made["owner_id"], made["team_id"], made["period"], made["amount"]) == (
        owner, None, "2026-Q4", EUR)
    path = f"/quotas/{made['quota_id']}"
    read = sales.get(path, token=tenant.admin_token)
    assert read.status == 200 and read.json == made
    changed = sales.patch(path, {"amount": {"amount": 7, "currency": "usd"}},
                          token=tenant.admin_token, headers={"If-Match": read.header("ETag")})
    assert changed.status == 200, changed.json
    assert changed.json["amount"] == {"amount": 7, "currency": "USD"}
    stale = sales.patch(path, {"amount": EUR}, token=tenant.admin_token,
                        headers={"If-Match": read.header("ETag")})
    assert stale.status == 412
    assert sales.delete(path, token=tenant.admin_token).status == 204
    assert sales.get(path, token=tenant.admin_token).status == 404
    # the (owner, period) is free again
    make(sales, tenant, owner_id=owner)


def test_a_second_quota_for_the_same_target_and_period_is_409(sales: ApiClient,
                                                              tenant: Tenant) -> None:
    team = new_id("tea")
    make(sales, tenant, team_id=team, owner_id=None, period="2026-11")
    again = sales.post("/quotas", {"team_id": team, "period": "2026-11", "amount": EUR},
                       token=tenant.admin_token)
    assert again.status == 409, again.json
    assert again.json["errors"][0]["field"] == "period"
    other_month = make(sales, tenant, team_id=team, owner_id=None, period="2026-12")
    moved = sales.patch(f"/quotas/{other_month['quota_id']}", {"period": "2026-11"},
                        token=tenant.admin_token)
    assert moved.status == 409 and moved.json["errors"][0]["field"] == "period"
    assert sales.get(f"/quotas/{other_month['quota_id']}",
                     token=tenant.admin_token).json["period"] == "2026-12"


def test_moving_a_quota_frees_its_old_period(sales: ApiClient, tenant: Tenant) -> None:
    owner = new_id("usr")
    made = make(sales, tenant, owner_id=owner, period="2027-01")
    moved = sales.patch(f"/quotas/{made['quota_id']}", {"period": "2027-02"},
                        token=tenant.admin_token)
    assert moved.status == 200 and moved.json["period"] == "2027-02"
    make(sales, tenant, owner_id=owner, period="2027-01")


def test_lists_by_owner_team_or_period(sales: ApiClient, tenant: Tenant) -> None:
    owner, team = new_id("usr"), new_id("tea")
    mine = [make(sales, tenant, owner_id=owner, period=p)["quota_id"]
            for p in ("2028-01", "2028-02", "2028-Q1")]
    theirs = make(sales, tenant, team_id=team, owner_id=None, period="2028-02")["quota_id"]

    def listed(query: str) -> list[str]:
        reply = sales.get(f"/quotas?{query}", token=tenant.admin_token)
        assert reply.status == 200, reply.json
        return [q["quota_id"] for q in reply.json["items"]]

    assert listed(f"owner_id={owner}") == mine
    assert listed(f"team_id={team}") == [theirs]
    assert set(listed("period=2028-02")) == {mine[1], theirs}
    first = sales.get(f"/quotas?owner_id={owner}&limit=2", token=tenant.admin_token).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = sales.get(f"/quotas?owner_id={owner}&limit=2&cursor={first['next_cursor']}",
                     token=tenant.admin_token).json
    assert [q["quota_id"] for q in rest["items"]] == mine[2:]


@pytest.mark.parametrize("body, field", [
    ({"period": "2026-Q4", "amount": EUR}, "owner_id"),
    ({"owner_id": "usr_01J0000000000000000000000A", "team_id": "tea_01J0000000000000000000000A",
      "period": "2026-Q4", "amount": EUR}, "team_id"),
    ({"owner_id": "usr_01J0000000000000000000000A", "period": "2026-Q5", "amount": EUR},
     "period"),
    ({"owner_id": "usr_01J0000000000000000000000A", "period": "2026-13", "amount": EUR},
     "period"),
    ({"owner_id": "usr_01J0000000000000000000000A", "period": "2026-Q4",
      "amount": {"amount": 1, "currency": "EURO"}}, "amount.currency"),
    ({"owner_id": "usr_01J0000000000000000000000A", "period": "2026-Q4",
      "amount": {"amount": -1, "currency": "EUR"}}, "amount.amount"),
    ({"owner_id": "bob", "period": "2026-Q4", "amount": EUR}, "owner_id"),
    ({"owner_id": "usr_01J0000000000000000000000A", "period": "2026-Q4"}, "amount"),
    ({"owner_id": "usr_01J0000000000000000000000A", "period": "2026-Q4", "amount": EUR,
      "stretch": True}, "stretch"),
])
def test_bad_quotas_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                             body: dict[str, Any], field: str) -> None:
    reply = sales.post("/quotas", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_bad_list_filters_and_patches(sales: ApiClient, tenant: Tenant) -> None:
    reply = sales.get("/quotas?period=Q4", token=tenant.admin_token)
    assert reply.status == 400 and reply.json["errors"][0]["field"] == "period"
    both = sales.get(f"/quotas?period=2026-Q4&owner_id={new_id('usr')}",
                     token=tenant.admin_token)
    assert both.status == 400
    made = make(sales, tenant)
    cleared = sales.patch(f"/quotas/{made['quota_id']}", {"amount": None},
                          token=tenant.admin_token)
    assert cleared.status == 422 and cleared.json["errors"][0]["field"] == "amount"
    owner = sales.patch(f"/quotas/{made['quota_id']}", {"owner_id": new_id("usr")},
                        token=tenant.admin_token)
    assert owner.status == 422 and owner.json["errors"][0]["field"] == "owner_id"
    missing = sales.get(f"/quotas/{new_id('quo')}", token=tenant.admin_token)
    assert missing.status == 404


def test_managers_write_everyone_reads(sales: ApiClient, tenants: Tenants,
                                       tenant: Tenant) -> None:
    manager = tenants.user(tenant, "manager")
    made = sales.post("/quotas", {"owner_id": new_id("usr"), "period": "2026-Q3",
                                  "amount": EUR}, token=manager)
    assert made.status == 201, made.json
    path = f"/quotas/{made.json['quota_id']}"
    for role in ("sales_rep", "viewer"):
        token = tenants.user(tenant, role)
        assert sales.get(path, token=token).status == 200
        assert sales.get("/quotas", token=token).status == 200
        assert sales.post("/quotas", {"owner_id": new_id("usr"), "period": "2026-Q3",
                                      "amount": EUR}, token=token).status == 403
        assert sales.patch(path, {"amount": EUR}, token=token).status == 403
        assert sales.delete(path, token=token).status == 403


def test_another_tenant_cannot_see_or_touch_a_quota(sales: ApiClient, tenants: Tenants,
                                                    tenant: Tenant) -> None:
    made = make(sales, tenant)
    other = tenants.create("Other")
    path = f"/quotas/{made['quota_id']}"
    assert sales.get(path, token=other.admin_token).status == 404
    assert sales.patch(path, {"amount": EUR}, token=other.admin_token).status == 404
    assert sales.delete(path, token=other.admin_token).status == 404
    listed = sales.get(f"/quotas?owner_id={made['owner_id']}", token=other.admin_token)
    assert listed.json["items"] == []
    assert sales.get(path, token=tenant.admin_token).json == made
