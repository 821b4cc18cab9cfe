"""Opportunity stats from maintained aggregates: counts, win rate, amounts, cycle days.

Opportunity events go onto the real bus (as the opportunities feature publishes them) and
through EventBridge -> SQS -> the sales consumer; the report reads only aggregate items.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from crm_shared.events.sales_events import (
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityLost,
    OpportunityUpdated,
    OpportunityWon,
)
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle
from tests.support.makers.sales_reports import deal, publish

RANGE = {"from": "2026-01-01", "to": "2026-03-31"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def stats(sales: ApiClient, tenant: Tenant, token: str | None = None,
          **params: str) -> dict[str, Any]:
    query = urlencode({**RANGE, **params})
    reply = sales.get(f"/opportunities/stats?{query}", token=token or tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def groups(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["group"]: g for g in report["groups"]}


def won(record: dict[str, Any], closed: str, version: int) -> dict[str, Any]:
    return {**record, "stage": "Won", "stage_kind": "won", "closed_at": closed,
            "probability": 100, "forecast_category": "closed", "version": version,
            "updated_at": f"{closed}T12:00:00.000Z"}


def lost(record: dict[str, Any], closed: str, version: int) -> dict[str, Any]:
    return {**record, "stage": "Lost", "stage_kind": "lost", "closed_at": closed,
            "probability": 0, "forecast_category": "omitted", "version": version,
            "updated_at": f"{closed}T12:00:00.000Z"}


def create(session: Any, tenant: Tenant, record: dict[str, Any]) -> None:
    publish(session, tenant.tenant_id, OpportunityCreated(
        opportunity_id=record["opportunity_id"], opportunity=record))


def test_counts_win_rate_amounts_and_cycle_per_owner(sales: ApiClient, tenant: Tenant,
                                                     session: Any, runtimes: Any) -> None:
    alice, bob = new_id("usr"), new_id("usr")
    first = deal(owner_id=alice, engaged_at="2026-01-20", created_at="2026-01-10T08:00:00Z")
    second = deal(owner_id=alice, engaged_at="2026-01-11", created_at="2026-01-15T08:00:00Z",
                  amount={"amount": 40_000, "currency": "EUR"})
    third = deal(owner_id=bob, created_at="2026-02-01T08:00:00Z")
    for record in (first, second, third):
        create(session, tenant, record)
    publish(session, tenant.tenant_id, OpportunityWon(
        opportunity_id=first["opportunity_id"], opportunity=won(first, "2026-02-20", 2)))
    publish(session, tenant.tenant_id, OpportunityLost(
        opportunity_id=second["opportunity_id"], opportunity=lost(second, "2026-02-10", 2)))
    settle(runtimes)

    found = groups(stats(sales, tenant, group_by="owner"))
    assert found[alice] == {
        "group": alice, "count": 2, "won": 1, "lost": 1, "win_rate": 0.5,
        "won_amount": [{"amount": 100_000, "currency": "EUR"}],
        "avg_deal_size": [{"amount": 100_000, "currency": "EUR"}],
        "avg_cycle_days": 30.5}
    assert found[bob]["count"] == 1 and found[bob]["win_rate"] is None
    assert found[bob]["won_amount"] == [] and found[bob]["avg_cycle_days"] is None

    # counts follow the created month, won/lost the closed month
    january = groups(stats(sales, tenant, group_by="owner", to="2026-01-31"))
    assert (january[alice]["count"], january[alice]["won"]) == (2, 0)
    february = groups(stats(sales, tenant, group_by="owner", **{"from": "2026-02-01"}))
    assert (february[alice]["count"], february[alice]["won"], february[alice]["lost"]) == (0, 1, 1)


def test_items_read_do_not_grow_with_the_number_of_deals(sales: ApiClient, tenant: Tenant,
                                                         session: Any, runtimes: Any) -> None:
    source = new_id("src")
    create(session, tenant, deal(source=source))
    settle(runtimes)
    before = stats(sales, tenant, group_by="source")
    assert groups(before)[source]["count"] == 1
    for _ in range(12):
        create(session, tenant, deal(source=source))
    settle(runtimes)
    after = stats(sales, tenant, group_by="source")
    assert groups(after)[source]["count"] == 13
    assert after["plan"] == before["plan"]
    assert after["plan"]["months"] == 3 and after["plan"]["queries"] == 3


def test_amounts_stay_per_currency(sales: ApiClient, tenant: Tenant, session: Any,
                                   runtimes: Any) -> None:
    owner = new_id("usr")
    euro = deal(owner_id=owner, amount={"amount": 1_000, "currency": "EUR"})
    dollar = deal(owner_id=owner, amount={"amount": 3_000, "currency": "USD"})
    dollar2 = deal(owner_id=owner, amount={"amount": 5_000, "currency": "USD"})
    for record in (euro, dollar, dollar2):
        publish(session, tenant.tenant_id, OpportunityWon(
            opportunity_id=record["opportunity_id"], opportunity=won(record, "2026-03-01", 2)))
    settle(runtimes)
    row = groups(stats(sales, tenant, group_by="owner"))[owner]
    assert row["won_amount"] == [{"amount": 1_000, "currency": "EUR"},
                                 {"amount": 8_000, "currency": "USD"}]
    assert row["avg_deal_size"] == [{"amount": 1_000, "currency": "EUR"},
                                    {"amount": 4_000, "currency": "USD"}]


def test_products_split_the_amount_by_line_value(sales: ApiClient, tenant: Tenant,
                                                 session: Any, runtimes: Any) -> None:
    big, small = new_id("prd"), new_id("prd")
    price = {"amount": 1_000, "currency": "EUR"}
    record = deal(amount={"amount": 100_000, "currency": "EUR"}, product_lines=[
        {"product_id": big, "name": "Big", "quantity": 3, "unit_price": price,
         "discount_percent": 0},
        {"product_id": small, "name": "Small", "quantity": 2, "unit_price": price,
         "discount_percent": 50}])
    publish(session, tenant.tenant_id, OpportunityWon(
        opportunity_id=record["opportunity_id"], opportunity=won(record, "2026-03-02", 1)))
    settle(runtimes)
    found = groups(stats(sales, tenant, group_by="product"))
    assert found[big]["won_amount"] == [{"amount": 75_000, "currency": "EUR"}]
    assert found[small]["won_amount"] == [{"amount": 25_000, "currency": "EUR"}]
    assert found[big]["won"] == found[small]["won"] == 1
    assert "none" in found  # deals without lines


def test_an_update_moves_the_deal_between_groups(sales: ApiClient, tenant: Tenant,
                                                 session: Any, runtimes: Any) -> None:
    before_owner, after_owner = new_id("usr"), new_id("usr")
    record = deal(owner_id=before_owner)
    create(session, tenant, record)
    settle(runtimes)
    moved = {**record, "owner_id": after_owner, "version": 2}
    publish(session, tenant.tenant_id, OpportunityUpdated(
        opportunity_id=record["opportunity_id"], opportunity=moved, previous=record,
        changed=["owner_id"]))
    settle(runtimes)
    found = groups(stats(sales, tenant, group_by="owner"))
    assert before_owner not in found
    assert found[after_owner]["count"] == 1


def test_a_duplicate_event_counts_once(sales: ApiClient, tenant: Tenant, session: Any,
                                       runtimes: Any) -> None:
    owner = new_id("usr")
    record = deal(owner_id=owner)
    detail = publish(session, tenant.tenant_id, OpportunityCreated(
        opportunity_id=record["opportunity_id"], opportunity=record))
    put_bus_event(session, "crm.sales", "OpportunityCreated", detail)  # redelivered
    create(session, tenant, record)  # the same version again under a new event id
    settle(runtimes)
    assert groups(stats(sales, tenant, group_by="owner"))[owner]["count"] == 1


def test_events_out_of_order_converge(sales: ApiClient, tenant: Tenant, session: Any,
                                      runtimes: Any) -> None:
    first_owner, last_owner = new_id("usr"), new_id("usr")
    record = deal(owner_id=first_owner)
    final = won({**record, "owner_id": last_owner}, "2026-02-05", 3)
    publish(session, tenant.tenant_id, OpportunityWon(
        opportunity_id=record["opportunity_id"], opportunity=final))
    settle(runtimes)
    # v1 and v2 arrive late; v2's `previous` and change are older than what was applied
    create(session, tenant, record)
    publish(session, tenant.tenant_id, OpportunityUpdated(
        opportunity_id=record["opportunity_id"], previous=record,
        opportunity={**record, "version": 2, "amount": {"amount": 5, "currency": "EUR"}},
        changed=["amount"]))
    settle(runtimes)
    found = groups(stats(sales, tenant, group_by="owner"))
    assert first_owner not in found
    assert found[last_owner]["won"] == 1
    assert found[last_owner]["won_amount"] == [{"amount": 100_000, "currency": "EUR"}]


def test_a_skipped_version_still_converges(sales: ApiClient, tenant: Tenant, session: Any,
                                           runtimes: Any) -> None:
    owner, middle, last = new_id("usr"), new_id("usr"), new_id("usr")
    record = deal(owner_id=owner)
    create(session, tenant, record)
    settle(runtimes)
    # v2 (owner -> middle) never arrives; v3's `previous` claims middle, but the stored
    # contribution says owner: the delta comes from what was applied
    publish(session, tenant.tenant_id, OpportunityUpdated(
        opportunity_id=record["opportunity_id"],
        previous={**record, "owner_id": middle, "version": 2},
        opportunity={**record, "owner_id": last, "version": 3}, changed=["owner_id"]))
    settle(runtimes)
    found = groups(stats(sales, tenant, group_by="owner"))
    assert owner not in found and middle not in found
    assert found[last]["count"] == 1


def test_a_deleted_deal_leaves_and_stays_out(sales: ApiClient, tenant: Tenant, session: Any,
                                             runtimes: Any) -> None:
    owner = new_id("usr")
    record, kept = deal(owner_id=owner), deal(owner_id=owner)
    create(session, tenant, record)
    create(session, tenant, kept)
    settle(runtimes)
    assert groups(stats(sales, tenant, group_by="owner"))[owner]["count"] == 2
    publish(session, tenant.tenant_id, OpportunityDeleted(
        opportunity_id=record["opportunity_id"], opportunity={**record, "version": 2}))
    settle(runtimes)
    publish(session, tenant.tenant_id, OpportunityWon(  # an older change arriving late
        opportunity_id=record["opportunity_id"], opportunity=won(record, "2026-02-01", 2)))
    settle(runtimes)
    row = groups(stats(sales, tenant, group_by="owner"))[owner]
    assert (row["count"], row["won"]) == (1, 0)


def test_another_tenants_events_never_move_these_aggregates(
        sales: ApiClient, tenants: Tenants, tenant: Tenant, session: Any,
        runtimes: Any) -> None:
    owner = new_id("usr")
    other = tenants.create("Other")
    settle(runtimes)
    create(session, tenant, deal(owner_id=owner))
    record = deal(owner_id=owner)
    create(session, other, record)
    publish(session, other.tenant_id, OpportunityWon(
        opportunity_id=record["opportunity_id"], opportunity=won(record, "2026-02-01", 2)))
    settle(runtimes)
    mine = groups(stats(sales, tenant, group_by="owner"))[owner]
    theirs = groups(stats(sales, other, group_by="owner"))[owner]
    assert (mine["count"], mine["won"]) == (1, 0)
    assert (theirs["count"], theirs["won"]) == (1, 1)


@pytest.mark.parametrize("params, field", [
    ({"group_by": "colour"}, "group_by"),
    ({"group_by": "owner", "from": "2026-13-01"}, "from"),
    ({"group_by": "owner", "to": "yesterday"}, "to"),
    ({"group_by": "owner", "from": "2026-03-01", "to": "2026-02-01"}, "from"),
    ({"group_by": "owner", "from": "2020-01-01", "to": "2026-01-01"}, "to"),
])
def test_bad_parameters_are_400_naming_the_field(sales: ApiClient, tenant: Tenant,
                                                 params: dict[str, str], field: str) -> None:
    reply = sales.get(f"/opportunities/stats?{urlencode(params)}", token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_every_role_reads_stats(sales: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    for role in ("viewer", "sales_rep"):
        stats(sales, tenant, token=tenants.user(tenant, role), group_by="stage")
    assert sales.get("/opportunities/stats").status == 401
