"""Merging companies: fields fold, everything attached follows, merged ids resolve, bad ids
are 4xx naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle

TABLE = "crm-test-contacts"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made



def company(contacts: ApiClient, tenant: Tenant, **fields: Any) -> str:
    reply = contacts.post("/companies", {"name": unique("Co "), **fields},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["company_id"])


def merge(contacts: ApiClient, tenant: Tenant, survivor: str, merge_ids: Any,
          token: str | None = None) -> Any:
    return contacts.post(f"/companies/{survivor}/merge", {"merge_ids": merge_ids},
                         token=token or tenant.admin_token)


def outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    return [json.loads(i["detail"]["S"])["data"] for page in pages for i in page["Items"]
            if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
            and i["detail_type"]["S"] == detail_type]


def test_merge_folds_and_moves_everything_attached(contacts: ApiClient, tenant: Tenant,
                                                   session: Any,
                                                   runtimes: dict[str, Any]) -> None:
    settle(runtimes)
    slug = unique("mg")
    parent = company(contacts, tenant)
    survivor = company(contacts, tenant, name="Initech", tags=["gold"], parent_id=parent)
    merged = company(contacts, tenant, name="Initech Ltd", domain=f"initech-{slug}.example",
                     industry="Software", employees=40, tags=["vip"], parent_id=parent)
    child = company(contacts, tenant, parent_id=merged)
    partner = company(contacts, tenant)
    person = contacts.post("/contacts", {"first_name": "Peter", "company_id": merged},
                           token=tenant.admin_token).json["contact_id"]
    edge = contacts.post("/relationships", {"from_id": merged, "to_id": partner,
                                            "type": "partner_of"}, token=tenant.admin_token)
    assert edge.status == 201, edge.json
    note = contacts.post("/interactions", {"kind": "note", "subject": "kickoff",
                                           "related_ids": [merged]}, token=tenant.admin_token)
    assert note.status == 201, note.json

    reply = merge(contacts, tenant, survivor, [merged])
    assert reply.status == 200, reply.json
    body = reply.json["company"]
    assert body["name"] == "Initech" and body["parent_id"] == parent
    assert body["domain"] == f"initech-{slug}.example" and body["industry"] == "Software"
    assert body["employees"] == 40 and body["tags"] == ["gold", "vip"]
    assert reply.json["merged_ids"] == [merged]
    assert reply.json["moved"]["companies"] == 1 and reply.json["moved"]["contacts"] == 1
    assert reply.header("ETag") == f'"{body["version"]}"'

    gone = contacts.get(f"/companies/{merged}", token=tenant.admin_token)
    assert gone.status == 404 and gone.json["code"] == "company_merged"
    assert gone.json["errors"][0]["merged_into"] == survivor
    assert gone.header("Location") == f"/companies/{survivor}"
    assert contacts.get(f"/companies/{child}", token=tenant.admin_token).json[
        "parent_id"] == survivor
    assert contacts.get(f"/contacts/{person}", token=tenant.admin_token).json[
        "company_id"] == survivor
    edges = contacts.get(f"/relationships?party_id={survivor}&type=partner_of",
                         token=tenant.admin_token).json["items"]
    assert [(e["from_id"], e["to_id"]) for e in edges] == [(survivor, partner)]
    assert contacts.get(f"/relationships?party_id={merged}&type=partner_of",
                        token=tenant.admin_token).json["items"] == []
    entries = contacts.get(f"/companies/{survivor}/timeline",
                           token=tenant.admin_token).json["items"]
    assert [e["entry_id"] for e in entries] == [note.json["interaction_id"]]
    found = contacts.post("/companies/search", {"filter_groups": [{"filters": [
        {"field": "domain", "operator": "eq", "value": f"initech-{slug}.example"}]}]},
        token=tenant.admin_token).json["items"]
    assert [c["company_id"] for c in found] == [survivor]
    kids = contacts.get(f"/companies?parent_id={parent}", token=tenant.admin_token).json
    assert [c["company_id"] for c in kids["items"]] == [survivor]  # the merged one left
    events = outbox(session, tenant.tenant_id, "CompanyMerged")
    assert [(e["company_id"], e["merged_ids"]) for e in events] == [(survivor, [merged])]

    again = merge(contacts, tenant, survivor, [merged])
    assert again.status == 200, again.json
    assert again.json["company"]["version"] == body["version"]  # a repeat changes nothing
    taken = contacts.post("/companies", {"name": "New", "domain": f"initech-{slug}.example"},
                          token=tenant.admin_token)
    assert taken.status == 409 and taken.json["errors"][0]["existing_id"] == survivor


def test_bad_merges_name_the_field(contacts: ApiClient, tenant: Tenant,
                                   tenants: Tenants) -> None:
    top = company(contacts, tenant)
    middle = company(contacts, tenant, parent_id=top)
    bottom = company(contacts, tenant, parent_id=middle)
    other = tenants.create()
    foreign = company(contacts, other)
    unknown = "cmp_01J00000000000000000000000"
    cases: list[tuple[Any, int, str, str | None]] = [
        ([bottom], 422, "merge_ids[0]", None),  # bottom into itself
        ([unknown], 422, "merge_ids[0]", None),
        ([foreign], 422, "merge_ids[0]", None),
        ([top], 422, "merge_ids[0]", "parent_cycle"),  # an ancestor into its descendant
        ([middle, middle], 422, "merge_ids[1]", None),
        (None, 422, "merge_ids", None),
        (["not-an-id"], 422, "merge_ids[0]", None),
        ([], 422, "merge_ids", None),
    ]
    for merge_ids, status, field, code in cases:
        reply = merge(contacts, tenant, bottom, merge_ids)
        assert reply.status == status, (merge_ids, reply.json)
        assert reply.json["errors"][0]["field"] == field, (merge_ids, reply.json)
        if code:
            assert reply.json["code"] == code
    assert merge(contacts, tenant, foreign, [bottom]).status == 404  # another tenant's survivor
    assert merge(contacts, tenant, unknown, [bottom]).status == 404
    viewer = tenants.user(tenant, "viewer")
    assert merge(contacts, tenant, top, [middle], token=viewer).status == 403
    assert contacts.post(f"/companies/{top}/merge", {"merge_ids": [middle]}).status == 401
    assert contacts.get(f"/companies/{middle}", token=tenant.admin_token).status == 200

    merged_elsewhere = company(contacts, tenant)
    assert merge(contacts, tenant, top, [merged_elsewhere]).status == 200
    twice = merge(contacts, tenant, bottom, [merged_elsewhere])
    assert twice.status == 422 and "already merged into" in twice.json["errors"][0]["message"]
    assert merge(contacts, tenant, merged_elsewhere, [bottom]).json["code"] == "company_merged"


def test_a_descendant_merges_into_its_ancestor(contacts: ApiClient, tenant: Tenant) -> None:
    top = company(contacts, tenant)
    middle = company(contacts, tenant, parent_id=top)
    bottom = company(contacts, tenant, parent_id=middle)
    reply = merge(contacts, tenant, top, [middle])
    assert reply.status == 200, reply.json
    assert contacts.get(f"/companies/{bottom}", token=tenant.admin_token).json[
        "parent_id"] == top
    tree = contacts.get(f"/companies/{top}/hierarchy", token=tenant.admin_token).json
    assert [d["company_id"] for d in tree["descendants"]] == [bottom]
