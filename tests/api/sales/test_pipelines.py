"""Pipelines: the seeded default, ordered stages with probabilities, validation, If-Match."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle

STAGES = [{"name": "Discovery", "probability": 10},
          {"name": "Demo", "probability": 50},
          {"name": "Won", "probability": 100, "kind": "won"},
          {"name": "Lost", "probability": 0, "kind": "lost"}]


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def test_a_new_tenant_has_a_default_pipeline_with_maven_stages(sales: ApiClient,
                                                               tenant: Tenant) -> None:
    reply = sales.get("/pipelines", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    [pipeline] = reply.json["items"]
    assert pipeline["is_default"] is True
    names = [s["name"] for s in pipeline["stages"]]
    assert {"Prospecting", "Engaging", "Won", "Lost"} <= set(names)
    assert [s["position"] for s in pipeline["stages"]] == list(range(len(names)))
    kinds = {s["name"]: s["kind"] for s in pipeline["stages"]}
    assert kinds["Won"] == "won" and kinds["Lost"] == "lost" and kinds["Engaging"] == "open"


def test_create_then_make_default_moves_the_flag(sales: ApiClient, tenant: Tenant) -> None:
    made = sales.post("/pipelines", {"name": "Renewals", "stages": STAGES},
                      token=tenant.admin_token)
    assert made.status == 201, made.json
    assert made.json["is_default"] is False
    assert made.header("Location") == f"/pipelines/{made.json['pipeline_id']}"
    pid = made.json["pipeline_id"]
    changed = sales.patch(f"/pipelines/{pid}", {"is_default": True}, token=tenant.admin_token,
                          headers={"If-Match": made.header("ETag")})
    assert changed.status == 200, changed.json
    defaults = [p["pipeline_id"] for p in sales.get("/pipelines", token=tenant.admin_token)
                .json["items"] if p["is_default"]]
    assert defaults == [pid]


def test_a_stale_if_match_is_412(sales: ApiClient, tenant: Tenant) -> None:
    made = sales.post("/pipelines", {"name": "Partners", "stages": STAGES},
                      token=tenant.admin_token)
    pid = made.json["pipeline_id"]
    first = sales.patch(f"/pipelines/{pid}", {"name": "Partner deals"}, token=tenant.admin_token,
                        headers={"If-Match": made.header("ETag")})
    assert first.status == 200
    stale = sales.patch(f"/pipelines/{pid}", {"name": "Again"}, token=tenant.admin_token,
                        headers={"If-Match": made.header("ETag")})
    assert stale.status == 412, stale.json
    assert sales.get(f"/pipelines/{pid}", token=tenant.admin_token).json["name"] == "Partner deals"


@pytest.mark.parametrize("body, field", [
    ({"name": "X", "stages": STAGES[:1]}, "stages"),
    ({"name": "X", "stages": [STAGES[0], STAGES[0], *STAGES[2:]]}, "stages"),
    ({"name": "X", "stages": STAGES[:3]}, "stages"),
    ({"name": "X", "stages": [{**STAGES[0], "probability": 101}, *STAGES[1:]]},
     "stages[0].probability"),
    ({"name": "X", "stages": [{**STAGES[0], "kind": "maybe"}, *STAGES[1:]]}, "stages[0].kind"),
    ({"stages": STAGES}, "name"),
    ({"name": "X", "stages": STAGES, "color": "red"}, "color"),
])
def test_bad_pipelines_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                                body: dict[str, Any], field: str) -> None:
    reply = sales.post("/pipelines", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_patching_a_field_to_null_is_422_naming_it(sales: ApiClient, tenant: Tenant) -> None:
    made = sales.post("/pipelines", {"name": "Nullable", "stages": STAGES},
                      token=tenant.admin_token)
    reply = sales.patch(f"/pipelines/{made.json['pipeline_id']}",
                        {"name": None, "stages": None, "is_default": None},
                        token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert {e["field"] for e in reply.json["errors"]} == {"name", "stages", "is_default"}


def test_unsetting_the_only_default_is_refused(sales: ApiClient, tenant: Tenant) -> None:
    default = next(p for p in sales.get("/pipelines", token=tenant.admin_token).json["items"]
                   if p["is_default"])
    reply = sales.patch(f"/pipelines/{default['pipeline_id']}", {"is_default": False},
                        token=tenant.admin_token)
    assert reply.status == 400
    assert reply.json["errors"][0]["field"] == "is_default"


def test_reps_read_pipelines_but_cannot_change_them(sales: ApiClient, tenants: Tenants,
                                                    tenant: Tenant) -> None:
    rep = tenants.user(tenant, "sales_rep")
    assert sales.get("/pipelines", token=rep).status == 200
    assert sales.post("/pipelines", {"name": "Mine", "stages": STAGES}, token=rep).status == 403
