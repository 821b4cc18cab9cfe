"""Leads carry tags: written like contacts' (lowercase, each once, at most 20), shown on
every read, and the tags workflows add or remove are the ones the API shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.makers.workflows import make_workflow, runs_of


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def make(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/leads", {"name": "Ada Lovelace",
                                  "email": f"{unique('tag-')}@example.com", **fields},
                       token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def test_tags_are_normalized_on_create_and_patch(sales: ApiClient, tenant: Tenant) -> None:
    lead = make(sales, tenant, tags=[" VIP", "vip", "Trade Show", "q3-2024"])
    assert lead["tags"] == ["q3-2024", "trade show", "vip"]
    path = f"/leads/{lead['lead_id']}"
    assert sales.get(path, token=tenant.admin_token).json["tags"] == lead["tags"]
    assert make(sales, tenant)["tags"] == []
    patched = sales.patch(path, {"tags": ["Hot", "hot "]}, token=tenant.admin_token)
    assert patched.status == 200, patched.json
    assert patched.json["tags"] == ["hot"] and patched.json["version"] == 2
    untouched = sales.patch(path, {"title": "CTO"}, token=tenant.admin_token).json
    assert untouched["tags"] == ["hot"]
    cleared = sales.patch(path, {"tags": []}, token=tenant.admin_token).json
    assert cleared["tags"] == [] and cleared["version"] == 4
    again = sales.patch(path, {"tags": None}, token=tenant.admin_token).json
    assert again["tags"] == [] and again["version"] == 4  # nothing changed
    listed = sales.get("/leads?limit=100", token=tenant.admin_token).json["items"]
    assert all("tags" in item for item in listed)


@pytest.mark.parametrize("tags", [
    [f"t{i}" for i in range(21)],
    ["Not A Tag!"],
    [""],
    ["x" * 51],
    "vip",
    [7],
])
def test_bad_tags_are_refused_naming_the_field(sales: ApiClient, tenant: Tenant,
                                               tags: Any) -> None:
    created = sales.post("/leads", {"name": "Ada", "tags": tags}, token=tenant.admin_token)
    assert created.status == 422, created.json
    assert next(e["field"] for e in created.json["errors"]).startswith("tags"), created.json
    lead = make(sales, tenant, tags=["keep"])
    patched = sales.patch(f"/leads/{lead['lead_id']}", {"tags": tags},
                          token=tenant.admin_token)
    assert patched.status == 422, patched.json
    assert next(e["field"] for e in patched.json["errors"]).startswith("tags"), patched.json
    assert sales.get(f"/leads/{lead['lead_id']}",
                     token=tenant.admin_token).json["tags"] == ["keep"]


def test_twenty_tags_are_accepted(sales: ApiClient, tenant: Tenant) -> None:
    assert len(make(sales, tenant, tags=[f"t{i}" for i in range(20)])["tags"]) == 20


def test_the_tags_a_workflow_adds_show_on_the_lead(
        platform: ApiClient, sales: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    source = unique("tagshow").lower()
    flow = make_workflow(platform, tenant.admin_token, "LeadCreated", [
        {"type": "add_tag", "tag": "high-value"}],
        [{"filters": [{"field": "lead.source", "operator": "eq", "value": source}]}])
    tagged = make(sales, tenant, source=source, tags=["Expo"])
    full = make(sales, tenant, source=source, tags=[f"t{i}" for i in range(20)])
    settle(runtimes)
    runs = {r["trigger"]["entity_id"]: r for r in runs_of(
        platform, tenant.admin_token, flow["workflow_id"])}
    assert runs[tagged["lead_id"]]["actions"][0]["result"]["tags"] == ["expo", "high-value"]
    read = sales.get(f"/leads/{tagged['lead_id']}", token=tenant.admin_token).json
    assert read["tags"] == ["expo", "high-value"]
    assert [a["status"] for a in runs[full["lead_id"]]["actions"]] == ["failed"]
    kept = sales.get(f"/leads/{full['lead_id']}", token=tenant.admin_token).json
    assert len(kept["tags"]) == 20 and "high-value" not in kept["tags"]
