"""Stage history: every stay in a stage with its length, the stage events, and what closing
and reopening a deal do to closed_at, probability and the forecast category."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from crm_shared import clock
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle

TABLE = "crm-test-sales"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    """Unpublished sales outbox items of a type, oldest first (a test-only Scan)."""
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    found = [json.loads(i["detail"]["S"]) for page in pages for i in page["Items"]
             if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
             and i["detail_type"]["S"] == detail_type]
    return [e["data"] for e in sorted(found, key=lambda e: e["metadata"]["event_id"])]


def make(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/opportunities", {"name": unique("Deal "), **fields},
                       token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def move(sales: ApiClient, tenant: Tenant, deal: dict[str, Any], **fields: Any) -> Any:
    reply = sales.patch(f"/opportunities/{deal['opportunity_id']}", fields,
                        token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return reply.json


def history(sales: ApiClient, tenant: Tenant, deal: dict[str, Any],
            query: str = "") -> dict[str, Any]:
    reply = sales.get(f"/opportunities/{deal['opportunity_id']}/history{query}",
                      token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def test_each_stay_has_entry_exit_and_duration(sales: ApiClient, tenant: Tenant) -> None:
    deal = make(sales, tenant)
    clock.advance(3600)
    move(sales, tenant, deal, stage="Engaging")
    clock.advance(2 * 86400)
    move(sales, tenant, deal, name="renamed only")  # not a stage change: no entry
    clock.advance(600)
    won = move(sales, tenant, deal, stage="Won")
    items = history(sales, tenant, deal)["items"]
    assert [(i["stage"], i["stage_kind"]) for i in items] == [
        ("Prospecting", "open"), ("Engaging", "open"), ("Won", "won")]
    first, second, current = items
    assert first["entered_at"] == deal["created_at"]
    assert first["exited_at"] == second["entered_at"]
    assert 3600 <= first["duration_seconds"] < 3660
    assert 2 * 86400 + 600 <= second["duration_seconds"] < 2 * 86400 + 660
    assert current["entered_at"] == won["updated_at"]
    assert current["exited_at"] is None and current["duration_seconds"] is None


def test_history_pages_with_a_cursor(sales: ApiClient, tenant: Tenant) -> None:
    deal = make(sales, tenant)
    for stage in ("Qualification", "Engaging", "Proposal"):
        move(sales, tenant, deal, stage=stage)
    first = history(sales, tenant, deal, "?limit=3")
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = history(sales, tenant, deal, f"?limit=3&cursor={first['next_cursor']}")
    assert [i["stage"] for i in first["items"] + rest["items"]] == [
        "Prospecting", "Qualification", "Engaging", "Proposal"]
    other = make(sales, tenant)
    forged = sales.get(f"/opportunities/{other['opportunity_id']}/history?cursor="
                       f"{first['next_cursor']}", token=tenant.admin_token)
    assert forged.status == 400 and forged.json["errors"][0]["field"] == "cursor"


def test_stage_events_on_creation_change_win_and_loss(sales: ApiClient, tenant: Tenant,
                                                      session: Any,
                                                      runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    deal = make(sales, tenant)
    clock.advance(120)
    move(sales, tenant, deal, stage="Negotiation")
    won = move(sales, tenant, deal, stage="Won")
    lost_deal = make(sales, tenant, stage="Proposal")
    lost = move(sales, tenant, lost_deal, stage="Lost", lost_reason="price")
    changes = outbox(session, tenant.tenant_id, "OpportunityStageChanged")
    assert [(c["opportunity_id"], c["from_stage"], c["to_stage"]) for c in changes] == [
        (deal["opportunity_id"], None, "Prospecting"),
        (deal["opportunity_id"], "Prospecting", "Negotiation"),
        (deal["opportunity_id"], "Negotiation", "Won"),
        (lost_deal["opportunity_id"], None, "Proposal"),
        (lost_deal["opportunity_id"], "Proposal", "Lost")]
    assert changes[0]["seconds_in_stage"] is None
    assert 120 <= changes[1]["seconds_in_stage"] < 180
    assert changes[2]["opportunity"] == won
    [won_event] = outbox(session, tenant.tenant_id, "OpportunityWon")
    assert won_event["opportunity"] == won
    [lost_event] = outbox(session, tenant.tenant_id, "OpportunityLost")
    assert lost_event["lost_reason"] == "price" and lost_event["opportunity"] == lost
    settle(runtimes)


def test_closing_sets_closed_at_and_reopening_clears_it(sales: ApiClient,
                                                        tenant: Tenant) -> None:
    deal = make(sales, tenant, stage="Negotiation", probability=90)
    assert deal["forecast_category"] == "commit"
    won = move(sales, tenant, deal, stage="Won")
    assert won["closed_at"] == clock.now().date().isoformat()
    assert won["stage_kind"] == "won" and won["probability"] == 100
    assert won["forecast_category"] == "closed"
    reopened = move(sales, tenant, deal, stage="Proposal")
    assert reopened["closed_at"] is None and reopened["probability"] == 60
    assert reopened["forecast_category"] == "best_case"
    lost = move(sales, tenant, deal, stage="Lost", lost_reason="budget cut")
    assert lost["forecast_category"] == "omitted" and lost["probability"] == 0
    assert lost["lost_reason"] == "budget cut"
    again = move(sales, tenant, deal, stage="Engaging")
    assert again["lost_reason"] == "budget cut" and again["closed_at"] is None


def test_a_close_date_given_is_kept_and_checked(sales: ApiClient, tenant: Tenant) -> None:
    day = (clock.now() - timedelta(days=40)).date().isoformat()
    engaged = (clock.now() - timedelta(days=90)).date().isoformat()
    deal = make(sales, tenant, stage="Won", closed_at=day, engaged_at=engaged)
    assert deal["closed_at"] == day and deal["stage_kind"] == "won"
    before_engaged = sales.patch(f"/opportunities/{deal['opportunity_id']}",
                                 {"closed_at": "2000-01-01"}, token=tenant.admin_token)
    assert before_engaged.status == 400
    assert before_engaged.json["errors"][0]["field"] == "closed_at"
    open_deal = make(sales, tenant)
    refused = sales.patch(f"/opportunities/{open_deal['opportunity_id']}",
                          {"closed_at": day}, token=tenant.admin_token)
    assert refused.status == 400 and refused.json["errors"][0]["field"] == "closed_at"
    # nothing half-written: the refused changes left no history entry
    assert len(history(sales, tenant, open_deal)["items"]) == 1


def test_a_stale_stage_change_writes_no_history(sales: ApiClient, tenant: Tenant) -> None:
    deal = make(sales, tenant)
    path = f"/opportunities/{deal['opportunity_id']}"
    assert sales.patch(path, {"stage": "Engaging"}, token=tenant.admin_token,
                       headers={"If-Match": '"1"'}).status == 200
    stale = sales.patch(path, {"stage": "Won"}, token=tenant.admin_token,
                        headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert [i["stage"] for i in history(sales, tenant, deal)["items"]] == [
        "Prospecting", "Engaging"]


def test_history_follows_visibility(sales: ApiClient, tenants: Tenants,
                                    tenant: Tenant) -> None:
    deal = make(sales, tenant)
    rep = tenants.user(tenant, "sales_rep")
    assert sales.get(f"/opportunities/{deal['opportunity_id']}/history",
                     token=rep).status == 404
    assert sales.get("/opportunities/opp_01J00000000000000000000000/history",
                     token=tenant.admin_token).status == 404
