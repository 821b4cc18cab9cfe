"""Lead conversion: pre-generated ids answered at once, the deal in the same transaction,
LeadConverted with the snapshot, idempotent retries and 409s naming what differs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def lead(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/leads", {"name": "Ada King", "email": f"{unique('conv-')}@acme.example",
                                  "company_name": unique("Acme "), "source": "webinar",
                                  "owner_id": tenant.admin_user_id, **fields},
                       token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def convert(sales: ApiClient, tenant: Tenant, lead_id: str, body: dict[str, Any],
            token: str | None = None) -> Any:
    return sales.post(f"/leads/{lead_id}/convert", body, token=token or tenant.admin_token)


def test_convert_answers_ids_and_creates_the_deal(sales: ApiClient, tenant: Tenant,
                                                  session: Any,
                                                  runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    made = lead(sales, tenant)
    body = {"opportunity": {"name": "Acme expansion", "amount": {"amount": 500000,
                                                                 "currency": "USD"},
                            "expected_close_date": "2031-03-31"}, "create_company": True}
    reply = convert(sales, tenant, made["lead_id"], body)
    assert reply.status == 200, reply.json
    out = reply.json
    assert out["contact_id"].startswith("con_") and out["company_id"].startswith("cmp_")
    assert out["opportunity_id"].startswith("opp_")
    assert out["lead"]["status"] == "converted" and out["lead"]["contact_id"] == out["contact_id"]
    [event] = [e for e in outbox(session, tenant.tenant_id, "LeadConverted")
               if e["lead_id"] == made["lead_id"]]
    assert (event["contact_id"], event["company_id"], event["opportunity_id"]) == (
        out["contact_id"], out["company_id"], out["opportunity_id"])
    assert event["lead"]["email"] == made["email"] and event["owner_id"] == tenant.admin_user_id
    deal = sales.get(f"/opportunities/{out['opportunity_id']}", token=tenant.admin_token)
    assert deal.status == 200, deal.json
    assert deal.json["lead_id"] == made["lead_id"] and deal.json["source"] == "webinar"
    assert deal.json["contact_ids"] == [out["contact_id"]]
    assert deal.json["company_id"] == out["company_id"]

    # a retry answers the same ids and writes nothing
    settle(runtimes)
    again = convert(sales, tenant, made["lead_id"], body)
    assert again.status == 200 and again.json == out
    assert outbox(session, tenant.tenant_id, "LeadConverted") == []
    assert outbox(session, tenant.tenant_id, "OpportunityCreated") == []
    # another payload is a 409 naming what differs
    other = {**body, "opportunity": {**body["opportunity"], "name": "Other"}}
    refused = convert(sales, tenant, made["lead_id"], other)
    assert refused.status == 409 and refused.json["errors"][0]["field"] == "opportunity.name"
    refused = convert(sales, tenant, made["lead_id"], {**body, "create_company": False})
    assert refused.status == 409 and refused.json["errors"][0]["field"] == "create_company"
    # a converted lead is read-only and its email is free for a new lead
    patched = sales.patch(f"/leads/{made['lead_id']}", {"name": "x"}, token=tenant.admin_token)
    assert patched.status == 409
    assert sales.post("/leads?on_duplicate=reject", {"email": made["email"]},
                      token=tenant.admin_token).status == 201


def test_convert_without_deal_or_company(sales: ApiClient, tenant: Tenant) -> None:
    made = lead(sales, tenant)
    reply = convert(sales, tenant, made["lead_id"], {"create_company": False})
    assert reply.status == 200, reply.json
    assert reply.json["company_id"] is None and reply.json["opportunity_id"] is None
    nameless = lead(sales, tenant, company_name=None)
    reply = convert(sales, tenant, nameless["lead_id"], {})
    assert reply.status == 200 and reply.json["company_id"] is None


def test_bad_conversions_change_nothing(sales: ApiClient, tenants: Tenants,
                                        tenant: Tenant) -> None:
    made = lead(sales, tenant)
    lead_id = made["lead_id"]
    bad = convert(sales, tenant, lead_id, {"opportunity": {"name": "x", "amount": {
        "amount": -1, "currency": "USD"}}})
    assert bad.status == 422, bad.json
    assert bad.json["errors"][0]["field"].startswith("opportunity.amount")
    stage = convert(sales, tenant, lead_id, {"opportunity": {"name": "x", "stage": "Nowhere"}})
    assert stage.status == 400 and stage.json["errors"][0]["field"] == "opportunity.stage"
    extra = convert(sales, tenant, lead_id, {"contact": {}})
    assert extra.status == 422 and extra.json["errors"][0]["field"] == "contact"
    assert sales.get(f"/leads/{lead_id}", token=tenant.admin_token).json["status"] == "new"
    # closed leads, other tenants, viewers
    sales.patch(f"/leads/{lead_id}", {"status": "working"}, token=tenant.admin_token)
    sales.patch(f"/leads/{lead_id}", {"status": "disqualified"}, token=tenant.admin_token)
    closed = convert(sales, tenant, lead_id, {})
    assert closed.status == 409 and closed.json["errors"][0]["field"] == "status"
    other = tenants.create("Other")
    assert convert(sales, tenant, lead(sales, tenant)["lead_id"], {},
                   token=other.admin_token).status == 404
    assert convert(sales, tenant, lead_id, {},
                   token=tenants.user(tenant, "viewer")).status == 403


def contact_event(tenant: Tenant, event: Any) -> dict[str, Any]:
    from crm_shared.events.envelope import envelope_for

    return envelope_for(event, tenant.tenant_id, "system:contacts").model_dump(mode="json")


def test_contact_events_link_erase_and_repoint(sales: ApiClient, tenant: Tenant,
                                               session: Any, runtimes: dict[str, Any]) -> None:
    from crm_shared.events.contacts_events import ContactCreated, ContactErased, ContactMerged
    from crm_shared.ids import new_id
    from tests.support.events import put_bus_event

    converted = lead(sales, tenant, notes="private", utm={"campaign": "q3"})
    out = convert(sales, tenant, converted["lead_id"], {}).json
    plain = lead(sales, tenant)
    linked = new_id("con")
    created = contact_event(tenant, ContactCreated(contact_id=linked, contact={
        "contact_id": linked, "source_lead_id": plain["lead_id"]}))
    for _ in range(2):  # a redelivery changes nothing more
        put_bus_event(session, "crm.contacts", "ContactCreated", created)
    settle(runtimes)
    assert sales.get(f"/leads/{plain['lead_id']}", token=tenant.admin_token).json[
        "contact_id"] == linked

    task = sales.post("/tasks", {"title": "Follow up", "links": {"contact_id": linked}},
                      token=tenant.admin_token).json
    survivor = new_id("con")
    put_bus_event(session, "crm.contacts", "ContactMerged", contact_event(tenant, ContactMerged(
        contact_id=survivor, merged_ids=[linked], contact={"contact_id": survivor})))
    settle(runtimes)
    assert sales.get(f"/leads/{plain['lead_id']}", token=tenant.admin_token).json[
        "contact_id"] == survivor
    assert sales.get(f"/tasks/{task['task_id']}", token=tenant.admin_token).json["links"] == {
        "contact_id": survivor}

    put_bus_event(session, "crm.contacts", "ContactErased", contact_event(tenant, ContactErased(
        contact_id=out["contact_id"], erased_at="2030-01-01T00:00:00.000Z")))
    settle(runtimes)
    erased = sales.get(f"/leads/{converted['lead_id']}", token=tenant.admin_token).json
    assert all(erased[f] is None for f in ("name", "email", "phone", "notes"))
    assert erased["utm"] == {} and erased["erased_at"] == "2030-01-01T00:00:00.000Z"
    assert erased["company_name"] == converted["company_name"], "not personal data"
    assert sales.get(f"/leads/{plain['lead_id']}", token=tenant.admin_token).json["email"]


def test_a_merge_and_an_erasure_change_every_lead_once_however_many(
        tenant: Tenant, session: Any, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """More leads than one transaction holds (50: two items each, the old single-transaction
    cap was 49), read over several pages of the contact's lead index, all move to the
    survivor and are then all erased, each once though every event is delivered again.
    (Every lead event also reaches the platform's consumers: 101 leads, the old page, would
    take half a minute; the page is made smaller instead.)"""
    from crm_shared.context import Principal
    from crm_shared.events.contacts_events import ContactErased, ContactMerged
    from crm_shared.ids import new_id
    from tests.api.sales.test_orders import deliver
    from tests.support.services import load_app

    load_app("sales")
    from chalicelib.leads import logic, repository

    monkeypatch.setattr(repository, "CONTACT_PAGE", 20)
    loser, survivor = new_id("con"), new_id("con")
    system = Principal(kind="system", tenant_id=tenant.tenant_id, subject="test")
    made = []
    for start in range(0, 50, 25):  # 2 items each: the lead and LeadCreated
        uow = repository.unit_of_work()
        made += [logic.stage_create(uow, system, tenant.tenant_id, {
            "name": f"Ada {n}", "phone": "+44 20 7946 0958", "contact_id": loser}).lead_id
            for n in range(start, min(start + 25, 50))]
        uow.commit()
    settle(runtimes)

    def leads_of(contact_id: str) -> dict[str, tuple[int, dict[str, Any]]]:
        return {i.lead_id: (i.version, i.doc)
                for i in repository.by_contact(tenant.tenant_id, contact_id)}

    before = leads_of(loser)
    assert sorted(before) == sorted(made)
    merged = ContactMerged(contact_id=survivor, merged_ids=[loser],
                           contact={"contact_id": survivor})
    deliver(session, tenant.tenant_id, merged, 2)
    settle(runtimes)
    moved = leads_of(survivor)
    assert sorted(moved) == sorted(made) and leads_of(loser) == {}
    assert {version for version, _ in moved.values()} == {before[made[0]][0] + 1}, \
        "each lead moved once"
    deliver(session, tenant.tenant_id, merged)  # once more, after it was handled
    settle(runtimes)
    assert leads_of(survivor) == moved, "a redelivered merge changes nothing"

    erased = ContactErased(contact_id=survivor, erased_at="2031-01-01T00:00:00.000Z")
    deliver(session, tenant.tenant_id, erased, 2)
    settle(runtimes)
    after = leads_of(survivor)
    assert sorted(after) == sorted(made)
    assert all("name" not in doc and "phone" not in doc
               and doc["erased_at"] == "2031-01-01T00:00:00.000Z" for _, doc in after.values())
    assert {version for version, _ in after.values()} == {before[made[0]][0] + 2}, \
        "each lead erased once"
    deliver(session, tenant.tenant_id, erased)
    settle(runtimes)
    assert leads_of(survivor) == after, "a redelivered erasure changes nothing"
