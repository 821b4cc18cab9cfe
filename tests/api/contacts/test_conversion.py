"""LeadConverted from sales: the contact and company under sales' ids, once, never twice."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_shared.events.envelope import envelope_for
from crm_shared.events.sales_events import LeadConverted
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.services import load_app

TABLE = "crm-test-contacts"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    """The contacts outbox items of a type (a Scan, in a test, to look behind the API)."""
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    return [json.loads(i["detail"]["S"])["data"] for page in pages for i in page["Items"]
            if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
            and i["detail_type"]["S"] == detail_type]


def converted(tenant: Tenant, lead: dict[str, Any], *, company: bool = True,
              owner: str | None = None, **ids: Any) -> dict[str, Any]:
    event = LeadConverted(
        lead_id=ids.get("lead_id") or new_id("lea"),
        contact_id=ids.get("contact_id") or new_id("con"),
        company_id=ids.get("company_id") or (new_id("cmp") if company else None),
        opportunity_id=ids.get("opportunity_id"), owner_id=owner, lead=lead)
    return envelope_for(event, tenant.tenant_id, "user:usr_x").model_dump(mode="json")


def deliver(session: Any, runtimes: dict[str, Any], detail: dict[str, Any],
            times: int = 1) -> None:
    """Through the bus to the contacts queue and consumer; its outbox stays unpublished
    (the tests read the events there) until the next `settle`."""
    settle(runtimes)
    for _ in range(times):
        put_bus_event(session, "crm.sales", "LeadConverted", detail)
    load_app("contacts")
    while runtimes["contacts"].pump_queue():
        pass


def lead(**fields: Any) -> dict[str, Any]:
    slug = unique("lc")
    return {"name": "Ada King", "email": f"ada.{slug}@lovelace-{slug}.example",
            "phone": "+1 415 555 0100", "company_name": f"Analytical {slug}",
            "industry": "Computing", "company_size": "1,200", "source": "webinar",
            "utm": {"campaign": "q3"}, "notes": "met at the expo", **fields}


def test_conversion_creates_contact_and_company_under_sales_ids(
        contacts: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    snapshot = lead()
    detail = converted(tenant, snapshot, owner=tenant.admin_user_id,
                       opportunity_id=new_id("opp"))
    data = detail["data"]
    deliver(session, runtimes, detail, times=2)  # a redelivery is a no-op

    contact = contacts.get(f"/contacts/{data['contact_id']}", token=tenant.admin_token)
    assert contact.status == 200, contact.json
    body = contact.json
    assert (body["first_name"], body["last_name"]) == ("Ada", "King")
    assert body["emails"] == [{"address": snapshot["email"], "label": None, "primary": True}]
    assert body["phones"][0]["number"] == "+14155550100"
    assert body["owner_id"] == tenant.admin_user_id
    assert body["company_id"] == data["company_id"]
    assert body["source_lead_id"] == data["lead_id"]
    assert body["lifecycle_stage"] == "opportunity" and body["source"] == "webinar"
    company = contacts.get(f"/companies/{data['company_id']}", token=tenant.admin_token).json
    assert company["name"] == snapshot["company_name"]
    assert company["industry"] == "Computing" and company["employees"] == 1200
    assert company["domain"] == snapshot["email"].split("@")[1]

    created = [e for e in outbox(session, tenant.tenant_id, "ContactCreated")
               if e["contact_id"] == data["contact_id"]]
    assert len(created) == 1 and created[0]["contact"]["source_lead_id"] == data["lead_id"]
    for party, prefix in ((data["contact_id"], "contacts"), (data["company_id"], "companies")):
        items = contacts.get(f"/{prefix}/{party}/timeline", token=tenant.admin_token).json[
            "items"]
        assert [(i["entry_id"], i["kind"], i["summary"]) for i in items] == [
            (data["lead_id"], "lead", "Converted from lead")]
        assert items[0]["source"] == {"service": "sales", "type": "lead", "id": data["lead_id"]}
    listed = contacts.get(f"/companies/{data['company_id']}/contacts",
                          token=tenant.admin_token).json["items"]
    assert [c["contact_id"] for c in listed] == [data["contact_id"]]

    replay = converted(tenant, snapshot, **{k: data[k] for k in (
        "lead_id", "contact_id", "company_id")})  # the same conversion, a new event id
    deliver(session, runtimes, replay)
    card = contacts.get(f"/contacts/{data['contact_id']}/summary",
                        token=tenant.admin_token).json
    assert card["counts"] == {"lead": 1} and card["contact"]["version"] == 1
    assert outbox(session, tenant.tenant_id, "ContactCreated") == []  # the replay said nothing


def test_a_claimed_email_and_domain_resolve_to_the_existing_records(
        contacts: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    snapshot = lead()
    domain = snapshot["email"].split("@")[1]
    company = contacts.post("/companies", {"name": "Already Here", "domain": f"www.{domain}"},
                            token=tenant.admin_token).json
    person = contacts.post("/contacts", {"first_name": "Augusta",
                                         "emails": [{"address": snapshot["email"].upper()}]},
                           token=tenant.admin_token).json
    detail = converted(tenant, snapshot)
    data = detail["data"]
    deliver(session, runtimes, detail)

    gone = contacts.get(f"/contacts/{data['contact_id']}", token=tenant.admin_token)
    assert gone.status == 404 and gone.json["code"] == "contact_merged"
    assert gone.json["errors"][0]["merged_into"] == person["contact_id"]
    assert gone.header("Location") == f"/contacts/{person['contact_id']}"
    moved = contacts.get(f"/companies/{data['company_id']}", token=tenant.admin_token)
    assert moved.status == 404 and moved.json["code"] == "company_merged"
    assert moved.json["errors"][0]["merged_into"] == company["company_id"]

    existing = contacts.get(f"/contacts/{person['contact_id']}", token=tenant.admin_token).json
    assert existing["company_id"] == company["company_id"]  # linked there
    assert existing["first_name"] == "Augusta"  # nothing else of the lead overwrote it
    found = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "email", "operator": "eq", "value": snapshot["email"]}]}]},
        token=tenant.admin_token).json["items"]
    assert [c["contact_id"] for c in found] == [person["contact_id"]]  # no duplicate
    merged = [e for e in outbox(session, tenant.tenant_id, "ContactMerged")
              if data["contact_id"] in e["merged_ids"]]
    assert [e["contact_id"] for e in merged] == [person["contact_id"]]
    assert [e["company_id"] for e in outbox(session, tenant.tenant_id, "CompanyMerged")
            if data["company_id"] in e["merged_ids"]] == [company["company_id"]]
    items = contacts.get(f"/contacts/{person['contact_id']}/timeline",
                         token=tenant.admin_token).json["items"]
    assert [i["entry_id"] for i in items] == [data["lead_id"]]

    deliver(session, runtimes, converted(tenant, snapshot, **{k: data[k] for k in (
        "lead_id", "contact_id", "company_id")}))  # a replay after the alias exists
    again = contacts.get(f"/contacts/{person['contact_id']}", token=tenant.admin_token).json
    assert again["version"] == existing["version"]


def test_awkward_leads_convert_without_failing(
        contacts: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    """A bad phone, a free-mail address, no name, a size range, a phone someone has."""
    taken = contacts.post("/contacts", {"first_name": "Phone", "phones": [
        {"number": "+1 415 555 0199"}]}, token=tenant.admin_token).json
    odd = converted(tenant, {"email": f"{unique('solo')}@gmail.com", "phone": "not a phone",
                             "company_name": unique("Solo "), "company_size": "11-50"})
    no_name = converted(tenant, {"phone": "+1 415 555 0199"}, company=False)
    empty = converted(tenant, {}, company=False)
    for detail in (odd, no_name, empty):
        deliver(session, runtimes, detail)

    first = contacts.get(f"/contacts/{odd['data']['contact_id']}",
                         token=tenant.admin_token).json
    assert first["phones"] == [] and first["first_name"] is None
    assert first["emails"][0]["address"] == odd["data"]["lead"]["email"]
    company = contacts.get(f"/companies/{odd['data']['company_id']}",
                           token=tenant.admin_token).json
    assert company["domain"] is None and company["employees"] is None  # gmail is no company's
    second = contacts.get(f"/contacts/{no_name['data']['contact_id']}",
                          token=tenant.admin_token).json
    assert second["first_name"] is None and second["company_id"] is None
    assert second["phones"][0]["number"] == "+14155550199"  # held beside the other's claim
    holder = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "phone", "operator": "eq", "value": "+14155550199"}]}]},
        token=tenant.admin_token).json["items"]
    assert {c["contact_id"] for c in holder} == {taken["contact_id"],
                                                 second["contact_id"]}
    nameless = contacts.get(f"/contacts/{empty['data']['contact_id']}",
                            token=tenant.admin_token).json
    assert nameless["first_name"] == "Lead"  # a contact needs something to know it by


def test_another_tenants_conversion_stays_there(
        contacts: ApiClient, tenant: Tenant, tenants: Tenants, session: Any,
        runtimes: dict[str, Any]) -> None:
    other = tenants.create()
    settle(runtimes)
    detail = converted(other, lead())
    deliver(session, runtimes, detail)
    data = detail["data"]
    assert contacts.get(f"/contacts/{data['contact_id']}", token=other.admin_token).status == 200
    assert contacts.get(f"/contacts/{data['contact_id']}", token=tenant.admin_token).status == 404
    assert contacts.get(f"/companies/{data['company_id']}",
                        token=tenant.admin_token).status == 404
