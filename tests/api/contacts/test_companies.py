"""Companies: CRUD with ETags, unique domains, the parent hierarchy, lists, search, sync."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle

ACCOUNTS = Path(__file__).parents[3] / "infra/local/demo-data/accounts.csv"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)  # contacts learns the tenant's settings from TenantProvisioned
    return made


def company(**overrides: Any) -> dict[str, Any]:
    slug = unique("c")
    body = {"name": f"Globex {slug}", "domain": f"https://WWW.Globex-{slug}.com/about",
            "industry": "Software", "employees": 120, "tags": ["Partner", "emea"],
            "annual_revenue": {"amount": 12_500_000_00, "currency": "EUR"},
            "addresses": [{"city": "Berlin", "country": "DE"}]}
    body.update(overrides)
    return body


def make(contacts: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    reply = contacts.post("/companies", company(**overrides), token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def test_create_normalizes_and_reads_back_with_etag(contacts: ApiClient, tenant: Tenant) -> None:
    body = company()
    created = contacts.post("/companies", body, token=tenant.admin_token)
    assert created.status == 201, created.json
    made = created.json
    assert made["company_id"].startswith("cmp_")
    assert made["domain"] == body["domain"].split("//")[1].split("/")[0].lower()[4:]
    assert made["tags"] == ["emea", "partner"]
    assert made["owner_id"] == tenant.admin_user_id
    assert created.header("Location") == f"/companies/{made['company_id']}"
    read = contacts.get(f"/companies/{made['company_id']}", token=tenant.admin_token)
    assert read.status == 200 and read.json == made
    assert read.header("ETag") == '"1"'


def test_duplicate_domain_is_409_naming_domain_with_the_existing_id(
    contacts: ApiClient, tenant: Tenant
) -> None:
    first = make(contacts, tenant)
    clash = contacts.post("/companies", company(domain=f"http://{first['domain'].upper()}."),
                          token=tenant.admin_token)
    assert clash.status == 409, clash.json
    assert clash.json["errors"][0]["field"] == "domain"
    assert clash.json["errors"][0]["existing_id"] == first["company_id"]
    other = make(contacts, tenant)
    moved = contacts.patch(f"/companies/{other['company_id']}", {"domain": first["domain"]},
                           token=tenant.admin_token)
    assert moved.status == 409 and moved.json["errors"][0]["field"] == "domain"
    # freeing the domain (PATCH to null) lets another company claim it
    freed = contacts.patch(f"/companies/{first['company_id']}", {"domain": None},
                           token=tenant.admin_token)
    assert freed.status == 200 and freed.json["domain"] is None
    taken = contacts.patch(f"/companies/{other['company_id']}", {"domain": first["domain"]},
                           token=tenant.admin_token)
    assert taken.status == 200, taken.json


def test_the_same_domain_in_another_tenant_is_fine(contacts: ApiClient, tenant: Tenant,
                                                    tenants: Tenants) -> None:
    first = make(contacts, tenant)
    other = tenants.create("Other")
    again = contacts.post("/companies", company(domain=first["domain"]), token=other.admin_token)
    assert again.status == 201, again.json


@pytest.mark.parametrize(("body", "field"), [
    ({"name": None}, "name"),
    ({"name": ""}, "name"),
    ({"domain": "not a domain"}, "domain"),
    ({"domain": "localhost"}, "domain"),
    ({"employees": -1}, "employees"),
    ({"employees": "many"}, "employees"),
    ({"annual_revenue": {"amount": 10, "currency": "EURO"}}, "annual_revenue.currency"),
    ({"annual_revenue": {"amount": 10, "currency": "ABC"}}, "annual_revenue.currency"),
    ({"annual_revenue": {"amount": 1.5, "currency": "USD"}}, "annual_revenue.amount"),
    ({"annual_revenue": {"amount": -5, "currency": "USD"}}, "annual_revenue.amount"),
    ({"parent_id": "acme"}, "parent_id"),
    ({"parent_id": "cmp_01J00000000000000000000000"}, "parent_id"),
    ({"owner_id": "bob"}, "owner_id"),
    ({"tags": ["no/slash"]}, "tags"),
    ({"properties": {"unknown_field": 1}}, "properties.unknown_field"),
    ({"addresses": [{"country": "Germany"}]}, "addresses[0].country"),
    ({"ticker": "GLX"}, "ticker"),
])
def test_bad_input_names_the_field(contacts: ApiClient, tenant: Tenant, body: dict[str, Any],
                                   field: str) -> None:
    reply = contacts.post("/companies", company(**body), token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_missing_name_is_422(contacts: ApiClient, tenant: Tenant) -> None:
    reply = contacts.post("/companies", {"domain": "nameless.example"},
                          token=tenant.admin_token)
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "name"


def test_custom_properties_are_validated(contacts: ApiClient, tenant: Tenant) -> None:
    defined = contacts.post("/companies/properties", {"name": "tier", "label": "Tier",
                                                      "type": "enum", "options": ["a", "b"]},
                            token=tenant.admin_token)
    assert defined.status in (201, 409), defined.json
    good = make(contacts, tenant, properties={"tier": "a"})
    assert good["properties"] == {"tier": "a"}
    bad = contacts.patch(f"/companies/{good['company_id']}", {"properties": {"tier": "z"}},
                         token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "properties.tier"


def test_patch_with_if_match_and_stale_writes(contacts: ApiClient, tenant: Tenant) -> None:
    made = make(contacts, tenant)
    path = f"/companies/{made['company_id']}"
    changed = contacts.patch(path, {"employees": 130, "industry": "Fintech"},
                             token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert changed.status == 200, changed.json
    assert changed.json["employees"] == 130 and changed.json["version"] == 2
    assert changed.header("ETag") == '"2"'
    stale = contacts.patch(path, {"employees": 1}, token=tenant.admin_token,
                           headers={"If-Match": '"1"'})
    assert stale.status == 412
    garbled = contacts.patch(path, {"employees": 1}, token=tenant.admin_token,
                             headers={"If-Match": "yesterday"})
    assert garbled.status == 412
    same = contacts.patch(path, {"employees": 130}, token=tenant.admin_token)
    assert same.status == 200 and same.json["version"] == 2
    assert contacts.get(path, token=tenant.admin_token).json["employees"] == 130


def test_parent_must_exist_and_not_make_a_cycle(contacts: ApiClient, tenant: Tenant,
                                                tenants: Tenants) -> None:
    root = make(contacts, tenant)
    child = make(contacts, tenant, parent_id=root["company_id"])
    grandchild = make(contacts, tenant, parent_id=child["company_id"])
    assert grandchild["parent_id"] == child["company_id"]
    for parent in (grandchild["company_id"], child["company_id"], root["company_id"]):
        cycle = contacts.patch(f"/companies/{root['company_id']}", {"parent_id": parent},
                               token=tenant.admin_token)
        assert cycle.status == 422, cycle.json
        assert cycle.json["errors"][0]["field"] == "parent_id"
    other = tenants.create("Elsewhere")
    theirs = contacts.post("/companies", company(), token=other.admin_token).json
    across = contacts.patch(f"/companies/{child['company_id']}",
                            {"parent_id": theirs["company_id"]}, token=tenant.admin_token)
    assert across.status == 422 and across.json["errors"][0]["field"] == "parent_id"


def test_parent_id_is_mirrored_by_a_parent_of_edge(contacts: ApiClient, tenant: Tenant) -> None:
    parent = make(contacts, tenant)
    other_parent = make(contacts, tenant)
    child = make(contacts, tenant, parent_id=parent["company_id"])

    def edges_of(party: str) -> list[dict[str, Any]]:
        reply = contacts.get(f"/relationships?party_id={party}&type=subsidiary_of"
                             "&direction=out", token=tenant.admin_token)
        assert reply.status == 200, reply.json
        return list(reply.json["items"])

    [edge] = edges_of(child["company_id"])
    assert (edge["from_id"], edge["to_id"], edge["type"]) == (
        parent["company_id"], child["company_id"], "parent_of")
    assert edge["source"] == "parent_id"
    managed = contacts.delete(f"/relationships/{edge['relationship_id']}",
                              token=tenant.admin_token)
    assert managed.status == 409
    moved = contacts.patch(f"/companies/{child['company_id']}",
                           {"parent_id": other_parent["company_id"]}, token=tenant.admin_token)
    assert moved.status == 200, moved.json
    [edge] = edges_of(child["company_id"])
    assert edge["from_id"] == other_parent["company_id"]
    gone = contacts.get(f"/relationships?party_id={parent['company_id']}",
                        token=tenant.admin_token)
    assert gone.json["items"] == []
    cleared = contacts.patch(f"/companies/{child['company_id']}", {"parent_id": None},
                             token=tenant.admin_token)
    assert cleared.status == 200 and cleared.json["parent_id"] is None
    assert edges_of(child["company_id"]) == []


def test_delete_refuses_a_parent_then_leaves_a_tombstone(contacts: ApiClient,
                                                        tenant: Tenant) -> None:
    start = contacts.get("/companies/changes", token=tenant.admin_token).json["next_since"]
    parent = make(contacts, tenant)
    child = make(contacts, tenant, parent_id=parent["company_id"])
    refused = contacts.delete(f"/companies/{parent['company_id']}", token=tenant.admin_token)
    assert refused.status == 409 and refused.json["code"] == "has_children"
    assert contacts.delete(f"/companies/{child['company_id']}",
                           token=tenant.admin_token).status == 204
    assert contacts.delete(f"/companies/{parent['company_id']}",
                           token=tenant.admin_token).status == 204
    assert contacts.get(f"/companies/{parent['company_id']}",
                        token=tenant.admin_token).status == 404
    # the domain is free again
    assert contacts.post("/companies", company(domain=parent["domain"]),
                         token=tenant.admin_token).status == 201
    url = "/companies/changes?limit=100" + (f"&since={start}" if start else "")
    feed = contacts.get(url, token=tenant.admin_token).json
    ops = {(c["company_id"], c["op"]) for c in feed["items"]}
    assert (parent["company_id"], "delete") in ops and (child["company_id"], "delete") in ops
    again = contacts.get(f"/companies/changes?since={feed['next_since']}",
                         token=tenant.admin_token).json
    assert again["items"] == [] or all(c["company_id"] not in (
        parent["company_id"], child["company_id"]) for c in again["items"])


def test_lists_by_owner_parent_industry_and_tag(contacts: ApiClient, tenant: Tenant) -> None:
    tag = unique("tag")
    industry = unique("Industry ")
    parent = make(contacts, tenant, tags=[tag], industry=industry)
    child = make(contacts, tenant, parent_id=parent["company_id"])
    by_parent = contacts.get(f"/companies?parent_id={parent['company_id']}",
                             token=tenant.admin_token).json
    assert [c["company_id"] for c in by_parent["items"]] == [child["company_id"]]
    by_industry = contacts.get(f"/companies?industry={industry.upper()}",
                               token=tenant.admin_token).json
    assert [c["company_id"] for c in by_industry["items"]] == [parent["company_id"]]
    by_tag = contacts.get(f"/companies?tag={tag}", token=tenant.admin_token).json
    assert [c["company_id"] for c in by_tag["items"]] == [parent["company_id"]]
    by_owner = contacts.get(f"/companies?owner_id={tenant.admin_user_id}&limit=2",
                            token=tenant.admin_token).json
    assert len(by_owner["items"]) == 2 and by_owner["next_cursor"]
    two = contacts.get(f"/companies?tag={tag}&industry=x", token=tenant.admin_token)
    assert two.status == 400
    forged = contacts.get("/companies?cursor=abc", token=tenant.admin_token)
    assert forged.status == 400 and forged.json["errors"][0]["field"] == "cursor"


def test_search_by_domain_name_prefix_and_index(contacts: ApiClient, tenant: Tenant) -> None:
    made = make(contacts, tenant, name=f"Zebra {unique('z')} Holdings")

    def search(*filters: dict[str, Any]) -> dict[str, Any]:
        reply = contacts.post("/companies/search", {"filter_groups": [{"filters": list(
            filters)}]}, token=tenant.admin_token)
        assert reply.status == 200, reply.json
        return dict(reply.json)

    by_domain = search({"field": "domain", "operator": "eq",
                        "value": f"https://www.{made['domain'].upper()}/x"})
    assert [c["company_id"] for c in by_domain["items"]] == [made["company_id"]]
    assert by_domain["plan"]["index"] == "company_domain"
    by_name = search({"field": "name", "operator": "prefix", "value": made["name"][:12]})
    assert made["company_id"] in [c["company_id"] for c in by_name["items"]]
    assert by_name["plan"]["index"] == "company_name"
    by_owner = search({"field": "owner_id", "operator": "eq", "value": tenant.admin_user_id},
                      {"field": "employees", "operator": "gte", "value": 100})
    assert by_owner["plan"] == {"index": "companies_by_owner_id", "tenant_wide": False,
                                "residual_filters": 2}
    assert made["company_id"] in [c["company_id"] for c in by_owner["items"]]
    bad = contacts.post("/companies/search", {"filter_groups": [{"filters": [
        {"field": "ticker", "operator": "eq", "value": "x"}]}]}, token=tenant.admin_token)
    assert bad.status == 422


def test_company_contacts(contacts: ApiClient, tenant: Tenant) -> None:
    made = make(contacts, tenant)
    person = contacts.post("/contacts", {"first_name": "Hank", "last_name": unique("Scorpio"),
                                         "company_id": made["company_id"]},
                           token=tenant.admin_token)
    assert person.status == 201, person.json
    listed = contacts.get(f"/companies/{made['company_id']}/contacts",
                          token=tenant.admin_token)
    assert listed.status == 200, listed.json
    assert [c["contact_id"] for c in listed.json["items"]] == [person.json["contact_id"]]
    missing = contacts.get("/companies/cmp_01J00000000000000000000000/contacts",
                           token=tenant.admin_token)
    assert missing.status == 404


def test_hierarchy_of_the_demo_accounts(contacts: ApiClient, tenants: Tenants,
                                        runtimes: dict[str, Any]) -> None:
    """Acme Corporation and its subsidiaries, from the demo data, plus a level below."""
    acme_tenant = tenants.create("Demo")
    settle(runtimes)
    with ACCOUNTS.open() as f:
        rows = list(csv.DictReader(f))
    subsidiaries = [r for r in rows if r["subsidiary_of"] == "Acme Corporation"]
    assert len(subsidiaries) >= 3
    token = acme_tenant.admin_token
    acme = contacts.post("/companies", {"name": "Acme Corporation", "industry": "technology",
                                        "employees": 2822}, token=token).json
    ids = {}
    for row in subsidiaries:
        reply = contacts.post("/companies", {
            "name": row["account"], "industry": row["sector"],
            "employees": int(row["employees"]), "parent_id": acme["company_id"],
            "annual_revenue": {"amount": round(float(row["revenue"]) * 100_000_000),
                               "currency": "USD"}}, token=token)
        assert reply.status == 201, reply.json
        ids[row["account"]] = reply.json["company_id"]
    first = subsidiaries[0]["account"]
    division = contacts.post("/companies", {"name": f"{first} Labs",
                                            "parent_id": ids[first]}, token=token).json
    tree = contacts.get(f"/companies/{acme['company_id']}/hierarchy", token=token)
    assert tree.status == 200, tree.json
    assert tree.json["ancestors"] == []
    level_one = {n["name"] for n in tree.json["descendants"] if n["depth"] == 1}
    assert level_one == {r["account"] for r in subsidiaries}
    [labs] = [n for n in tree.json["descendants"] if n["depth"] == 2]
    assert labs == {"company_id": division["company_id"], "name": f"{first} Labs",
                    "parent_id": ids[first], "depth": 2}
    shallow = contacts.get(f"/companies/{acme['company_id']}/hierarchy?depth=1",
                           token=token).json
    assert all(n["depth"] == 1 for n in shallow["descendants"])
    up = contacts.get(f"/companies/{division['company_id']}/hierarchy?depth=5",
                      token=token).json
    assert [(n["name"], n["depth"]) for n in up["ancestors"]] == [
        (first, -1), ("Acme Corporation", -2)]
    assert up["descendants"] == []
    for bad in ("0", "6", "two"):
        reply = contacts.get(f"/companies/{acme['company_id']}/hierarchy?depth={bad}",
                             token=token)
        assert reply.status == 400 and reply.json["errors"][0]["field"] == "depth"
