"""Lead scoring: rules, behaviour from marketing events, LeadScored, and naive Bayes learned
from won and lost deals."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.events.envelope import envelope_for
from crm_shared.events.marketing_events import FormSubmitted, LinkClicked, MessageOpened
from crm_shared.events.sales_events import OpportunityLost, OpportunityWon
from crm_shared.ids import new_id
from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle

PATH = "/leads/scoring-rules"
WHEN = "2030-01-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def lead(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/leads", {"name": unique("Lead "), "email": f"{unique('s-')}@corp.example",
                                  **fields}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def score(sales: ApiClient, tenant: Tenant, lead_id: str) -> dict[str, Any]:
    reply = sales.get(f"/leads/{lead_id}/score", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def send(session: Any, tenant: Tenant, source: str, event: Any) -> None:
    put_bus_event(session, source, type(event).detail_type(),
                  envelope_for(event, tenant.tenant_id, "system:test").model_dump(mode="json"))


def test_rules_and_behaviour_make_the_score(sales: ApiClient, tenant: Tenant, session: Any,
                                            runtimes: dict[str, Any]) -> None:
    put = sales.request("PUT", PATH, {"rules": [
        {"name": "Big company", "points": 20, "filter_groups": [{"filters": [
            {"field": "company_size", "operator": "in", "values": ["1001-5000", "5001+"]}]}]},
        {"name": "Webmail", "points": -5, "filter_groups": [{"filters": [
            {"field": "email", "operator": "contains", "value": "@gmail.com"}]}]}]},
        token=tenant.admin_token)
    assert put.status == 200, put.json
    big = lead(sales, tenant, company_size="5001+")
    small = lead(sales, tenant, email=f"{unique('x')}@gmail.com")
    assert score(sales, tenant, big["lead_id"])["score"] == 20
    assert score(sales, tenant, small["lead_id"])["score"] == -5
    settle(runtimes)
    # engagement by lead id, and by email through the email claim; a redelivery counts once
    opened = MessageOpened(lead_id=big["lead_id"], message_id="m1", occurred_at=WHEN)
    detail = envelope_for(opened, tenant.tenant_id, "system:test").model_dump(mode="json")
    for _ in range(2):
        put_bus_event(session, "crm.marketing", "MessageOpened", detail)
    send(session, tenant, "crm.marketing", LinkClicked(email=big["email"].upper(),
                                                       message_id="m1", url="https://x",
                                                       occurred_at=WHEN))
    send(session, tenant, "crm.marketing", FormSubmitted(email=big["email"], form_id="f1",
                                                         occurred_at=WHEN))
    send(session, tenant, "crm.marketing", LinkClicked(email="nobody@nowhere.example",
                                                       message_id="m1", url="https://x",
                                                       occurred_at=WHEN))
    runtimes["sales"].pump_stream()
    while runtimes["sales"].pump_queue():
        pass
    result = score(sales, tenant, big["lead_id"])
    assert result["score"] == 20 + 1 + 3 + 10
    assert [f["name"] for f in result["factors"]] == ["Big company", "FormSubmitted",
                                                      "LinkClicked", "MessageOpened"]
    assert result["factors"][0]["kind"] == "rule" and result["factors"][1]["kind"] == \
        "behaviour"
    scored = [e for e in outbox(session, tenant.tenant_id, "LeadScored")
              if e["lead_id"] == big["lead_id"]]
    assert [e["score"] for e in scored] == [21, 24, 34]
    assert scored[0]["previous_score"] == 20
    settle(runtimes)


def test_naive_bayes_prefers_the_winning_profile(sales: ApiClient, tenant: Tenant,
                                                 session: Any, runtimes: dict[str, Any]) -> None:
    winner = {"source": "referral", "industry": "Banking", "company_size": "1001-5000"}
    loser = {"source": "cold-call", "industry": "Retail", "company_size": "1-10",
             "email": f"{unique('l')}@gmail.com"}
    fresh = lead(sales, tenant, **winner)
    assert score(sales, tenant, fresh["lead_id"])["probability"] is None, "no history yet"
    for profile, outcome, count in ((winner, "won", 6), (loser, "lost", 6), (winner, "lost", 1),
                                    (loser, "won", 1)):
        for _ in range(count):
            past = lead(sales, tenant, **{**profile, "email": f"{unique('h')}@corp.example"}
                        if "email" not in profile else {**profile,
                                                        "email": f"{unique('h')}@gmail.com"})
            deal = {"opportunity_id": new_id("opp"), "lead_id": past["lead_id"],
                    "source": profile["source"], "product_lines": [], "amount": None}
            event = OpportunityWon(opportunity_id=deal["opportunity_id"], opportunity=deal) \
                if outcome == "won" else OpportunityLost(opportunity_id=deal["opportunity_id"],
                                                         opportunity=deal)
            send(session, tenant, "crm.sales", event)
    settle(runtimes)
    assert score(sales, tenant, fresh["lead_id"])["probability"] is None, "not trained yet"
    assert "train_lead_models" in runtimes["sales"].tick()
    good = score(sales, tenant, fresh["lead_id"])
    bad = score(sales, tenant, lead(sales, tenant, **{**loser,
                                                     "email": f"{unique('b')}@gmail.com"})[
        "lead_id"])
    assert good["probability"] > 0.8 > 0.2 > bad["probability"]
    factors = {f["attribute"]: f["contribution"] for f in good["probability_factors"]}
    assert factors["source"] > 0 and factors["industry"] > 0
    assert all(f["contribution"] < 0 for f in bad["probability_factors"]
               if f["attribute"] in {"source", "industry", "company_size"})
    # a second run with nothing new trains nothing
    runtimes["sales"].tick()


def test_bad_rules_roles_and_tenants(sales: ApiClient, tenants: Tenants,
                                     tenant: Tenant) -> None:
    cases = [
        ({"name": "x", "points": 5}, "rules[0].filter_groups"),
        ({"name": "x", "points": 5000, "filter_groups": [{"filters": [
            {"field": "source", "operator": "exists"}]}]}, "rules[0].points"),
        ({"name": "x", "points": 5, "filter_groups": [{"filters": [
            {"field": "salary", "operator": "exists"}]}]},
         "rules[0].filter_groups[0].filters[0].field"),
    ]
    for rule, field in cases:
        reply = sales.request("PUT", PATH, {"rules": [rule]}, token=tenant.admin_token)
        assert reply.status == 422, reply.json
        assert field in [e["field"] for e in reply.json["errors"]], reply.json
    rep = tenants.user(tenant, "sales_rep")
    assert sales.request("PUT", PATH, {"rules": []}, token=rep).status == 403
    assert sales.get(PATH, token=rep).status == 200
    mine = lead(sales, tenant)
    other = tenants.create("Other")
    assert sales.get(f"/leads/{mine['lead_id']}/score", token=other.admin_token).status == 404
    assert sales.get(PATH, token=other.admin_token).json["rules"] == []
