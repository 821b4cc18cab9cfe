"""Contracts: validation naming the field, notices at the tenant's periods (each once, the
first with a renewal opportunity and a task for the owner), renewals and ends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.ids import new_id
from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    yield
    clock.reset()


def day(offset: int) -> str:
    return (clock.now() + timedelta(days=offset)).date().isoformat()


def make(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/contracts", {
        "name": "Support plan", "company_id": new_id("cmp"), "start_date": day(-300),
        "end_date": day(65), "value": {"amount": 120000, "currency": "USD"},
        "contact_ids": [new_id("con")], "status": "active", **fields},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


@pytest.mark.parametrize("fields, field", [
    ({"end_date": "2030-01-01", "start_date": "2030-02-01"}, "end_date"),
    ({"value": {"amount": 5, "currency": "EURO"}}, "value.currency"),
    ({"billing_period": "weekly"}, "billing_period"),
    ({"company_id": "acme"}, "company_id"),
    ({"contact_ids": ["bob"]}, "contact_ids"),
    ({"status": "renewed"}, "status"),
    ({"start_date": "someday"}, "start_date"),
])
def test_bad_contracts_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                                fields: dict[str, Any], field: str) -> None:
    body = {"name": "x", "company_id": new_id("cmp"), "start_date": "2030-01-01",
            "end_date": "2030-12-31", "value": {"amount": 1, "currency": "USD"}, **fields}
    reply = sales.post("/contracts", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_create_read_patch_and_list(sales: ApiClient, tenant: Tenant) -> None:
    contract = make(sales, tenant, status="draft", billing_period="monthly")
    assert contract["contract_id"].startswith("ctr_")
    assert contract["owner_id"] == tenant.admin_user_id and contract["status"] == "draft"
    path = f"/contracts/{contract['contract_id']}"
    assert sales.get(path, token=tenant.admin_token).json == contract
    bad = sales.patch(path, {"end_date": "2000-01-01"}, token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "end_date"
    active = sales.patch(path, {"status": "active"}, token=tenant.admin_token)
    assert active.status == 200 and active.json["version"] == 2
    back = sales.patch(path, {"status": "draft"}, token=tenant.admin_token)
    assert back.status == 409 and back.json["errors"][0]["field"] == "status"
    by_company = sales.get(f"/contracts?company_id={contract['company_id']}",
                           token=tenant.admin_token).json["items"]
    assert [c["contract_id"] for c in by_company] == [contract["contract_id"]]
    assert sales.get("/contracts?company_id=a&status=b", token=tenant.admin_token).status == 400


def test_notices_come_once_each_and_the_first_opens_a_renewal(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any],
        frozen_clock: None) -> None:
    assert sales.get("/contracts/settings", token=tenant.admin_token).json == {
        "notice_days": [90, 30, 7]}
    put = sales.request("PUT", "/contracts/settings", {"notice_days": [7, 60, 30]},
                        token=tenant.admin_token)
    assert put.json == {"notice_days": [60, 30, 7]}
    bad = sales.request("PUT", "/contracts/settings", {"notice_days": [0]},
                        token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "notice_days"
    settle(runtimes)
    contract = make(sales, tenant)  # ends in 65 days

    def notices() -> list[dict[str, Any]]:
        return [e for e in outbox(session, tenant.tenant_id, "ContractExpiring")
                if e["contract_id"] == contract["contract_id"]]

    runtimes["sales"].tick()
    assert notices() == []
    clock.advance(6 * 24 * 3600)  # 59 days left: the 60-day notice
    runtimes["sales"].tick()
    runtimes["sales"].tick()
    [first] = notices()
    assert first["days_before"] == 60 and first["owner_id"] == tenant.admin_user_id
    assert first["renewal_opportunity_id"] and first["task_id"]
    opportunity = sales.get(f"/opportunities/{first['renewal_opportunity_id']}",
                            token=tenant.admin_token).json
    assert opportunity["name"] == "Renewal: Support plan"
    assert opportunity["company_id"] == contract["company_id"]
    task = sales.get(f"/tasks/{first['task_id']}", token=tenant.admin_token).json
    assert task["assignee_id"] == tenant.admin_user_id
    read = sales.get(f"/contracts/{contract['contract_id']}", token=tenant.admin_token).json
    assert read["notices_sent"] == [60]
    assert read["renewal_opportunity_id"] == first["renewal_opportunity_id"]
    clock.advance(30 * 24 * 3600)  # 29 days left
    runtimes["sales"].tick()
    assert [n["days_before"] for n in notices()] == [60, 30]
    assert notices()[1]["renewal_opportunity_id"] is None, "one renewal opportunity"
    clock.advance(40 * 24 * 3600)  # past the end: expired
    runtimes["sales"].tick()
    assert [n["days_before"] for n in notices()] == [60, 30], "7 came too late: not sent"
    read = sales.get(f"/contracts/{contract['contract_id']}", token=tenant.admin_token).json
    assert read["status"] == "expired"


def test_renew_and_end(sales: ApiClient, tenant: Tenant, session: Any,
                       runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    contract = make(sales, tenant, start_date="2031-01-01", end_date="2031-12-31")
    path = f"/contracts/{contract['contract_id']}"
    early = sales.post(f"{path}/renew", {"end_date": "2031-06-01"}, token=tenant.admin_token)
    assert early.status == 422 and early.json["errors"][0]["field"] == "end_date"
    renewed = sales.post(f"{path}/renew", {}, token=tenant.admin_token)
    assert renewed.status == 201
    assert (renewed.json["start_date"], renewed.json["end_date"]) == ("2032-01-01",
                                                                      "2032-12-31")
    assert renewed.json["renewed_from"] == contract["contract_id"]
    old = sales.get(path, token=tenant.admin_token).json
    assert old["status"] == "renewed" and old["renewed_by"] == renewed.json["contract_id"]
    [event] = [e for e in outbox(session, tenant.tenant_id, "ContractRenewed")
               if e["contract"]["renewed_from"] == contract["contract_id"]]
    assert event["previous_end_date"] == "2031-12-31" and event["end_date"] == "2032-12-31"
    again = sales.post(f"{path}/renew", {}, token=tenant.admin_token)
    assert again.status == 409 and again.json["errors"][0]["field"] == "status"
    new_path = f"/contracts/{renewed.json['contract_id']}"
    ended = sales.post(f"{new_path}/end", {"reason": "switched vendor"},
                       token=tenant.admin_token)
    assert ended.status == 200 and ended.json["status"] == "ended"
    [gone] = [e for e in outbox(session, tenant.tenant_id, "ContractEnded")
              if e["contract_id"] == renewed.json["contract_id"]]
    assert gone["reason"] == "switched vendor"
    assert sales.post(f"{new_path}/end", {}, token=tenant.admin_token).status == 409
    assert sales.patch(new_path, {"name": "x"}, token=tenant.admin_token).status == 409


def test_roles_and_tenants(sales: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    contract = make(sales, tenant)
    path = f"/contracts/{contract['contract_id']}"
    viewer = tenants.user(tenant, "viewer")
    assert sales.get(path, token=viewer).status == 200
    assert sales.post(f"{path}/end", {}, token=viewer).status == 403
    assert sales.request("PUT", "/contracts/settings", {"notice_days": [5]},
                         token=tenants.user(tenant, "manager")).status == 403
    other = tenants.create("Other")
    for reply in (sales.get(path, token=other.admin_token),
                  sales.post(f"{path}/renew", {}, token=other.admin_token),
                  sales.post(f"{path}/end", {}, token=other.admin_token),
                  sales.patch(path, {"name": "x"}, token=other.admin_token)):
        assert reply.status == 404
    assert sales.get(path, token=tenant.admin_token).json["status"] == "active"


def of_company(sales: ApiClient, tenant: Tenant, company: str) -> dict[str, dict[str, Any]]:
    """The company's contracts by id, all on one page."""
    page = sales.get(f"/contracts?company_id={company}&limit=100", token=tenant.admin_token).json
    assert page["next_cursor"] is None
    return {c["contract_id"]: c for c in page["items"]}


