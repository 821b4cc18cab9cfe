"""Leads: CRUD, normalization, duplicate emails, the status flow, lists, visibility, events."""

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


def email() -> str:
    return f"{unique('lead-')}@example.com"


def make(sales: ApiClient, tenant: Tenant, token: str | None = None, **fields: Any) -> Any:
    reply = sales.post("/leads", {"name": "Ada Lovelace", "email": email(), **fields},
                       token=token or tenant.admin_token)
    assert reply.status == 201, reply.json
    return reply.json


def test_create_normalizes_and_reads_back(sales: ApiClient, tenant: Tenant) -> None:
    reply = sales.post("/leads", {
        "name": "Grace Hopper", "email": "  Grace.Hopper@Navy.MIL ", "phone": "(415) 555-0100",
        "company_name": "Navy", "company_size": "51-200", "industry": "Defense",
        "source": "Web", "utm": {"source": "google", "medium": "cpc", "campaign": "q3"},
        "notes": "met at a talk"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    lead = reply.json
    assert lead["lead_id"].startswith("lea_") and lead["status"] == "new"
    assert lead["email"] == "grace.hopper@navy.mil" and lead["phone"] == "+14155550100"
    assert lead["source"] == "web" and lead["utm"] == {"source": "google", "medium": "cpc",
                                                       "campaign": "q3"}
    assert lead["duplicate_of"] is None and lead["assignment_status"] == "pending"
    assert reply.header("Location") == f"/leads/{lead['lead_id']}"
    assert reply.header("ETag") == '"1"'
    read = sales.get(f"/leads/{lead['lead_id']}", token=tenant.admin_token)
    assert read.status == 200 and read.json == lead


def test_a_second_open_lead_with_the_email_is_flagged_or_refused(sales: ApiClient,
                                                                 tenant: Tenant) -> None:
    first = make(sales, tenant)
    again = sales.post("/leads", {"name": "Ada again", "email": first["email"].upper()},
                       token=tenant.admin_token)
    assert again.status == 201, again.json
    assert again.json["duplicate_of"] == first["lead_id"]
    refused = sales.post("/leads?on_duplicate=reject", {"email": first["email"]},
                         token=tenant.admin_token)
    assert refused.status == 409, refused.json
    [error] = refused.json["errors"]
    assert error["field"] == "email" and error["existing_id"] == first["lead_id"]
    # once the first lead is disqualified the email is free again
    lead_id = first["lead_id"]
    for status in ("working", "disqualified"):
        assert sales.patch(f"/leads/{lead_id}", {"status": status},
                           token=tenant.admin_token).status == 200
    fresh = sales.post("/leads?on_duplicate=reject", {"email": first["email"]},
                       token=tenant.admin_token)
    assert fresh.status == 201 and fresh.json["duplicate_of"] is None
    # deleting frees it too
    assert sales.delete(f"/leads/{fresh.json['lead_id']}", token=tenant.admin_token).status == 204
    assert sales.post("/leads?on_duplicate=reject", {"email": first["email"]},
                      token=tenant.admin_token).status == 201


def test_other_tenants_emails_are_not_duplicates(sales: ApiClient, tenants: Tenants,
                                                tenant: Tenant) -> None:
    first = make(sales, tenant)
    other = tenants.create("Other")
    reply = sales.post("/leads?on_duplicate=reject", {"email": first["email"]},
                       token=other.admin_token)
    assert reply.status == 201 and reply.json["duplicate_of"] is None
    assert sales.get(f"/leads/{first['lead_id']}", token=other.admin_token).status == 404
    assert sales.patch(f"/leads/{first['lead_id']}", {"name": "x"},
                       token=other.admin_token).status == 404
    assert sales.delete(f"/leads/{first['lead_id']}", token=other.admin_token).status == 404


def test_status_flow(sales: ApiClient, tenant: Tenant) -> None:
    lead_id = make(sales, tenant)["lead_id"]
    bad = sales.patch(f"/leads/{lead_id}", {"status": "qualified"}, token=tenant.admin_token)
    assert bad.status == 409 and bad.json["errors"][0]["field"] == "status"
    assert sales.patch(f"/leads/{lead_id}", {"status": "working"},
                       token=tenant.admin_token).json["status"] == "working"
    assert sales.patch(f"/leads/{lead_id}", {"status": "qualified"},
                       token=tenant.admin_token).json["status"] == "qualified"
    converted = sales.patch(f"/leads/{lead_id}", {"status": "converted"},
                            token=tenant.admin_token)
    assert converted.status == 422 and converted.json["errors"][0]["field"] == "status"
    cleared = sales.patch(f"/leads/{lead_id}", {"status": None}, token=tenant.admin_token)
    assert cleared.status == 422 and cleared.json["errors"][0]["field"] == "status"


def test_if_match(sales: ApiClient, tenant: Tenant) -> None:
    lead_id = make(sales, tenant)["lead_id"]
    first = sales.patch(f"/leads/{lead_id}", {"notes": "one"}, token=tenant.admin_token,
                        headers={"If-Match": '"1"'})
    assert first.status == 200 and first.header("ETag") == '"2"'
    stale = sales.patch(f"/leads/{lead_id}", {"notes": "two"}, token=tenant.admin_token,
                        headers={"If-Match": '"1"'})
    assert stale.status == 412
    garbage = sales.patch(f"/leads/{lead_id}", {"notes": "two"}, token=tenant.admin_token,
                          headers={"If-Match": "yesterday"})
    assert garbage.status == 412 and garbage.json["errors"][0]["field"] == "If-Match"
    assert sales.get(f"/leads/{lead_id}", token=tenant.admin_token).json["notes"] == "one"


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email"}, "email"),
    ({"name": "x", "phone": "12"}, "phone"),
    ({"name": "x", "phone": "+1 415 555"}, "phone"),
    ({"company_name": "Acme"}, "name"),
    ({"name": "x", "company_size": "huge"}, "company_size"),
    ({"name": "x", "status": "qualified"}, "status"),
    ({"name": "x", "owner_id": "bob"}, "owner_id"),
    ({"name": "x", "utm": {"source": "g", "channel": "x"}}, "utm.channel"),
    ({"name": "x", "source": "!!"}, "source"),
    ({"name": "x", "score": 5}, "score"),
    ({"name": ""}, "name"),
])
def test_bad_leads_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                            body: dict[str, Any], field: str) -> None:
    reply = sales.post("/leads", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_bad_requests_are_400(sales: ApiClient, tenant: Tenant) -> None:
    assert sales.post("/leads", raw=b"{nope", token=tenant.admin_token).status == 400
    reply = sales.post("/leads?on_duplicate=maybe", {"name": "x"}, token=tenant.admin_token)
    assert reply.status == 400 and reply.json["errors"][0]["field"] == "on_duplicate"
    reply = sales.get("/leads?status=new&source=web", token=tenant.admin_token)
    assert reply.status == 400
    reply = sales.get("/leads?status=lost", token=tenant.admin_token)
    assert reply.status == 400 and reply.json["errors"][0]["field"] == "status"
    reply = sales.get("/leads?cursor=forged", token=tenant.admin_token)
    assert reply.status == 400 and reply.json["errors"][0]["field"] == "cursor"
    assert sales.get("/leads/lea_nope", token=tenant.admin_token).status == 404


def test_lists_by_owner_status_and_source_page_with_cursors(sales: ApiClient, tenants: Tenants,
                                                            tenant: Tenant) -> None:
    tenants.user(tenant, "sales_rep")
    rep_id = tenant.user_ids["sales_rep"]
    source = unique("fair")
    made = [make(sales, tenant, source=source, owner_id=rep_id)["lead_id"] for _ in range(3)]
    page = sales.get(f"/leads?source={source}&limit=2", token=tenant.admin_token).json
    assert [i["lead_id"] for i in page["items"]] == made[::-1][:2]
    rest = sales.get(f"/leads?source={source.upper()}&limit=2&cursor={page['next_cursor']}",
                     token=tenant.admin_token).json
    assert [i["lead_id"] for i in rest["items"]] == [made[0]]
    mine = sales.get("/leads?owner_id=me", token=tenants.user(tenant, "sales_rep")).json
    assert set(made) <= {i["lead_id"] for i in mine["items"]}
    sales.patch(f"/leads/{made[0]}", {"status": "working"}, token=tenant.admin_token)
    working = sales.get("/leads?status=working&limit=100", token=tenant.admin_token).json
    assert made[0] in [i["lead_id"] for i in working["items"]]
    assert made[1] not in [i["lead_id"] for i in working["items"]]


def test_reps_see_their_own_and_viewers_cannot_write(sales: ApiClient, tenants: Tenants,
                                                     tenant: Tenant) -> None:
    rep = tenants.user(tenant, "sales_rep")
    others = make(sales, tenant, owner_id=tenant.admin_user_id)["lead_id"]
    assert sales.get(f"/leads/{others}", token=rep).status == 404
    assert sales.patch(f"/leads/{others}", {"notes": "x"}, token=rep).status == 404
    own = make(sales, tenant, token=rep)["lead_id"]
    assert sales.get(f"/leads/{own}", token=rep).status == 200
    listed = {i["lead_id"] for i in sales.get("/leads?limit=100", token=rep).json["items"]}
    assert own in listed and others not in listed
    viewer = tenants.user(tenant, "viewer")
    assert sales.post("/leads", {"name": "x"}, token=viewer).status == 403
    assert sales.get(f"/leads/{others}", token=viewer).status == 200


def outbox(session: Any, tenant_id: str, detail_type: str,
           whole: bool = False) -> list[dict[str, Any]]:
    """The sales outbox items of a type not yet published (a Scan, in a test, to look
    behind the API), their data or `whole` envelopes; `settle` publishes and clears them."""
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    found = [json.loads(i["detail"]["S"]) for page in pages for i in page["Items"]
             if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
             and i["detail_type"]["S"] == detail_type]
    ordered = sorted(found, key=lambda e: e["metadata"]["event_id"])
    return ordered if whole else [e["data"] for e in ordered]


def test_events_carry_the_lead(sales: ApiClient, tenant: Tenant, session: Any,
                               runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    lead = make(sales, tenant)
    sales.patch(f"/leads/{lead['lead_id']}", {"company_name": "Analytical Engines"},
                token=tenant.admin_token)
    sales.delete(f"/leads/{lead['lead_id']}", token=tenant.admin_token)
    [created] = outbox(session, tenant.tenant_id, "LeadCreated")
    [updated] = outbox(session, tenant.tenant_id, "LeadUpdated")
    [deleted] = outbox(session, tenant.tenant_id, "LeadDeleted")
    assert created["lead"] == lead
    assert updated["changed"] == ["company_name"] and updated["lead"]["version"] == 2
    assert deleted["lead_id"] == lead["lead_id"]
