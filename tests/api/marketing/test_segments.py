"""Segments over marketing's own read model: dynamic filters evaluated in chunks over SQS,
kept current by contact, consent, deal and engagement events; static lists; preview."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared import clock
from tests.api.marketing.helpers import contact, dynamic, member_ids, module
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Segments Co")
    settle(runtimes)
    return made


def test_a_dynamic_segment_is_evaluated_and_follows_contact_changes(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    vip = contact(contacts, tenant, tags=["vip"], lifecycle_stage="customer")
    other = contact(contacts, tenant, tags=["vip"], lifecycle_stage="lead")
    contact(contacts, tenant, tags=["basic"], lifecycle_stage="customer")
    settle(runtimes)
    segment = dynamic(marketing, tenant, [
        {"field": "tags", "operator": "contains", "value": "vip"},
        {"field": "lifecycle_stage", "operator": "eq", "value": "customer"}], runtimes)
    assert segment["evaluation"]["status"] == "complete"
    assert segment["member_count"] == 1
    assert member_ids(marketing, tenant, segment["segment_id"]) == {vip["contact_id"]}

    # the lead becomes a customer: it joins; the vip loses its tag: it leaves
    assert contacts.patch(f"/contacts/{other['contact_id']}", {"lifecycle_stage": "customer"},
                          token=tenant.admin_token).status == 200
    assert contacts.patch(f"/contacts/{vip['contact_id']}", {"tags": ["former"]},
                          token=tenant.admin_token).status == 200
    settle(runtimes)
    assert member_ids(marketing, tenant, segment["segment_id"]) == {other["contact_id"]}
    again = marketing.get(f"/segments/{segment['segment_id']}", token=tenant.admin_token)
    assert again.json["member_count"] == 1


def test_evaluation_runs_in_chunks_and_counts_each_member_once(
        marketing: ApiClient, contacts: ApiClient, tenants: Tenants,
        runtimes: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = tenants.create("Chunks Co")
    settle(runtimes)
    made = [contact(contacts, tenant, tags=["bulk"]) for _ in range(7)]
    settle(runtimes)
    evaluation = module("chalicelib.segments.evaluation")

    monkeypatch.setattr(evaluation, "EVALUATION_PAGE", 2)  # 4 chunks
    segment = dynamic(marketing, tenant, [{"field": "tags", "operator": "contains",
                                           "value": "bulk"}], runtimes)
    assert segment["member_count"] == 7
    assert segment["evaluation"]["scanned"] == 7
    assert member_ids(marketing, tenant, segment["segment_id"]) == {c["contact_id"]
                                                                    for c in made}
    # a re-evaluation finds the same members and counts none of them twice
    reply = marketing.post(f"/segments/{segment['segment_id']}/evaluate",
                           token=tenant.admin_token)
    assert reply.status == 202, reply.json
    settle(runtimes)
    after = marketing.get(f"/segments/{segment['segment_id']}", token=tenant.admin_token).json
    assert after["member_count"] == 7 and after["evaluation"]["status"] == "complete"


def test_created_in_the_last_days_and_behaviour_filters(
        marketing: ApiClient, contacts: ApiClient, tenants: Tenants, session: Any,
        runtimes: dict[str, Any]) -> None:
    tenant = tenants.create("Behaviour Co")
    settle(runtimes)
    old = contact(contacts, tenant)
    settle(runtimes)
    clock.advance(10 * 86400)
    try:
        new = contact(contacts, tenant)
        settle(runtimes)
        recent = dynamic(marketing, tenant, [{"field": "created_days_ago", "operator": "lte",
                                              "value": 3}], runtimes)
        assert member_ids(marketing, tenant, recent["segment_id"]) == {new["contact_id"]}
    finally:
        clock.advance(-10 * 86400)

    won = dynamic(marketing, tenant, [{"field": "has_won_opportunity", "operator": "eq",
                                       "value": True}], runtimes)
    opened = dynamic(marketing, tenant, [{"field": "opened_campaigns", "operator": "contains",
                                          "value": "cam_01JZZZZZZZZZZZZZZZZZZZZZZZ"}],
                     runtimes)
    assert won["member_count"] == 0 and opened["member_count"] == 0
    envelope = {"metadata": {"event_id": "evt_won1", "tenant_id": tenant.tenant_id,
                             "occurred_at": clock.iso(), "schema_version": 1,
                             "actor": "system"},
                "data": {"opportunity_id": "opp_1", "opportunity": {
                    "contact_ids": [old["contact_id"]]}}}
    put_bus_event(session, "crm.sales", "OpportunityWon", envelope)
    opened_event = {"metadata": {**envelope["metadata"], "event_id": "evt_open1"},
                    "data": {"message_id": "msg_1", "contact_id": new["contact_id"],
                             "campaign_id": "cam_01JZZZZZZZZZZZZZZZZZZZZZZZ",
                             "occurred_at": clock.iso()}}
    put_bus_event(session, "crm.marketing", "MessageOpened", opened_event)
    settle(runtimes)
    assert member_ids(marketing, tenant, won["segment_id"]) == {old["contact_id"]}
    assert member_ids(marketing, tenant, opened["segment_id"]) == {new["contact_id"]}


def test_an_unknown_field_is_422_naming_it(marketing: ApiClient, tenant: Tenant) -> None:
    reply = marketing.post("/segments", {"name": "Bad", "filter": {"filter_groups": [
        {"filters": [{"field": "shoe_size", "operator": "eq", "value": 42}]}]}},
        token=tenant.admin_token)
    assert reply.status == 422, reply.json
    [error] = reply.json["errors"]
    assert error["field"] == "filter.filter_groups[0].filters[0].field"
    assert "shoe_size" in error["message"]
    preview = marketing.post("/segments/preview", {"filter": {"filter_groups": [
        {"filters": [{"field": "tags", "operator": "between", "value": 1}]}]}},
        token=tenant.admin_token)
    assert preview.status == 422, preview.json
    assert preview.json["errors"][0]["field"].startswith("filter.filter_groups[0]")


@pytest.mark.parametrize("body, field", [
    ({"kind": "dynamic", "name": "No filter"}, "filter"),
    ({"kind": "static", "name": "Static", "filter": {"filter_groups": []}}, "filter"),
    ({"name": ""}, "name"),
    ({"name": "X", "kind": "weird"}, "kind"),
    ({"name": "X", "colour": "red"}, "colour"),
])
def test_bad_definitions_name_the_field(marketing: ApiClient, tenant: Tenant,
                                        body: dict[str, Any], field: str) -> None:
    reply = marketing.post("/segments", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in {e["field"] for e in reply.json["errors"]}


def test_preview_counts_and_samples_without_storing(marketing: ApiClient, contacts: ApiClient,
                                                    tenant: Tenant, tenants: Tenants,
                                                    runtimes: dict[str, Any]) -> None:
    made = [contact(contacts, tenant, tags=["preview"]) for _ in range(3)]
    settle(runtimes)
    before = marketing.get("/segments?limit=100", token=tenant.admin_token).json["items"]
    reply = marketing.post("/segments/preview", {"filter": {"filter_groups": [{"filters": [
        {"field": "tags", "operator": "contains", "value": "preview"}]}]}, "sample": 2},
        token=tenants.user(tenant, "viewer"))
    assert reply.status == 200, reply.json
    assert reply.json["count"] == 3 and len(reply.json["sample"]) == 2
    assert {s["contact_id"] for s in reply.json["sample"]} <= {c["contact_id"] for c in made}
    after = marketing.get("/segments?limit=100", token=tenant.admin_token).json["items"]
    assert len(after) == len(before)


def test_static_lists_take_known_contacts_once(marketing: ApiClient, contacts: ApiClient,
                                               tenant: Tenant,
                                               runtimes: dict[str, Any]) -> None:
    first, second = contact(contacts, tenant), contact(contacts, tenant)
    settle(runtimes)
    made = marketing.post("/segments", {"name": "VIP list", "kind": "static"},
                          token=tenant.admin_token)
    assert made.status == 201, made.json
    sid = made.json["segment_id"]
    path = f"/segments/{sid}/members"
    ids = [first["contact_id"], second["contact_id"], first["contact_id"]]
    added = marketing.post(path, {"contact_ids": ids}, token=tenant.admin_token)
    assert added.status == 200, added.json
    assert added.json == {"added": 2, "member_count": 2}
    again = marketing.post(path, {"contact_ids": [first["contact_id"]]},
                           token=tenant.admin_token)
    assert again.json == {"added": 0, "member_count": 2}
    unknown = marketing.post(path, {"contact_ids": ["con_01JZZZZZZZZZZZZZZZZZZZZZZZ"]},
                             token=tenant.admin_token)
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "contact_ids[0]"
    assert marketing.delete(f"{path}/{first['contact_id']}",
                            token=tenant.admin_token).status == 204
    assert marketing.delete(f"{path}/{first['contact_id']}",
                            token=tenant.admin_token).status == 404
    assert member_ids(marketing, tenant, sid) == {second["contact_id"]}


def test_erasure_purges_the_person_from_segments(marketing: ApiClient, contacts: ApiClient,
                                                 tenant: Tenant,
                                                 runtimes: dict[str, Any]) -> None:
    person = contact(contacts, tenant, tags=["erasable"])
    settle(runtimes)
    segment = dynamic(marketing, tenant, [{"field": "tags", "operator": "contains",
                                           "value": "erasable"}], runtimes)
    assert member_ids(marketing, tenant, segment["segment_id"]) == {person["contact_id"]}
    erased = contacts.post(f"/contacts/{person['contact_id']}/erase", token=tenant.admin_token)
    assert erased.status == 200, erased.json
    settle(runtimes)
    assert member_ids(marketing, tenant, segment["segment_id"]) == set()
    assert marketing.get(f"/segments/{segment['segment_id']}",
                         token=tenant.admin_token).json["member_count"] == 0


def test_roles_and_tenants(marketing: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    viewer = tenants.user(tenant, "viewer")
    marketer = tenants.user(tenant, "marketer")
    body = {"name": "Roles", "kind": "static"}
    assert marketing.post("/segments", body, token=viewer).status == 403
    made = marketing.post("/segments", body, token=marketer)
    assert made.status == 201, made.json
    sid = made.json["segment_id"]
    assert marketing.get(f"/segments/{sid}", token=viewer).status == 200
    other = tenants.create("Other Co")
    assert marketing.get(f"/segments/{sid}", token=other.admin_token).status == 404
    assert marketing.delete(f"/segments/{sid}", token=other.admin_token).status == 404
    listed = marketing.get("/segments", token=other.admin_token).json["items"]
    assert sid not in {s["segment_id"] for s in listed}


def test_a_stale_if_match_is_412_and_a_deleted_segment_is_gone(
        marketing: ApiClient, tenant: Tenant) -> None:
    made = marketing.post("/segments", {"name": "Etag", "kind": "static"},
                          token=tenant.admin_token)
    sid, tag = made.json["segment_id"], made.header("ETag")
    first = marketing.patch(f"/segments/{sid}", {"name": "Etag 2"}, token=tenant.admin_token,
                            headers={"If-Match": tag})
    assert first.status == 200 and first.json["version"] == 2
    stale = marketing.patch(f"/segments/{sid}", {"name": "Etag 3"}, token=tenant.admin_token,
                            headers={"If-Match": tag})
    assert stale.status == 412
    assert marketing.delete(f"/segments/{sid}", token=tenant.admin_token).status == 204
    assert marketing.get(f"/segments/{sid}", token=tenant.admin_token).status == 404