def test_a_merge_moves_every_contract_once_however_many(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    """More contracts than one page of links (and than the event's transaction holds) all
    name the survivor, each changed once though the event is delivered again and again."""
    from crm_shared.events.contacts_events import ContactMerged
    from tests.api.sales.test_orders import deliver
    from tests.support.services import load_app

    loser, survivor, company = new_id("con"), new_id("con"), new_id("cmp")
    made = [make(sales, tenant, company_id=company,
                 contact_ids=[loser, survivor] if n == 0 else [loser])["contract_id"]
            for n in range(12)]
    settle(runtimes)
    merged = ContactMerged(contact_id=survivor, merged_ids=[loser],
                           contact={"contact_id": survivor})
    deliver(session, tenant.tenant_id, merged, 2)
    settle(runtimes)

    moved = of_company(sales, tenant, company)
    assert sorted(moved) == sorted(made)
    assert all(c["contact_ids"] == [survivor] for c in moved.values())
    assert {c["version"] for c in moved.values()} == {2}, "each contract moved once"
    load_app("sales")
    from chalicelib.contracts import repository

    assert repository.contract_ids_of_contact(tenant.tenant_id, loser, 100, None) == ([], None)
    assert sorted(repository.contract_ids_of_contact(tenant.tenant_id, survivor, 100, None)[0]
                  ) == sorted(made)
    deliver(session, tenant.tenant_id, merged)  # once more, after it was handled
    settle(runtimes)
    assert of_company(sales, tenant, company) == moved, "a redelivered merge changes nothing"



def raw_items_holding(aws: dict[str, Any], session: Any, kind: str, needle: str
                      ) -> list[str]:
    """The keys of every item of the sales table whose key names `kind` (`#<kind>`) and
    that holds `needle` anywhere: a Scan of the raw items (tests only)."""
    import json

    table = aws["services"]["sales"]["table_name"]
    return [f"{item['PK']['S']} {item['SK']['S']}"
            for page in session.client("dynamodb").get_paginator("scan").paginate(
                TableName=table)
            for item in page["Items"]
            if f"#{kind}" in item["PK"]["S"] and needle in json.dumps(item)]


def test_an_erasure_unlinks_every_contract_once_however_many(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any],
        aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """More contracts than one page of the erased contact's links, in more than one chunk,
    all lose the erased id and its links (no item of the table holds it), each changed once
    though the event is delivered again and again; the contracts and other contacts stay."""
    from crm_shared.events.contacts_events import ContactErased
    from tests.api.sales.test_orders import deliver
    from tests.support.services import load_app

    load_app("sales")
    from chalicelib.contracts import handlers, repository

    monkeypatch.setattr(handlers, "PAGE", 4)  # 12 links: 3 pages and the end
    monkeypatch.setattr(handlers, "CHUNK_ITEMS", 10)  # 5 contracts a transaction
    erased, kept, company = new_id("con"), new_id("con"), new_id("cmp")
    made = [make(sales, tenant, company_id=company,
                 contact_ids=[erased, kept] if n % 3 == 0 else [erased])["contract_id"]
            for n in range(12)]
    settle(runtimes)
    assert len(raw_items_holding(aws, session, "CONTRACT", erased)) == 24, \
        "a record and a link each"
    erasure = ContactErased(contact_id=erased, erased_at="2031-01-01T00:00:00Z")
    deliver(session, tenant.tenant_id, erasure, 2)
    settle(runtimes)

    unlinked = of_company(sales, tenant, company)
    assert sorted(unlinked) == sorted(made), "the contracts themselves stay"
    assert {c["contract_id"] for c in unlinked.values() if c["contact_ids"] == [kept]} == \
        set(made[::3])
    assert all(c["contact_ids"] == [] for n, c in enumerate(unlinked[i] for i in made)
               if n % 3)
    assert {c["version"] for c in unlinked.values()} == {2}, "each contract changed once"
    assert raw_items_holding(aws, session, "CONTRACT", erased) == []
    assert repository.contract_ids_of_contact(tenant.tenant_id, erased, 100, None) == ([], None)
    assert sorted(repository.contract_ids_of_contact(tenant.tenant_id, kept, 100, None)[0]
                  ) == sorted(made[::3])
    deliver(session, tenant.tenant_id, erasure)  # once more, after it was handled
    settle(runtimes)
    assert of_company(sales, tenant, company) == unlinked, "a redelivered erasure changes nothing"
