"""Approvals: discounts above the tenant's threshold (or matching a rule) wait for the owner's
manager, or any admin when no one manages the owner; decisions are once, by the approver."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle

TABLE = "crm-test-sales"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def team(tenants: Tenants, tenant: Tenant, platform: ApiClient,
         runtimes: dict[str, Any]) -> dict[str, str]:
    """A rep managed by a manager (the directory learns it from the platform's events)."""
    rep = tenants.user(tenant, "sales_rep")
    manager = tenants.user(tenant, "manager")
    made = platform.post("/teams", {"name": "East", "manager_id": tenant.user_ids["manager"],
                                    "member_ids": [tenant.user_ids["sales_rep"]]},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    settle(runtimes)
    return {"rep": rep, "rep_id": tenant.user_ids["sales_rep"], "manager": manager,
            "manager_id": tenant.user_ids["manager"], "team_id": made.json["team_id"]}


@pytest.fixture(scope="module")
def product_id(sales: ApiClient, tenant: Tenant) -> str:
    reply = sales.post("/products", {"name": "GTX Pro", "price": {"amount": 479_500,
                                                                  "currency": "USD"}},
                       token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["product_id"])


def outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    """Unpublished sales outbox items of a type, oldest first (a test-only Scan)."""
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    found = [json.loads(i["detail"]["S"]) for page in pages for i in page["Items"]
             if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
             and i["detail_type"]["S"] == detail_type]
    return [e["data"] for e in sorted(found, key=lambda e: e["metadata"]["event_id"])]


def deal(sales: ApiClient, token: str, product_id: str, discount: float,
         **fields: Any) -> dict[str, Any]:
    reply = sales.post("/opportunities", {
        "name": unique("Deal "), "stage": "Negotiation",
        "product_lines": [{"product_id": product_id, "discount_percent": discount}],
        **fields}, token=token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def approvals_of(sales: ApiClient, token: str, opportunity_id: str) -> list[dict[str, Any]]:
    reply = sales.get(f"/approvals?subject_id={opportunity_id}&approver=any&status=pending",
                      token=token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


def test_a_discount_above_the_threshold_waits_for_the_managers_approval(
        sales: ApiClient, tenant: Tenant, team: dict[str, str], product_id: str,
        session: Any, runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    small = deal(sales, team["rep"], product_id, 20)
    assert small["approval_status"] == "none"
    big = deal(sales, team["rep"], product_id, 25)
    assert big["approval_status"] == "pending"
    mine = sales.get("/approvals?approver=me&status=pending", token=team["manager"])
    assert mine.status == 200, mine.json
    [approval] = [a for a in mine.json["items"] if a["subject_id"] == big["opportunity_id"]]
    assert approval["approver_id"] == team["manager_id"]
    assert approval["requested_by"] == team["rep_id"]
    assert approval["subject_type"] == "opportunity" and approval["status"] == "pending"
    assert "25%" in approval["reason"] and "20%" in approval["reason"]
    assert sales.get("/approvals?approver=me", token=team["rep"]).json["items"] == []
    [requested] = outbox(session, tenant.tenant_id, "ApprovalRequested")
    assert requested["approval_id"] == approval["approval_id"]
    assert requested["approver_id"] == team["manager_id"]


def test_only_the_approver_or_an_admin_decides_and_only_once(
        sales: ApiClient, tenants: Tenants, tenant: Tenant, team: dict[str, str],
        product_id: str, session: Any, runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    opp = deal(sales, team["rep"], product_id, 30)
    [approval] = approvals_of(sales, tenant.admin_token, opp["opportunity_id"])
    path = f"/approvals/{approval['approval_id']}"
    by_rep = sales.post(f"{path}/approve", {}, token=team["rep"])
    assert by_rep.status == 403 and by_rep.json["errors"][0]["field"] == "approver_id"
    # a manager who is not the approver
    other_manager = tenants.platform.post("/users", {"email": f"{unique('m-')}@example.com",
                                                     "roles": ["manager"]},
                                          token=tenant.admin_token).json
    token = tenants.login(other_manager["email"], other_manager["temporary_password"])
    assert sales.post(f"{path}/approve", {}, token=token).status == 403
    approved = sales.post(f"{path}/approve", {"comment": "strategic account"},
                          token=team["manager"])
    assert approved.status == 200, approved.json
    assert approved.json["status"] == "approved"
    assert approved.json["decided_by"] == team["manager_id"]
    assert approved.json["comment"] == "strategic account"
    again = sales.post(f"{path}/reject", {}, token=tenant.admin_token)
    assert again.status == 409 and again.json["errors"][0]["field"] == "status"
    got = sales.get(f"/opportunities/{opp['opportunity_id']}", token=team["rep"]).json
    assert got["approval_status"] == "approved" and got["version"] == 2
    [decided] = outbox(session, tenant.tenant_id, "ApprovalDecided")
    assert decided["decision"] == "approved" and decided["subject_id"] == opp["opportunity_id"]
    [updated] = outbox(session, tenant.tenant_id, "OpportunityUpdated")
    assert updated["changed"] == ["approval_status"]


def test_a_pending_deal_cannot_be_won_until_approved(sales: ApiClient, tenant: Tenant,
                                                     team: dict[str, str],
                                                     product_id: str) -> None:
    opp = deal(sales, team["rep"], product_id, 40)
    path = f"/opportunities/{opp['opportunity_id']}"
    refused = sales.patch(path, {"stage": "Won"}, token=team["rep"])
    assert refused.status == 409 and refused.json["errors"][0]["field"] == "stage"
    history = sales.get(f"{path}/history", token=team["rep"]).json["items"]
    assert [h["stage"] for h in history] == ["Negotiation"]
    assert sales.patch(path, {"stage": "Lost"}, token=team["rep"]).status == 200
    born_won = sales.post("/opportunities", {
        "name": "Won at once", "stage": "Won",
        "product_lines": [{"product_id": product_id, "discount_percent": 50}]},
        token=team["rep"])
    assert born_won.status == 409 and born_won.json["errors"][0]["field"] == "stage"
    [approval] = approvals_of(sales, tenant.admin_token, opp["opportunity_id"])
    assert sales.post(f"/approvals/{approval['approval_id']}/approve", {},
                      token=team["manager"]).status == 200
    won = sales.patch(path, {"stage": "Won"}, token=team["rep"])
    assert won.status == 200 and won.json["approval_status"] == "approved"


def test_rejection_is_recorded_on_the_deal(sales: ApiClient, tenant: Tenant,
                                           team: dict[str, str], product_id: str) -> None:
    opp = deal(sales, team["rep"], product_id, 0, discount_percent=35)
    assert opp["approval_status"] == "pending"
    [approval] = approvals_of(sales, tenant.admin_token, opp["opportunity_id"])
    rejected = sales.post(f"/approvals/{approval['approval_id']}/reject",
                          {"comment": "too deep"}, token=team["manager"])
    assert rejected.status == 200 and rejected.json["status"] == "rejected"
    path = f"/opportunities/{opp['opportunity_id']}"
    assert sales.get(path, token=team["rep"]).json["approval_status"] == "rejected"
    # a new discount asks again; a smaller one than the threshold does not
    lower = sales.patch(path, {"discount_percent": 10}, token=team["rep"]).json
    assert lower["approval_status"] == "rejected"
    higher = sales.patch(path, {"discount_percent": 30}, token=team["rep"]).json
    assert higher["approval_status"] == "pending"
    listed = sales.get(f"/approvals?subject_id={opp['opportunity_id']}&approver=any"
                       "&status=rejected", token=tenant.admin_token).json["items"]
    assert [a["approval_id"] for a in listed] == [approval["approval_id"]]


def test_without_a_manager_any_admin_approves(sales: ApiClient, tenant: Tenant,
                                              team: dict[str, str], product_id: str) -> None:
    opp = deal(sales, tenant.admin_token, product_id, 60)
    pool = sales.get("/approvals?approver=admins", token=tenant.admin_token).json["items"]
    [approval] = [a for a in pool if a["subject_id"] == opp["opportunity_id"]]
    assert approval["approver_id"] is None
    denied = sales.post(f"/approvals/{approval['approval_id']}/approve", {},
                        token=team["manager"])
    assert denied.status == 403 and denied.json["errors"][0]["field"] == "approver_id"
    assert sales.post(f"/approvals/{approval['approval_id']}/approve", {},
                      token=tenant.admin_token).status == 200


def test_settings_set_the_threshold_and_rules(sales: ApiClient, tenants: Tenants,
                                              product_id: str, runtimes: dict[str, Any]) -> None:
    own = tenants.create("Policy Co")
    settle(runtimes)
    product = sales.post("/products", {"name": "MG", "price": {"amount": 5000,
                                                               "currency": "USD"}},
                         token=own.admin_token).json["product_id"]
    defaults = sales.get("/approvals/settings", token=own.admin_token).json
    assert defaults == {"discount_threshold": 20, "rules": [], "version": 0}
    rule = {"name": "big deals", "filter_groups": [{"filters": [
        {"field": "amount.amount", "operator": "gte", "value": 1_000_000}]}]}
    put = sales.request("PUT", "/approvals/settings",
                        {"discount_threshold": 50, "rules": [rule]}, token=own.admin_token)
    assert put.status == 200, put.json
    assert put.json["discount_threshold"] == 50 and put.json["version"] == 1
    assert deal(sales, own.admin_token, product, 45)["approval_status"] == "none"
    assert deal(sales, own.admin_token, product, 55)["approval_status"] == "pending"
    big = sales.post("/opportunities", {"name": "Big", "amount": {"amount": 2_000_000,
                                                                   "currency": "USD"}},
                     token=own.admin_token).json
    assert big["approval_status"] == "pending"
    [approval] = approvals_of(sales, own.admin_token, big["opportunity_id"])
    assert approval["reason"] == "rule 'big deals' matches"
    stale = sales.request("PUT", "/approvals/settings", {"discount_threshold": 10},
                          token=own.admin_token, headers={"If-Match": '"0"'})
    assert stale.status == 412
    manager = tenants.user(own, "manager")
    assert sales.request("PUT", "/approvals/settings", {"discount_threshold": 5},
                         token=manager).status == 403


@pytest.mark.parametrize("body, field", [
    ({"discount_threshold": 101}, "discount_threshold"),
    ({"discount_threshold": "high"}, "discount_threshold"),
    ({"rules": [{"name": "x", "filter_groups": [{"filters": [
        {"field": "password", "operator": "eq", "value": 1}]}]}]}, "rules[0].filter_groups"),
    ({"rules": [{"name": "x", "filter_groups": [{"filters": [
        {"field": "amount.amount", "operator": "near", "value": 1}]}]}]},
     "rules[0].filter_groups[0].filters[0].operator"),
    ({"rules": [{"name": "x", "filter_groups": []}]}, "rules[0].filter_groups"),
])
def test_bad_settings_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                               body: dict[str, Any], field: str) -> None:
    reply = sales.request("PUT", "/approvals/settings", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_other_services_request_generic_approvals(sales: ApiClient, tenant: Tenant,
                                                  team: dict[str, str], session: Any,
                                                  runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    made = sales.post("/approvals", {"subject_type": "refund", "subject_id": "ret_42",
                                     "reason": "refund above the agent's limit",
                                     "approver_id": team["manager_id"]},
                      token=tenant.admin_token)
    assert made.status == 201, made.json
    approval = made.json
    assert made.header("Location") == f"/approvals/{approval['approval_id']}"
    assert approval["requested_by"] == tenant.admin_user_id
    got = sales.get(f"/approvals/{approval['approval_id']}", token=team["manager"])
    assert got.status == 200 and got.json == approval
    assert sales.get(f"/approvals/{approval['approval_id']}", token=team["rep"]).status == 404
    decided = sales.post(f"/approvals/{approval['approval_id']}/reject", {},
                         token=team["manager"])
    assert decided.status == 200 and decided.json["status"] == "rejected"
    [requested] = outbox(session, tenant.tenant_id, "ApprovalRequested")
    assert requested["subject_type"] == "refund"
    by_rep = sales.post("/approvals", {"subject_type": "refund", "subject_id": "ret_43",
                                       "reason": "x"}, token=team["rep"])
    assert by_rep.status == 403


def test_an_approval_asked_for_a_deal_marks_it_pending(sales: ApiClient, tenant: Tenant,
                                                       team: dict[str, str]) -> None:
    opp = sales.post("/opportunities", {"name": "Ask me"}, token=team["rep"]).json
    made = sales.post("/approvals", {"subject_type": "opportunity",
                                     "subject_id": opp["opportunity_id"],
                                     "reason": "unusual terms"}, token=team["manager"])
    assert made.status == 201, made.json
    path = f"/opportunities/{opp['opportunity_id']}"
    assert sales.get(path, token=team["rep"]).json["approval_status"] == "pending"
    twice = sales.post("/approvals", {"subject_type": "opportunity",
                                      "subject_id": opp["opportunity_id"], "reason": "again"},
                       token=team["manager"])
    assert twice.status == 409 and twice.json["errors"][0]["field"] == "subject_id"
    unknown = sales.post("/approvals", {"subject_type": "opportunity",
                                        "subject_id": "opp_01J00000000000000000000000",
                                        "reason": "?"}, token=team["manager"])
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "subject_id"
    assert approvals_of(sales, tenant.admin_token, "opp_01J00000000000000000000000") == []


@pytest.mark.parametrize("query, field, status", [
    ("status=done", "status", 400),
    ("approver=bob", "approver", 400),
    ("approver=any", "approver", 403),
    ("approver=admins", "approver", 403),
])
def test_bad_list_queries_name_the_parameter(sales: ApiClient, team: dict[str, str],
                                             query: str, field: str, status: int) -> None:
    reply = sales.get(f"/approvals?{query}", token=team["rep"])
    assert reply.status == status, reply.json
    assert reply.json["errors"][0]["field"] == field


@pytest.mark.parametrize("body, field", [
    ({"subject_type": "Refund!", "subject_id": "x", "reason": "r"}, "subject_type"),
    ({"subject_type": "refund", "subject_id": "", "reason": "r"}, "subject_id"),
    ({"subject_type": "refund", "subject_id": "x"}, "reason"),
    ({"subject_type": "refund", "subject_id": "x", "reason": "r", "approver_id": "me"},
     "approver_id"),
])
def test_bad_requests_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                               body: dict[str, Any], field: str) -> None:
    reply = sales.post("/approvals", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_another_tenant_cannot_see_or_decide(sales: ApiClient, tenants: Tenants,
                                             tenant: Tenant, team: dict[str, str],
                                             product_id: str) -> None:
    opp = deal(sales, team["rep"], product_id, 70)
    [approval] = approvals_of(sales, tenant.admin_token, opp["opportunity_id"])
    other = tenants.create("Elsewhere")
    path = f"/approvals/{approval['approval_id']}"
    assert sales.get(path, token=other.admin_token).status == 404
    assert sales.post(f"{path}/approve", {}, token=other.admin_token).status == 404
    assert sales.get(f"/approvals?subject_id={opp['opportunity_id']}&approver=any",
                     token=other.admin_token).json["items"] == []
    assert sales.get(path, token=tenant.admin_token).json["status"] == "pending"
