"""Opportunities: the record contract, validation naming the field, If-Match, tombstones,
lists on indexes with signed cursors, visibility by role, and `create_in` for other writes."""

from __future__ import annotations

import importlib
import json
from collections import Counter
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.services import load_app

TABLE = "crm-test-sales"
CONTACT = "con_01J00000000000000000000001"
OTHER_CONTACT = "con_01J00000000000000000000002"
COMPANY = "cmp_01J00000000000000000000001"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def make(sales: ApiClient, tenant: Tenant, token: str | None = None,
         **fields: Any) -> dict[str, Any]:
    reply = sales.post("/opportunities", {"name": unique("Deal "), **fields},
                       token=token or tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def product(sales: ApiClient, tenant: Tenant, price: int = 1000,
            currency: str = "USD") -> str:
    reply = sales.post("/products", {"name": unique("Product "),
                                     "price": {"amount": price, "currency": currency}},
                       token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["product_id"])


def default_pipeline(sales: ApiClient, tenant: Tenant) -> dict[str, Any]:
    return next(p for p in sales.get("/pipelines", token=tenant.admin_token).json["items"]
                if p["is_default"])


def outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    """The sales outbox items of a type not yet published (a Scan, in a test, to look
    behind the API); `settle` publishes and clears them."""
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    found = [json.loads(i["detail"]["S"]) for page in pages for i in page["Items"]
             if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
             and i["detail_type"]["S"] == detail_type]
    return [e["data"] for e in sorted(found, key=lambda e: e["metadata"]["event_id"])]


def ids(reply_json: dict[str, Any]) -> list[str]:
    return [i["opportunity_id"] for i in reply_json["items"]]


# -- the record --------------------------------------------------------------------------------

def test_create_fills_the_contract_from_defaults(sales: ApiClient, tenant: Tenant) -> None:
    reply = sales.post("/opportunities", {"name": "Acme renewal"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    deal = reply.json
    assert deal["opportunity_id"].startswith("opp_")
    assert reply.header("Location") == f"/opportunities/{deal['opportunity_id']}"
    assert reply.header("ETag") == '"1"'
    pipeline = default_pipeline(sales, tenant)
    assert deal == {
        "opportunity_id": deal["opportunity_id"], "name": "Acme renewal", "company_id": None,
        "company_name": None, "contact_ids": [], "owner_id": tenant.admin_user_id,
        "team_id": None, "pipeline_id": pipeline["pipeline_id"], "stage": "Prospecting",
        "stage_kind": "open", "amount": None, "product_lines": [], "discount_percent": None,
        "expected_close_date": None, "probability": 10, "forecast_category": "pipeline",
        "source": None, "source_campaign_id": None, "lead_id": None, "lost_reason": None,
        "engaged_at": None, "closed_at": None, "approval_status": "none",
        "created_at": deal["created_at"], "updated_at": deal["created_at"], "version": 1}


def test_get_is_one_getitem(sales: ApiClient, tenant: Tenant,
                            dynamo_calls: Counter[str]) -> None:
    deal = make(sales, tenant, stage="engaging", amount=usd(5000))
    dynamo_calls.clear()
    got = sales.get(f"/opportunities/{deal['opportunity_id']}", token=tenant.admin_token)
    assert got.status == 200 and got.json == deal
    assert got.header("ETag") == '"1"'
    assert dynamo_calls == Counter({"GetItem": 1})


def test_fields_given_are_kept_and_derived_ones_follow(sales: ApiClient,
                                                       tenant: Tenant) -> None:
    deal = make(sales, tenant, stage="NEGOTIATION", company_id=COMPANY, company_name="Acme",
                contact_ids=[CONTACT], amount=usd(12_345), expected_close_date="2030-01-31",
                source="web", engaged_at="2029-12-01", lost_reason="n/a")
    assert deal["stage"] == "Negotiation" and deal["probability"] == 80
    assert deal["forecast_category"] == "commit"
    assert deal["amount"] == usd(12_345) and deal["expected_close_date"] == "2030-01-31"
    set_by_hand = make(sales, tenant, probability=45, forecast_category="omitted")
    assert set_by_hand["probability"] == 45 and set_by_hand["forecast_category"] == "omitted"
    derived = make(sales, tenant, probability=45)
    assert derived["forecast_category"] == "best_case"


def test_amount_is_derived_from_product_lines(sales: ApiClient, tenant: Tenant) -> None:
    gtx, mg = product(sales, tenant, 1000), product(sales, tenant, 550)
    deal = make(sales, tenant, product_lines=[
        {"product_id": gtx, "quantity": 3, "discount_percent": 10},
        {"product_id": mg, "quantity": 2, "unit_price": usd(500)}])
    assert deal["amount"] == usd(3 * 900 + 2 * 500)
    assert [line["name"].startswith("Product ") for line in deal["product_lines"]] == [True,
                                                                                         True]
    assert deal["product_lines"][0]["unit_price"] == usd(1000)
    # the lines change: the amount follows; an amount given stops following them
    changed = sales.patch(f"/opportunities/{deal['opportunity_id']}", {
        "product_lines": [{"product_id": gtx, "quantity": 1}]}, token=tenant.admin_token)
    assert changed.json["amount"] == usd(1000)
    fixed = sales.patch(f"/opportunities/{deal['opportunity_id']}", {"amount": usd(777)},
                        token=tenant.admin_token)
    assert fixed.json["amount"] == usd(777)
    again = sales.patch(f"/opportunities/{deal['opportunity_id']}", {
        "product_lines": [{"product_id": gtx, "quantity": 2}]}, token=tenant.admin_token)
    assert again.json["amount"] == usd(777)
    given = make(sales, tenant, amount=usd(5), product_lines=[{"product_id": gtx}])
    assert given["amount"] == usd(5)


@pytest.mark.parametrize("body, field", [
    ({"amount": {"amount": -1, "currency": "USD"}}, "amount.amount"),
    ({"amount": {"amount": 1, "currency": "XYZ"}}, "amount.currency"),
    ({"amount": {"amount": 1.25, "currency": "USD"}}, "amount.amount"),
    ({"probability": 101}, "probability"),
    ({"probability": -1}, "probability"),
    ({"forecast_category": "maybe"}, "forecast_category"),
    ({"expected_close_date": "31/01/2030"}, "expected_close_date"),
    ({"contact_ids": ["bob"]}, "contact_ids[0]"),
    ({"company_id": "acme"}, "company_id"),
    ({"owner_id": "someone"}, "owner_id"),
    ({"product_lines": [{"product_id": "prd_01J00000000000000000000000",
                         "discount_percent": 120}]}, "product_lines[0].discount_percent"),
    ({"product_lines": [{"product_id": "prd_01J00000000000000000000000", "quantity": 0}]},
     "product_lines[0].quantity"),
    ({"product_lines": [{"product_id": "prd_01J00000000000000000000000"}]},
     "product_lines[0].product_id"),
    ({"approval_status": "approved"}, "approval_status"),
    ({"colour": "red"}, "colour"),
])
def test_bad_fields_are_422_naming_them(sales: ApiClient, tenant: Tenant,
                                        body: dict[str, Any], field: str) -> None:
    reply = sales.post("/opportunities", {"name": "Bad", **body}, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_a_name_is_required(sales: ApiClient, tenant: Tenant) -> None:
    reply = sales.post("/opportunities", {"stage": "Won"}, token=tenant.admin_token)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "name"


@pytest.mark.parametrize("body, field", [
    ({"pipeline_id": "pip_01J00000000000000000000000"}, "pipeline_id"),
    ({"stage": "Daydreaming"}, "stage"),
    ({"stage": "Won", "engaged_at": "2030-02-01", "closed_at": "2030-01-01"}, "closed_at"),
    ({"closed_at": "2030-01-01"}, "closed_at"),
])
def test_unknown_pipeline_or_stage_and_bad_dates_are_400(sales: ApiClient, tenant: Tenant,
                                                         body: dict[str, Any],
                                                         field: str) -> None:
    reply = sales.post("/opportunities", {"name": "Bad", **body}, token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_lines_in_two_currencies_are_refused(sales: ApiClient, tenant: Tenant) -> None:
    usd_product, eur_product = product(sales, tenant), product(sales, tenant, 900, "EUR")
    reply = sales.post("/opportunities", {"name": "Mixed", "product_lines": [
        {"product_id": usd_product}, {"product_id": eur_product}]}, token=tenant.admin_token)
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "product_lines[1].unit_price.currency"
    against_amount = sales.post("/opportunities", {"name": "Mixed", "amount": usd(5),
                                                   "product_lines": [{"product_id":
                                                                      eur_product}]},
                                token=tenant.admin_token)
    assert against_amount.status == 422


def test_a_pipeline_of_the_tenant_can_be_chosen(sales: ApiClient, tenant: Tenant) -> None:
    pipeline = sales.post("/pipelines", {"name": unique("Renewals "), "stages": [
        {"name": "Ask", "probability": 30}, {"name": "Signed", "probability": 100,
                                             "kind": "won"},
        {"name": "Gone", "probability": 0, "kind": "lost"}]}, token=tenant.admin_token).json
    deal = make(sales, tenant, pipeline_id=pipeline["pipeline_id"])
    assert deal["stage"] == "Ask" and deal["probability"] == 30
    moved = sales.patch(f"/opportunities/{deal['opportunity_id']}",
                        {"pipeline_id": default_pipeline(sales, tenant)["pipeline_id"]},
                        token=tenant.admin_token)
    assert moved.status == 200 and moved.json["stage"] == "Prospecting"


# -- changes -----------------------------------------------------------------------------------

def test_patch_with_if_match_and_a_stale_one_is_412(sales: ApiClient, tenant: Tenant) -> None:
    deal = make(sales, tenant)
    path = f"/opportunities/{deal['opportunity_id']}"
    first = sales.patch(path, {"name": "Renamed", "contact_ids": [CONTACT]},
                        token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert first.status == 200, first.json
    assert first.json["version"] == 2 and first.header("ETag") == '"2"'
    stale = sales.patch(path, {"name": "Again"}, token=tenant.admin_token,
                        headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert sales.get(path, token=tenant.admin_token).json["name"] == "Renamed"
    unchanged = sales.patch(path, {"name": "Renamed"}, token=tenant.admin_token)
    assert unchanged.status == 200 and unchanged.json["version"] == 2


def test_required_fields_cannot_be_cleared(sales: ApiClient, tenant: Tenant) -> None:
    deal = make(sales, tenant)
    for field in ("name", "owner_id", "pipeline_id", "stage"):
        reply = sales.patch(f"/opportunities/{deal['opportunity_id']}", {field: None},
                            token=tenant.admin_token)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == field


def test_events_carry_the_record_previous_and_changed(sales: ApiClient, tenant: Tenant,
                                                      session: Any,
                                                      runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    deal = make(sales, tenant)
    path = f"/opportunities/{deal['opportunity_id']}"
    updated = sales.patch(path, {"amount": usd(900), "source": "referral"},
                          token=tenant.admin_token).json
    assert sales.delete(path, token=tenant.admin_token).status == 204
    [created] = outbox(session, tenant.tenant_id, "OpportunityCreated")
    [changed] = outbox(session, tenant.tenant_id, "OpportunityUpdated")
    [deleted] = outbox(session, tenant.tenant_id, "OpportunityDeleted")
    assert created["opportunity"] == deal
    assert changed["opportunity"] == updated and changed["previous"] == deal
    assert changed["changed"] == ["amount", "source"]
    assert deleted["opportunity_id"] == deal["opportunity_id"]
    assert deleted["opportunity"] == updated
    settle(runtimes)
    assert outbox(session, tenant.tenant_id, "OpportunityUpdated") == []


def test_delete_leaves_a_tombstone_off_every_list(sales: ApiClient, tenant: Tenant) -> None:
    deal = make(sales, tenant, contact_ids=[OTHER_CONTACT], expected_close_date="2031-05-05")
    path = f"/opportunities/{deal['opportunity_id']}"
    stale = sales.delete(path, token=tenant.admin_token, headers={"If-Match": '"9"'})
    assert stale.status == 412
    assert sales.delete(path, token=tenant.admin_token).status == 204
    assert sales.get(path, token=tenant.admin_token).status == 404
    assert sales.patch(path, {"name": "x"}, token=tenant.admin_token).status == 404
    assert sales.delete(path, token=tenant.admin_token).status == 404
    for query in ("", f"contact_id={OTHER_CONTACT}", f"owner_id={tenant.admin_user_id}",
                  "expected_close_from=2031-05-01&expected_close_to=2031-05-31",
                  f"pipeline_id={deal['pipeline_id']}"):
        listed = sales.get(f"/opportunities?limit=100&{query}", token=tenant.admin_token)
        assert listed.status == 200, (query, listed.json)
        assert deal["opportunity_id"] not in ids(listed.json), query


# -- lists ---------------------------------------------------------------------------------------

def test_each_filter_is_a_query_on_its_own_index(sales: ApiClient, tenants: Tenants,
                                                 tenant: Tenant,
                                                 dynamo_calls: Counter[str]) -> None:
    team = "tea_01J0000000000000000000TEAM"
    deal = make(sales, tenant, company_id="cmp_01J000000000000000000000LS",
                contact_ids=["con_01J000000000000000000000LS"], team_id=team,
                stage="Proposal", expected_close_date="2032-03-15")
    other = make(sales, tenant, stage="Qualification", expected_close_date="2032-04-15")
    pipeline = deal["pipeline_id"]
    cases = {
        f"owner_id={tenant.admin_user_id}": True,
        f"team_id={team}": True,
        f"pipeline_id={pipeline}&stage=proposal": True,
        f"pipeline_id={pipeline}": True,
        "company_id=cmp_01J000000000000000000000LS": True,
        "contact_id=con_01J000000000000000000000LS": True,
        "expected_close_from=2032-03-01&expected_close_to=2032-03-31": True,
        "expected_close_to=2032-03-31": True,
        "expected_close_from=2032-04-01": False,
    }
    for query, included in cases.items():
        dynamo_calls.clear()
        listed = sales.get(f"/opportunities?{query}&limit=100", token=tenant.admin_token)
        assert listed.status == 200, (query, listed.json)
        assert (deal["opportunity_id"] in ids(listed.json)) is included, query
        assert set(dynamo_calls) == {"Query"}, (query, dynamo_calls)
    closing = sales.get("/opportunities?expected_close_from=2032-03-01"
                        "&expected_close_to=2032-04-30", token=tenant.admin_token).json
    assert ids(closing)[:2] == [deal["opportunity_id"], other["opportunity_id"]]
    in_stage = sales.get(f"/opportunities?pipeline_id={pipeline}&stage=Qualification&limit=100",
                         token=tenant.admin_token).json
    assert other["opportunity_id"] in ids(in_stage)
    assert deal["opportunity_id"] not in ids(in_stage)


def test_list_pages_with_signed_cursors(sales: ApiClient, tenant: Tenant) -> None:
    contact = "con_01J000000000000000000PAGED"
    made = [make(sales, tenant, contact_ids=[contact])["opportunity_id"] for _ in range(3)]
    first = sales.get(f"/opportunities?contact_id={contact}&limit=2",
                      token=tenant.admin_token).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = sales.get(f"/opportunities?contact_id={contact}&limit=2"
                       f"&cursor={first['next_cursor']}", token=tenant.admin_token).json
    assert sorted(ids(first) + ids(second)) == sorted(made)
    reused = sales.get(f"/opportunities?limit=2&cursor={first['next_cursor']}",
                       token=tenant.admin_token)
    assert reused.status == 400 and reused.json["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("query, field", [
    ("owner_id=usr_1&team_id=tea_1", "team_id"),
    ("stage=Won", "stage"),
    ("pipeline_id=pip_01J00000000000000000000000", "pipeline_id"),
    ("expected_close_from=soon", "expected_close_from"),
    ("expected_close_from=2030-02-01&expected_close_to=2030-01-01", "expected_close_to"),
    ("limit=500", "limit"),
])
def test_bad_list_queries_are_400_naming_the_parameter(sales: ApiClient, tenant: Tenant,
                                                       query: str, field: str) -> None:
    reply = sales.get(f"/opportunities?{query}", token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.json["errors"][0]["field"] == field


# -- roles and tenants -------------------------------------------------------------------------

def test_reps_see_their_own_deals_only(sales: ApiClient, tenants: Tenants,
                                       tenant: Tenant) -> None:
    rep = tenants.user(tenant, "sales_rep")
    rep_id = tenant.user_ids["sales_rep"]
    own = make(sales, tenant, token=rep)
    assert own["owner_id"] == rep_id
    others = make(sales, tenant)
    assert sales.get(f"/opportunities/{own['opportunity_id']}", token=rep).status == 200
    assert sales.get(f"/opportunities/{others['opportunity_id']}", token=rep).status == 404
    assert sales.patch(f"/opportunities/{others['opportunity_id']}", {"name": "mine"},
                       token=rep).status == 404
    listed = ids(sales.get("/opportunities?limit=100", token=rep).json)
    assert own["opportunity_id"] in listed and others["opportunity_id"] not in listed
    viewer = tenants.user(tenant, "viewer")
    assert sales.get(f"/opportunities/{others['opportunity_id']}", token=viewer).status == 200
    assert sales.post("/opportunities", {"name": "x"}, token=viewer).status == 403
    assert sales.delete(f"/opportunities/{others['opportunity_id']}",
                        token=viewer).status == 403


def test_another_tenant_sees_nothing(sales: ApiClient, tenants: Tenants, tenant: Tenant,
                                     runtimes: dict[str, Any]) -> None:
    deal = make(sales, tenant, contact_ids=["con_01J0000000000000000000CROS"])
    other = tenants.create("Other")
    settle(runtimes)
    path = f"/opportunities/{deal['opportunity_id']}"
    assert sales.get(path, token=other.admin_token).status == 404
    assert sales.patch(path, {"name": "x"}, token=other.admin_token).status == 404
    assert sales.delete(path, token=other.admin_token).status == 404
    assert sales.get(f"{path}/history", token=other.admin_token).status == 404
    crossed = sales.get("/opportunities?contact_id=con_01J0000000000000000000CROS",
                        token=other.admin_token).json
    assert crossed["items"] == []
    # a pipeline of another tenant is unknown here
    assert sales.post("/opportunities", {"name": "x", "pipeline_id": deal["pipeline_id"]},
                      token=other.admin_token).status == 400
    assert sales.get(path, token=tenant.admin_token).json["name"] == deal["name"]


# -- create_in: a deal inside another write's transaction --------------------------------------

def test_create_in_stages_without_committing(sales: ApiClient, tenant: Tenant) -> None:
    load_app("sales")
    logic = importlib.import_module("chalicelib.opportunities.logic")
    repository = importlib.import_module("chalicelib.opportunities.repository")
    context = importlib.import_module("crm_shared.context")
    from crm_shared.errors import ValidationFailed
    from crm_shared.ids import new_id

    principal = context.Principal(kind="user", tenant_id=tenant.tenant_id,
                                  subject=tenant.admin_user_id, roles=frozenset({"admin"}))
    deal_id = new_id("opp")
    uow = repository.unit_of_work()
    shown = logic.create_in(uow, principal, tenant.tenant_id, deal_id,
                            {"name": "Converted", "lead_id": "lea_01J00000000000000000000000",
                             "company_name": "Lovelace Ltd"})
    assert shown["opportunity_id"] == deal_id and shown["owner_id"] == tenant.admin_user_id
    assert sales.get(f"/opportunities/{deal_id}", token=tenant.admin_token).status == 404
    uow.commit()
    got = sales.get(f"/opportunities/{deal_id}", token=tenant.admin_token)
    assert got.status == 200 and got.json == shown
    with pytest.raises(ValidationFailed) as refused:
        logic.create_in(repository.unit_of_work(), None, tenant.tenant_id, new_id("opp"),
                        {"name": "No owner"})
    assert refused.value.errors[0]["field"] == "owner_id"


# -- consumers: merges and erasures from the contacts service -----------------------------------

def deliver(session: Any, tenant_id: str, event: Any, times: int = 1) -> str:
    """Put a contacts event on the bus `times` times (the same event id each time)."""
    from crm_shared.events.envelope import envelope_for

    envelope = envelope_for(event, tenant_id, "system:contacts").model_dump(mode="json")
    for _ in range(times):
        put_bus_event(session, "crm.contacts", type(event).detail_type(), {
            "metadata": envelope["metadata"], "data": envelope["data"]})
    return str(envelope["metadata"]["event_id"])


def contact_id(n: int) -> str:
    return f"con_01J{unique('').zfill(6)}{n:017d}"[:30]


def test_a_contact_merge_repoints_deals_once_even_if_delivered_twice(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    from crm_shared.events.contacts_events import ContactMerged

    loser, survivor, bystander = contact_id(1), contact_id(2), contact_id(3)
    both = make(sales, tenant, contact_ids=[loser, bystander, survivor])
    only = make(sales, tenant, contact_ids=[loser])
    untouched = make(sales, tenant, contact_ids=[bystander])
    settle(runtimes)
    deliver(session, tenant.tenant_id, ContactMerged(
        contact_id=survivor, merged_ids=[loser], contact={"contact_id": survivor}), times=2)
    settle(runtimes)
    get = lambda d: sales.get(f"/opportunities/{d['opportunity_id']}",  # noqa: E731
                              token=tenant.admin_token).json
    assert get(both)["contact_ids"] == [survivor, bystander]
    assert get(only)["contact_ids"] == [survivor] and get(only)["version"] == 2
    assert get(untouched)["version"] == 1
    assert sales.get(f"/opportunities?contact_id={loser}", token=tenant.admin_token
                     ).json["items"] == []
    moved = ids(sales.get(f"/opportunities?contact_id={survivor}",
                          token=tenant.admin_token).json)
    assert sorted(moved) == sorted([both["opportunity_id"], only["opportunity_id"]])


def test_a_merge_of_a_contact_on_many_deals_spans_transactions(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    from crm_shared.events.contacts_events import ContactMerged

    loser, survivor = contact_id(4), contact_id(5)
    deals = [make(sales, tenant, contact_ids=[loser])["opportunity_id"] for _ in range(26)]
    settle(runtimes)
    deliver(session, tenant.tenant_id, ContactMerged(
        contact_id=survivor, merged_ids=[loser], contact={}), times=2)
    settle(runtimes)
    page = sales.get(f"/opportunities?contact_id={survivor}&limit=100",
                     token=tenant.admin_token).json
    assert sorted(ids(page)) == sorted(deals)
    assert {d["version"] for d in page["items"]} == {2}
    assert [d["contact_ids"] for d in page["items"]] == [[survivor]] * len(deals)


def test_an_erased_contact_leaves_every_deal(sales: ApiClient, tenant: Tenant, session: Any,
                                             tenants: Tenants,
                                             runtimes: dict[str, Any]) -> None:
    from crm_shared.events.contacts_events import ContactErased

    erased, kept = contact_id(6), contact_id(7)
    deal = make(sales, tenant, contact_ids=[kept, erased])
    other = tenants.create("Bystander")
    settle(runtimes)
    # the same contact id erased in another tenant changes nothing here
    deliver(session, other.tenant_id, ContactErased(contact_id=erased,
                                                    erased_at="2030-01-01T00:00:00.000Z"))
    settle(runtimes)
    path = f"/opportunities/{deal['opportunity_id']}"
    assert sales.get(path, token=tenant.admin_token).json["contact_ids"] == [kept, erased]
    deliver(session, tenant.tenant_id, ContactErased(contact_id=erased,
                                                     erased_at="2030-01-01T00:00:00.000Z"))
    settle(runtimes)
    assert sales.get(path, token=tenant.admin_token).json["contact_ids"] == [kept]
    assert sales.get(f"/opportunities?contact_id={erased}", token=tenant.admin_token
                     ).json["items"] == []


def test_a_company_merge_moves_deals_to_the_survivor(sales: ApiClient, tenant: Tenant,
                                                     session: Any,
                                                     runtimes: dict[str, Any]) -> None:
    from crm_shared.events.contacts_events import CompanyMerged

    loser, survivor = "cmp_01J0000000000000000000LOSE", "cmp_01J000000000000000000WINER"
    deal = make(sales, tenant, company_id=loser, company_name="Old name")
    settle(runtimes)
    deliver(session, tenant.tenant_id, CompanyMerged(
        company_id=survivor, merged_ids=[loser], company={"name": "Survivor Inc"}), times=2)
    settle(runtimes)
    got = sales.get(f"/opportunities/{deal['opportunity_id']}", token=tenant.admin_token).json
    assert got["company_id"] == survivor and got["company_name"] == "Survivor Inc"
    assert got["version"] == 2
    assert ids(sales.get(f"/opportunities?company_id={survivor}",
                         token=tenant.admin_token).json) == [deal["opportunity_id"]]
    assert sales.get(f"/opportunities?company_id={loser}",
                     token=tenant.admin_token).json["items"] == []
