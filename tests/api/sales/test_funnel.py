"""The stage funnel (from stage changes) and lead conversion by source, from aggregates."""

from __future__ import annotations

from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

import pytest

from crm_shared.events.sales_events import (
    LeadConverted,
    LeadCreated,
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityStageChanged,
)
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle
from tests.support.makers.sales_reports import deal, publish

RANGE = {"from": "2026-01-01", "to": "2026-06-30"}
KIND = {"Won": "won", "Lost": "lost"}
STAGES = [{"name": "Intro", "probability": 10}, {"name": "Pilot", "probability": 50},
          {"name": "Contract", "probability": 80},
          {"name": "Signed", "probability": 100, "kind": "won"},
          {"name": "Dropped", "probability": 0, "kind": "lost"}]


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def pipeline_id(sales: ApiClient, tenant: Tenant) -> str:
    items = sales.get("/pipelines", token=tenant.admin_token).json["items"]
    return str(next(p["pipeline_id"] for p in items if p["is_default"]))


def funnel(sales: ApiClient, tenant: Tenant, **params: str) -> dict[str, Any]:
    reply = sales.get(f"/opportunities/funnel?{urlencode({**RANGE, **params})}",
                      token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def by_stage(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stage"]: s for s in report["stages"]}


def walk(session: Any, tenant: Tenant, record: dict[str, Any], stages: list[str],
         kinds: dict[str, str] | None = None, order: list[int] | None = None) -> None:
    """Publish the deal's creation and one stage change per later stage (in `order`)."""
    kinds = kinds or KIND
    versions = [{**record, "stage": stage, "stage_kind": kinds.get(stage, "open"),
                 "version": index + 1, "updated_at": f"2026-0{index + 1}-02T10:00:00.000Z"}
                for index, stage in enumerate(stages)]
    events: list[Any] = [OpportunityCreated(opportunity_id=record["opportunity_id"],
                                            opportunity=versions[0])]
    events += [OpportunityStageChanged(
        opportunity_id=record["opportunity_id"], pipeline_id=record["pipeline_id"],
        from_stage=before["stage"], to_stage=after["stage"], seconds_in_stage=60,
        opportunity=after) for before, after in pairwise(versions)]
    for index in order or range(len(events)):
        publish(session, tenant.tenant_id, events[index])


def test_entered_moved_on_and_won_per_stage_in_order(sales: ApiClient, tenant: Tenant,
                                                     pipeline_id: str, session: Any,
                                                     runtimes: Any) -> None:
    def new() -> dict[str, Any]:
        return deal(pipeline_id=pipeline_id)

    # one deal's changes arrive backwards: the funnel converges all the same
    walk(session, tenant, new(), ["Prospecting", "Qualification", "Proposal", "Won"],
         order=[3, 2, 1, 0])
    walk(session, tenant, new(), ["Prospecting", "Qualification", "Lost"])
    walk(session, tenant, new(), ["Prospecting"])
    settle(runtimes)
    report = funnel(sales, tenant, pipeline_id=pipeline_id)
    assert [s["stage"] for s in report["stages"]] == [
        "Prospecting", "Qualification", "Engaging", "Proposal", "Negotiation", "Won", "Lost"]
    found = by_stage(report)
    assert found["Prospecting"] | {} == {
        "stage": "Prospecting", "kind": "open", "position": 0, "entered": 3, "moved_on": 2,
        "won": 1, "conversion_to_next": 0.6667, "conversion_to_won": 0.3333}
    assert (found["Qualification"]["entered"], found["Qualification"]["moved_on"],
            found["Qualification"]["won"]) == (2, 1, 1)
    assert found["Engaging"]["entered"] == 0 and found["Engaging"]["conversion_to_next"] is None
    assert (found["Proposal"]["entered"], found["Proposal"]["conversion_to_next"]) == (1, 1.0)
    assert found["Won"]["conversion_to_next"] is None and found["Won"]["conversion_to_won"] == 1.0
    assert (found["Lost"]["entered"], found["Lost"]["won"]) == (1, 0)
    # the default pipeline is the one reported when none is named
    assert funnel(sales, tenant)["stages"] == report["stages"]
    # entries count in the month the stage was entered
    january = by_stage(funnel(sales, tenant, to="2026-01-31"))
    assert (january["Prospecting"]["entered"], january["Qualification"]["entered"]) == (3, 0)


def test_a_duplicate_and_a_deleted_deal(sales: ApiClient, tenants: Tenants,
                                        runtimes: Any, session: Any) -> None:
    tenant = tenants.create("Funnel")
    settle(runtimes)
    made = sales.post("/pipelines", {"name": "Partners", "stages": STAGES},
                      token=tenant.admin_token)
    assert made.status == 201, made.json
    pipeline = made.json["pipeline_id"]
    kinds = {"Signed": "won", "Dropped": "lost"}
    kept, gone = deal(pipeline_id=pipeline), deal(pipeline_id=pipeline)
    walk(session, tenant, kept, ["Intro", "Pilot", "Contract", "Signed"], kinds)
    walk(session, tenant, gone, ["Intro", "Pilot"], kinds)
    detail = publish(session, tenant.tenant_id, OpportunityStageChanged(
        opportunity_id=kept["opportunity_id"], pipeline_id=pipeline, from_stage="Pilot",
        to_stage="Intro", opportunity={**kept, "stage": "Intro", "version": 5,
                                       "updated_at": "2026-05-01T00:00:00.000Z"}))
    put_bus_event(session, "crm.sales", "OpportunityStageChanged", detail)
    settle(runtimes)
    found = by_stage(funnel(sales, tenant, pipeline_id=pipeline))
    assert (found["Intro"]["entered"], found["Intro"]["moved_on"]) == (2, 2)
    assert (found["Pilot"]["entered"], found["Pilot"]["moved_on"]) == (2, 1)
    assert found["Signed"]["won"] == 1
    publish(session, tenant.tenant_id, OpportunityDeleted(opportunity_id=gone["opportunity_id"]))
    settle(runtimes)
    found = by_stage(funnel(sales, tenant, pipeline_id=pipeline))
    assert (found["Intro"]["entered"], found["Pilot"]["entered"]) == (1, 1)
    assert found["Intro"]["conversion_to_won"] == 1.0


@pytest.mark.parametrize("params, field", [
    ({"pipeline_id": "pip_nope"}, "pipeline_id"),
    ({"from": "2026-02-30"}, "from"),
    ({"from": "2026-05-01", "to": "2026-04-01"}, "from"),
])
def test_bad_funnel_parameters_are_400(sales: ApiClient, tenant: Tenant,
                                       params: dict[str, str], field: str) -> None:
    reply = sales.get(f"/opportunities/funnel?{urlencode(params)}", token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.json["errors"][0]["field"] == field


# -- leads ---------------------------------------------------------------------------------

def lead(source: str | None, created: str = "2026-02-03T09:00:00.000Z",
         version: int = 1) -> dict[str, Any]:
    return {"lead_id": new_id("lea"), "source": source, "created_at": created,
            "status": "new", "version": version}


def lead_stats(sales: ApiClient, tenant: Tenant, **params: str) -> dict[str, dict[str, Any]]:
    reply = sales.get(f"/leads/stats?{urlencode({**RANGE, **params})}",
                      token=tenant.admin_token)
    assert reply.status == 200, reply.json
    assert reply.json["plan"]["months"] == reply.json["plan"]["queries"]
    return {g["source"]: g for g in reply.json["groups"]}


def convert(session: Any, tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    return publish(session, tenant.tenant_id, LeadConverted(
        lead_id=record["lead_id"], contact_id=new_id("con"),
        lead={**record, "status": "converted", "version": record["version"] + 1}))


def test_leads_and_conversions_per_source(sales: ApiClient, tenants: Tenants, tenant: Tenant,
                                          session: Any, runtimes: Any) -> None:
    web, fair = new_id("web-"), new_id("fair-")
    leads = [lead(web), lead(web), lead(web), lead(fair), lead(None)]
    for record in leads:
        publish(session, tenant.tenant_id, LeadCreated(lead_id=record["lead_id"], lead=record))
    detail = convert(session, tenant, leads[0])
    put_bus_event(session, "crm.sales", "LeadConverted", detail)  # delivered twice
    settle(runtimes)
    early = lead(fair)
    convert(session, tenant, early)  # the conversion arrives before the creation
    settle(runtimes)
    publish(session, tenant.tenant_id, LeadCreated(lead_id=early["lead_id"], lead=early))
    other = tenants.create("Leads elsewhere")
    publish(session, other.tenant_id, LeadCreated(lead_id=new_id("lea"), lead=lead(web)))
    settle(runtimes)
    found = lead_stats(sales, tenant)
    assert found[web] == {"source": web, "leads": 3, "converted": 1, "conversion_rate": 0.3333}
    assert found[fair] == {"source": fair, "leads": 2, "converted": 1, "conversion_rate": 0.5}
    assert found["none"]["leads"] >= 1
    assert lead_stats(sales, other)[web]["leads"] == 1
    assert web not in lead_stats(sales, tenant, to="2026-01-31")


def test_bad_lead_stats_parameters_are_400(sales: ApiClient, tenant: Tenant) -> None:
    for params, field in (({"group_by": "owner"}, "group_by"), ({"to": "2026-1-1"}, "to")):
        reply = sales.get(f"/leads/stats?{urlencode(params)}", token=tenant.admin_token)
        assert reply.status == 400, reply.json
        assert reply.json["errors"][0]["field"] == field


def test_lead_stats_follow_leads_written_through_the_api(sales: ApiClient, tenants: Tenants,
                                                         runtimes: Any) -> None:
    tenant = tenants.create("Lead funnel")
    settle(runtimes)
    made = [sales.post("/leads", {"name": f"Lead {i}", "source": "Webinar",
                                  "email": f"lead{i}@example.com"}, token=tenant.admin_token)
            for i in range(3)]
    assert all(m.status == 201 for m in made), [m.json for m in made]
    converted = sales.post(f"/leads/{made[0].json['lead_id']}/convert",
                           {"create_company": False}, token=tenant.admin_token)
    assert converted.status == 200, converted.json
    settle(runtimes)
    month = made[0].json["created_at"][:10]
    reply = sales.get(f"/leads/stats?from={month}&to={month}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    assert reply.json["groups"] == [{"source": made[0].json["source"], "leads": 3, "converted": 1,
                                     "conversion_rate": 0.3333}]


def test_a_tenant_without_pipelines_yet_has_an_empty_funnel(sales: ApiClient,
                                                             tenants: Tenants) -> None:
    fresh = tenants.create("Not seeded yet")  # TenantProvisioned not delivered yet
    reply = sales.get("/opportunities/funnel", token=fresh.admin_token)
    assert reply.status == 200, reply.json
    assert (reply.json["pipeline_id"], reply.json["stages"]) == (None, [])
    named = sales.get("/opportunities/funnel?pipeline_id=pip_x", token=fresh.admin_token)
    assert named.status == 400 and named.json["errors"][0]["field"] == "pipeline_id"
