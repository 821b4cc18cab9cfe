"""Contacts: CRUD with ETags, dedupe on normalized email and phone, lists, search, sync."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)  # contacts learns the tenant's settings from TenantProvisioned
    return made


def person(**overrides: Any) -> dict[str, Any]:
    slug = unique("p")
    body = {"first_name": "Ada", "last_name": f"Lovelace {slug}",
            "emails": [{"address": f"Ada.{slug}@Example.com", "label": "work"}],
            "phones": [{"number": f"(415) 555-{int(slug[1:]) % 10000:04d}"}],
            "tags": ["VIP", "newsletter"], "lifecycle_stage": "lead"}
    body.update(overrides)
    return body


def test_create_normalizes_and_reads_back_with_etag(contacts: ApiClient, tenant: Tenant) -> None:
    body = person()
    created = contacts.post("/contacts", body, token=tenant.admin_token)
    assert created.status == 201, created.json
    contact = created.json
    assert contact["contact_id"].startswith("con_")
    assert contact["emails"][0]["address"] == body["emails"][0]["address"].lower()
    assert contact["emails"][0]["primary"] is True
    assert contact["phones"][0]["number"].startswith("+1415555")
    assert contact["tags"] == ["newsletter", "vip"]
    assert contact["owner_id"] == tenant.admin_user_id
    read = contacts.get(f"/contacts/{contact['contact_id']}", token=tenant.admin_token)
    assert read.status == 200 and read.json == contact
    assert read.header("ETag") == '"1"'


def test_duplicate_email_or_phone_is_409_with_the_existing_id(contacts: ApiClient,
                                                              tenant: Tenant) -> None:
    first = contacts.post("/contacts", person(), token=tenant.admin_token).json
    again = person(emails=[{"address": first["emails"][0]["address"].upper()}])
    clash = contacts.post("/contacts", again, token=tenant.admin_token)
    assert clash.status == 409, clash.json
    assert clash.json["errors"][0]["field"] == "emails[0].address"
    assert clash.json["errors"][0]["existing_id"] == first["contact_id"]
    phone_clash = contacts.post("/contacts", person(phones=[
        {"number": first["phones"][0]["number"]}]), token=tenant.admin_token)
    assert phone_clash.status == 409
    assert phone_clash.json["errors"][0]["field"] == "phones[0].number"
    returned = contacts.post("/contacts?on_duplicate=return", again, token=tenant.admin_token)
    assert returned.status == 200 and returned.json["contact_id"] == first["contact_id"]
    allowed = contacts.post("/contacts?on_duplicate=allow", again, token=tenant.admin_token)
    assert allowed.status == 201 and allowed.json["contact_id"] != first["contact_id"]
    found = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "email", "operator": "eq", "value": first["emails"][0]["address"]}]}]},
        token=tenant.admin_token).json
    assert {c["contact_id"] for c in found["items"]} == {first["contact_id"],
                                                         allowed.json["contact_id"]}
    # the allowed duplicate lives beside the claim: editing or deleting it never touches it
    dup_id = allowed.json["contact_id"]
    edited = contacts.patch(f"/contacts/{dup_id}", {"title": "Twin"}, token=tenant.admin_token)
    assert edited.status == 200, edited.json
    assert contacts.delete(f"/contacts/{dup_id}", token=tenant.admin_token).status == 204
    after = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "email", "operator": "eq", "value": first["emails"][0]["address"]}]}]},
        token=tenant.admin_token).json
    assert [c["contact_id"] for c in after["items"]] == [first["contact_id"]]
    assert contacts.post("/contacts", again, token=tenant.admin_token).status == 409
    bad = contacts.post("/contacts?on_duplicate=maybe", person(), token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "on_duplicate"


@pytest.mark.parametrize(("body", "field"), [
    ({"emails": [{"address": "not-an-email"}]}, "emails[0].address"),
    ({"phones": [{"number": "12"}]}, "phones[0].number"),
    ({"lifecycle_stage": "royalty"}, "lifecycle_stage"),
    ({"tags": ["no/slash"]}, "tags"),
    ({"company_id": "acme"}, "company_id"),
    ({"birthday": "1815-13-10"}, "birthday"),
    ({"properties": {"unknown_field": 1}}, "properties.unknown_field"),
    ({"shoe_size": 9}, "shoe_size"),
    ({"emails": [{"address": "a@example.com", "primary": True},
                 {"address": "b@example.com", "primary": True}]}, "emails[1].primary"),
])
def test_bad_input_names_the_field(contacts: ApiClient, tenant: Tenant, body: dict[str, Any],
                                   field: str) -> None:
    reply = contacts.post("/contacts", {"first_name": "X", **body}, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_a_contact_needs_a_name_email_or_phone(contacts: ApiClient, tenant: Tenant) -> None:
    reply = contacts.post("/contacts", {"title": "CEO"}, token=tenant.admin_token)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "first_name"


def test_patch_with_if_match_moves_claims_and_rejects_stale_writes(
    contacts: ApiClient, tenant: Tenant
) -> None:
    created = contacts.post("/contacts", person(), token=tenant.admin_token)
    contact_id = created.json["contact_id"]
    old_email = created.json["emails"][0]["address"]
    new_email = f"{unique('moved-')}@example.com"
    changed = contacts.patch(f"/contacts/{contact_id}", {"emails": [{"address": new_email}],
                                                         "title": "Countess"},
                             token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert changed.status == 200, changed.json
    assert changed.json["title"] == "Countess" and changed.json["version"] == 2
    assert changed.header("ETag") == '"2"'
    stale = contacts.patch(f"/contacts/{contact_id}", {"title": "Lady"},
                           token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert stale.status == 412
    # the old email is free again, the new one is taken
    reused = contacts.post("/contacts", person(emails=[{"address": old_email}]),
                           token=tenant.admin_token)
    assert reused.status == 201
    taken = contacts.post("/contacts", person(emails=[{"address": new_email}]),
                          token=tenant.admin_token)
    assert taken.status == 409


def test_delete_leaves_a_tombstone_in_the_change_feed(contacts: ApiClient,
                                                      tenants: Tenants) -> None:
    tenant = tenants.create()
    first = contacts.post("/contacts", person(), token=tenant.admin_token).json
    second = contacts.post("/contacts", person(), token=tenant.admin_token).json
    feed = contacts.get("/contacts/changes?limit=100", token=tenant.admin_token).json
    assert [c["contact_id"] for c in feed["items"]] == [first["contact_id"],
                                                        second["contact_id"]]
    since = feed["next_since"]
    gone = contacts.delete(f"/contacts/{first['contact_id']}", token=tenant.admin_token)
    assert gone.status == 204
    assert contacts.get(f"/contacts/{first['contact_id']}", token=tenant.admin_token).status == 404
    delta = contacts.get(f"/contacts/changes?since={since}", token=tenant.admin_token).json
    assert delta["items"] == [{"op": "delete", "contact_id": first["contact_id"],
                               "updated_at": delta["items"][0]["updated_at"], "contact": None}]
    listed = contacts.get("/contacts", token=tenant.admin_token).json["items"]
    assert [c["contact_id"] for c in listed] == [second["contact_id"]]
    assert contacts.get("/contacts/changes?since=forged", token=tenant.admin_token).status == 400


def test_lists_filter_by_owner_stage_tag_and_updated_since(contacts: ApiClient,
                                                           tenants: Tenants) -> None:
    tenant = tenants.create()
    lead = contacts.post("/contacts", person(), token=tenant.admin_token).json
    customer = contacts.post("/contacts", person(lifecycle_stage="customer", tags=["gold"]),
                             token=tenant.admin_token).json
    def ids(query: str) -> list[str]:
        reply = contacts.get(f"/contacts{query}", token=tenant.admin_token)
        assert reply.status == 200, reply.json
        return [c["contact_id"] for c in reply.json["items"]]
    assert ids("?lifecycle_stage=customer") == [customer["contact_id"]]
    assert ids("?tag=gold") == [customer["contact_id"]]
    assert ids(f"?owner_id={tenant.admin_user_id}") == [customer["contact_id"],
                                                        lead["contact_id"]]
    assert ids(f"?updated_since={customer['updated_at']}") == [customer["contact_id"]]
    page = contacts.get("/contacts?limit=1", token=tenant.admin_token).json
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert contacts.get("/contacts?tag=gold&lifecycle_stage=lead",
                        token=tenant.admin_token).status == 400


def test_search_uses_an_index_and_says_which(contacts: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    ada = contacts.post("/contacts", person(first_name="Ada"), token=tenant.admin_token).json
    grace = contacts.post("/contacts", person(first_name="Grace", last_name="Hopper",
                                              lifecycle_stage="customer"),
                          token=tenant.admin_token).json
    def search(*filters: dict[str, Any]) -> dict[str, Any]:
        reply = contacts.post("/contacts/search", {"filter_groups": [{"filters": list(filters)}]},
                              token=tenant.admin_token)
        assert reply.status == 200, reply.json
        return dict(reply.json)
    by_phone = search({"field": "phone", "operator": "eq", "value": grace["phones"][0]["number"]})
    assert [c["contact_id"] for c in by_phone["items"]] == [grace["contact_id"]]
    assert by_phone["plan"]["index"] == "contact_phone"
    by_name = search({"field": "name", "operator": "prefix", "value": "gra"})
    assert [c["contact_id"] for c in by_name["items"]] == [grace["contact_id"]]
    by_stage = search({"field": "lifecycle_stage", "operator": "eq", "value": "customer"},
                      {"field": "first_name", "operator": "eq", "value": "grace"})
    assert by_stage["plan"] == {"index": "contacts_by_lifecycle_stage", "tenant_wide": False,
                                "residual_filters": 2}
    assert [c["contact_id"] for c in by_stage["items"]] == [grace["contact_id"]]
    wide = search({"field": "title", "operator": "exists"})
    assert wide["plan"]["tenant_wide"] is True and wide["items"] == []
    by_tag = search({"field": "tags", "operator": "eq", "value": "vip"})
    assert {c["contact_id"] for c in by_tag["items"]} == {ada["contact_id"], grace["contact_id"]}
    bad = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "password", "operator": "eq", "value": "x"}]}]}, token=tenant.admin_token)
    assert bad.status == 422
    assert "filter_groups[0].filters[0].field" in [e["field"] for e in bad.json["errors"]]


def test_custom_properties_are_validated_on_every_write(contacts: ApiClient,
                                                        tenants: Tenants) -> None:
    tenant = tenants.create()
    made = contacts.post("/contacts/properties", {"name": "tier", "label": "Tier",
                                                  "type": "enum", "options": ["gold", "silver"]},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    assert contacts.post("/contacts/properties", {"name": "tier", "label": "T", "type": "string"},
                         token=tenant.admin_token).status == 409
    bad_def = contacts.post("/contacts/properties", {"name": "x", "label": "X", "type": "enum"},
                            token=tenant.admin_token)
    assert bad_def.status == 422
    ok = contacts.post("/contacts", person(properties={"tier": "gold"}), token=tenant.admin_token)
    assert ok.status == 201 and ok.json["properties"] == {"tier": "gold"}
    wrong = contacts.patch(f"/contacts/{ok.json['contact_id']}", {"properties": {"tier": "tin"}},
                           token=tenant.admin_token)
    assert wrong.status == 422 and wrong.json["errors"][0]["field"] == "properties.tier"
    listed = contacts.get("/contacts/properties", token=tenant.admin_token).json["items"]
    assert [p["name"] for p in listed] == ["tier"]


def test_viewers_read_but_do_not_write_and_reps_see_only_theirs(
    contacts: ApiClient, tenants: Tenants
) -> None:
    tenant = tenants.create()
    rep_token = tenants.user(tenant, "sales_rep")
    viewer = tenants.user(tenant, "viewer")
    admins = contacts.post("/contacts", person(), token=tenant.admin_token).json
    mine = contacts.post("/contacts", person(), token=rep_token).json
    assert mine["owner_id"] == tenant.user_ids["sales_rep"]
    assert contacts.get(f"/contacts/{admins['contact_id']}", token=rep_token).status == 404
    assert contacts.get(f"/contacts/{mine['contact_id']}", token=rep_token).status == 200
    listed = contacts.get("/contacts", token=rep_token).json["items"]
    assert [c["contact_id"] for c in listed] == [mine["contact_id"]]
    assert contacts.get(f"/contacts/{admins['contact_id']}", token=viewer).status == 200
    assert contacts.post("/contacts", person(), token=viewer).status == 403


def test_phones_use_the_tenants_region_from_provisioning(
    contacts: ApiClient, platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any]
) -> None:
    from tests.support.client import OPERATOR

    ref = unique("uk-")
    reply = platform.post("/tenants", {"name": "UK Ltd", "admin_email": f"{ref}@example.com",
                                       "external_ref": ref,
                                       "settings": {"default_phone_region": "GB"}},
                          headers=OPERATOR)
    assert reply.status == 201, reply.json
    token = tenants.login(f"{ref}@example.com", reply.json["admin"]["temporary_password"])
    settle(runtimes)  # TenantProvisioned carries the settings to the contacts service
    made = contacts.post("/contacts", {"first_name": "Sid",
                                       "phones": [{"number": "020 7946 0958"}]}, token=token)
    assert made.status == 201, made.json
    assert made.json["phones"][0]["number"] == "+442079460958"
