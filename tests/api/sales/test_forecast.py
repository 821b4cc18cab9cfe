"""The forecast per month or quarter and group, per currency, with quotas and attainment;
and the reports end to end through the opportunities API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from crm_shared import clock
from crm_shared.events.sales_events import OpportunityCreated, OpportunityWon
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle
from tests.support.makers.sales_reports import deal, publish

RANGE = {"from": "2026-01-01", "to": "2026-06-30"}


def eur(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def forecast(sales: ApiClient, tenant: Tenant, token: str | None = None,
             **params: str) -> dict[str, Any]:
    reply = sales.get(f"/opportunities/forecast?{urlencode({**RANGE, **params})}",
                      token=token or tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def rows(report: dict[str, Any], group: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["period"], r["currency"]): r for r in report["rows"] if r["group"] == group}


def quota(sales: ApiClient, tenant: Tenant, period: str, amount: int, **target: str) -> None:
    reply = sales.post("/quotas", {**target, "period": period, "amount": eur(amount)},
                       token=tenant.admin_token)
    assert reply.status == 201, reply.json


def open_deal(session: Any, tenant: Tenant, **fields: Any) -> None:
    record = deal(**fields)
    publish(session, tenant.tenant_id, OpportunityCreated(
        opportunity_id=record["opportunity_id"], opportunity=record))


def won_deal(session: Any, tenant: Tenant, closed: str, **fields: Any) -> None:
    record = deal(stage="Won", stage_kind="won", closed_at=closed, probability=100,
                  forecast_category="closed", **fields)
    publish(session, tenant.tenant_id, OpportunityWon(
        opportunity_id=record["opportunity_id"], opportunity=record))


@pytest.fixture(scope="module")
def seeded(sales: ApiClient, tenant: Tenant, session: Any,
           runtimes: dict[str, Any]) -> dict[str, str]:
    owner, quarterly, team = new_id("usr"), new_id("usr"), new_id("tea")
    open_deal(session, tenant, owner_id=owner, team_id=team, amount=eur(100_000),
              expected_close_date="2026-02-15", probability=40, forecast_category="commit")
    open_deal(session, tenant, owner_id=owner, amount=eur(50_000),
              expected_close_date="2026-03-10", probability=60, forecast_category="best_case")
    open_deal(session, tenant, owner_id=owner, amount=eur(20_000),
              expected_close_date="2026-02-01", probability=10)
    open_deal(session, tenant, owner_id=owner, amount=eur(99_999),
              expected_close_date="2026-02-01", probability=50, forecast_category="omitted")
    open_deal(session, tenant, owner_id=owner, amount={"amount": 7_000, "currency": "USD"},
              expected_close_date="2026-02-01", probability=50)
    won_deal(session, tenant, "2026-02-20", owner_id=owner, team_id=team, amount=eur(30_000))
    settle(runtimes)
    quota(sales, tenant, "2026-Q1", 200_000, owner_id=owner)
    quota(sales, tenant, "2026-02", 80_000, owner_id=owner)
    quota(sales, tenant, "2026-01", 10_000, owner_id=quarterly)
    quota(sales, tenant, "2026-02", 20_000, owner_id=quarterly)
    quota(sales, tenant, "2026-Q1", 300_000, team_id=team)
    return {"owner": owner, "quarterly": quarterly, "team": team}


def test_monthly_forecast_per_owner_and_currency(sales: ApiClient, tenant: Tenant,
                                                 seeded: dict[str, str]) -> None:
    found = rows(forecast(sales, tenant, period="month", group_by="owner"), seeded["owner"])
    assert found[("2026-02", "EUR")] == {
        "period": "2026-02", "group": seeded["owner"], "currency": "EUR",
        "open_pipeline": 120_000, "weighted_pipeline": 42_000, "commit": 100_000,
        "best_case": 100_000, "closed_won": 30_000, "quota": eur(80_000),
        "attainment": 0.375}
    march = found[("2026-03", "EUR")]
    assert (march["open_pipeline"], march["weighted_pipeline"], march["commit"],
            march["best_case"], march["quota"], march["attainment"]) == (
        50_000, 30_000, 0, 50_000, None, None)
    dollars = found[("2026-02", "USD")]
    assert (dollars["open_pipeline"], dollars["weighted_pipeline"], dollars["quota"]) == (
        7_000, 3_500, None)


def test_quarterly_forecast_uses_the_quarter_quota_or_its_months(
        sales: ApiClient, tenant: Tenant, seeded: dict[str, str]) -> None:
    report = forecast(sales, tenant, period="quarter", group_by="owner")
    assert report["periods"] == ["2026-Q1", "2026-Q2"]
    q1 = rows(report, seeded["owner"])[("2026-Q1", "EUR")]
    assert (q1["open_pipeline"], q1["weighted_pipeline"], q1["commit"], q1["best_case"],
            q1["closed_won"], q1["quota"], q1["attainment"]) == (
        170_000, 72_000, 100_000, 150_000, 30_000, eur(200_000), 0.15)
    summed = rows(report, seeded["quarterly"])[("2026-Q1", "EUR")]
    assert (summed["quota"], summed["closed_won"], summed["attainment"]) == (
        eur(30_000), 0, 0.0)


def test_forecast_per_team_pipeline_and_product(sales: ApiClient, tenant: Tenant,
                                                seeded: dict[str, str]) -> None:
    team = rows(forecast(sales, tenant, group_by="team"), seeded["team"])[("2026-Q1", "EUR")]
    assert (team["open_pipeline"], team["closed_won"], team["quota"], team["attainment"]) == (
        100_000, 30_000, eur(300_000), 0.1)
    by_pipeline = forecast(sales, tenant, group_by="pipeline")
    assert all(r["quota"] is None for r in by_pipeline["rows"])
    assert rows(by_pipeline, "pip_unknown")[("2026-Q1", "EUR")]["closed_won"] == 30_000
    by_product = rows(forecast(sales, tenant, group_by="product"), "none")
    assert by_product[("2026-Q1", "EUR")]["open_pipeline"] == 170_000


def test_items_read_stay_flat_as_deals_grow(sales: ApiClient, tenant: Tenant, session: Any,
                                            runtimes: Any, seeded: dict[str, str]) -> None:
    before = forecast(sales, tenant, period="month", group_by="owner")
    for _ in range(10):
        open_deal(session, tenant, owner_id=seeded["owner"], amount=eur(1_000),
                  expected_close_date="2026-02-10", probability=50)
    settle(runtimes)
    after = forecast(sales, tenant, period="month", group_by="owner")
    assert after["plan"] == before["plan"]
    feb = rows(after, seeded["owner"])[("2026-02", "EUR")]
    assert feb["open_pipeline"] == 130_000


@pytest.mark.parametrize("params, field", [
    ({"period": "week"}, "period"),
    ({"group_by": "stage"}, "group_by"),
    ({"from": "01/02/2026"}, "from"),
    ({"from": "2026-06-01", "to": "2026-01-01"}, "from"),
    ({"from": "2026-01-01", "to": "2030-01-01"}, "to"),
])
def test_bad_forecast_parameters_are_400(sales: ApiClient, tenant: Tenant,
                                         params: dict[str, str], field: str) -> None:
    reply = sales.get(f"/opportunities/forecast?{urlencode(params)}", token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_another_tenant_sees_none_of_it(sales: ApiClient, tenants: Tenants,
                                        seeded: dict[str, str], runtimes: Any) -> None:
    other = tenants.create("Elsewhere")
    settle(runtimes)
    report = forecast(sales, other, period="month")
    assert report["rows"] == []
    assert seeded["owner"] not in str(report)


def test_reps_and_viewers_read_the_forecast(sales: ApiClient, tenants: Tenants,
                                            tenant: Tenant, seeded: dict[str, str]) -> None:
    for role in ("sales_rep", "viewer"):
        report = forecast(sales, tenant, token=tenants.user(tenant, role))
        assert rows(report, seeded["owner"])


# -- end to end: deals written through the opportunities API ---------------------------------

def test_reports_follow_deals_written_through_the_api(sales: ApiClient, tenants: Tenants,
                                                     runtimes: Any) -> None:
    tenant = tenants.create("End to end")
    settle(runtimes)
    today = clock.now().date()
    month = today.strftime("%Y-%m")
    window = {"from": f"{month}-01", "to": today.isoformat()}
    made = sales.post("/opportunities", {
        "name": "Big one", "amount": eur(40_000), "source": "web",
        "expected_close_date": today.isoformat(), "forecast_category": "commit",
        "engaged_at": today.isoformat()}, token=tenant.admin_token)
    assert made.status == 201, made.json
    other = sales.post("/opportunities", {"name": "Small one", "amount": eur(10_000),
                                          "source": "web"}, token=tenant.admin_token)
    assert other.status == 201, other.json
    settle(runtimes)
    owner = made.json["owner_id"]

    def forecast_row() -> dict[str, Any]:
        report = forecast(sales, tenant, period="month", **window)
        return rows(report, owner)[(month, "EUR")]

    assert (forecast_row()["open_pipeline"], forecast_row()["commit"]) == (40_000, 40_000)
    stats = sales.get(f"/opportunities/stats?group_by=source&{urlencode(window)}",
                      token=tenant.admin_token).json
    assert {g["group"]: g["count"] for g in stats["groups"]} == {"web": 2}

    won = sales.patch(f"/opportunities/{made.json['opportunity_id']}", {"stage": "Won"},
                      token=tenant.admin_token)
    assert won.status == 200, won.json
    assert sales.delete(f"/opportunities/{other.json['opportunity_id']}",
                        token=tenant.admin_token).status == 204
    settle(runtimes)
    row = forecast_row()
    assert (row["open_pipeline"], row["closed_won"]) == (0, 40_000)
    stats = sales.get(f"/opportunities/stats?group_by=source&{urlencode(window)}",
                      token=tenant.admin_token).json
    [web] = stats["groups"]
    assert (web["count"], web["won"], web["win_rate"], web["won_amount"]) == (
        1, 1, 1.0, [eur(40_000)])
    assert web["avg_cycle_days"] == 0.0
    funnel = sales.get(f"/opportunities/funnel?{urlencode(window)}",
                       token=tenant.admin_token).json
    entered = {s["stage"]: (s["entered"], s["won"]) for s in funnel["stages"]}
    assert entered[won.json["stage"]] == (1, 1)
    assert entered[made.json["stage"]] == (1, 1)
