"""Tenant isolation and authorization, generated from every service's route table.

For each declared route: no or a bad token is 401; each role the route does not allow is
403; and a token of tenant B aimed at tenant A's ids is 404 and changes nothing. Lists never
show another tenant's records. Routes added later are covered by being declared.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from crm_shared.auth.roles import ALL_ROLES
from crm_shared.http import AUTH_OPERATOR, AUTH_PUBLIC, RouteSpec
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import MAKERS
from tests.support.events import settle
from tests.support.services import load_app, service_names


def _routes() -> list[RouteSpec]:
    return [spec for name in service_names() for spec in load_app(name).app.crm_routes]


ROUTES = _routes()
PARAM = re.compile(r"\{(\w+)\}")


def route_id(spec: RouteSpec) -> str:
    return f"{spec.service}:{spec.method}:{spec.path}"


def sample_body(spec: RouteSpec) -> Any:
    return {} if spec.body is not None else None


@pytest.fixture(scope="module")
def pair(tenants: Tenants, runtimes: dict[str, Any]) -> tuple[Tenant, Tenant]:
    """Two provisioned tenants whose TenantProvisioned every service has seen (default
    pipelines, SLA policies...), as any tenant is a moment after provisioning."""
    made = tenants.create("Tenant A"), tenants.create("Tenant B")
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def ids_of_a(pair: tuple[Tenant, Tenant], clients: dict[str, ApiClient],
             tenants: Tenants) -> dict[str, str]:
    tenant_a = pair[0]
    params = {p for spec in ROUTES for p in PARAM.findall(spec.path)}
    missing = params - set(MAKERS)
    assert not missing, f"add a maker to tests/support/entities.py for: {sorted(missing)}"
    return {param: MAKERS[param](clients, tenants, tenant_a) for param in sorted(params)}


def fill(path: str, ids: dict[str, str]) -> str:
    return PARAM.sub(lambda m: ids[m.group(1)], path)


def test_every_service_declares_routes() -> None:
    assert {spec.service for spec in ROUTES} == set(service_names())


@pytest.mark.parametrize("spec", [s for s in ROUTES if s.auth != AUTH_PUBLIC], ids=route_id)
def test_missing_or_invalid_credentials_are_401(spec: RouteSpec, clients: dict[str, ApiClient],
                                                ids_of_a: dict[str, str]) -> None:
    client = clients[spec.service]
    path = fill(spec.path, ids_of_a)
    assert client.request(spec.method, path, sample_body(spec)).status == 401
    bad = {"X-Operator-Key": "wrong"} if spec.auth == AUTH_OPERATOR else {
        "Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}
    reply = client.request(spec.method, path, sample_body(spec), headers=bad)
    assert reply.status == 401
    assert reply.header("Content-Type") == "application/problem+json"


@pytest.mark.parametrize("spec", [s for s in ROUTES if s.auth == "user"], ids=route_id)
def test_roles_the_route_does_not_allow_are_403(spec: RouteSpec, clients: dict[str, ApiClient],
                                                tenants: Tenants, pair: tuple[Tenant, Tenant],
                                                ids_of_a: dict[str, str]) -> None:
    tenant_a = pair[0]
    forbidden = sorted(ALL_ROLES - spec.roles)
    for role in forbidden:
        reply = clients[spec.service].request(
            spec.method, fill(spec.path, ids_of_a), sample_body(spec),
            token=tenants.user(tenant_a, role))
        assert reply.status == 403, (role, reply.json)


@pytest.mark.parametrize("spec", [s for s in ROUTES if s.auth == "user" and PARAM.search(s.path)],
                         ids=route_id)
def test_another_tenants_ids_are_404(spec: RouteSpec, clients: dict[str, ApiClient],
                                     tenants: Tenants, pair: tuple[Tenant, Tenant],
                                     ids_of_a: dict[str, str]) -> None:
    tenant_a, tenant_b = pair
    client = clients[spec.service]
    path = fill(spec.path, ids_of_a)
    role = "admin" if "admin" in spec.roles else sorted(spec.roles)[0]
    snapshot = readable_path(spec, ids_of_a)
    before = client.get(snapshot, token=tenants.user(tenant_a, "admin"))
    reply = client.request(spec.method, path, sample_body(spec), token=tenants.user(tenant_b, role))
    assert reply.status == 404, reply.json
    assert tenant_a.tenant_id not in reply.raw.decode()
    after = client.get(snapshot, token=tenants.user(tenant_a, "admin"))
    assert before.status == 200, before.json
    assert before.json == after.json, "tenant B changed tenant A's data"


def readable_path(spec: RouteSpec, ids: dict[str, str]) -> str:
    """Where tenant A can read what `spec` touches: its GET route, else its collection."""
    gets = {s.path for s in ROUTES if s.service == spec.service and s.method == "GET"}
    path = spec.path if spec.path in gets else spec.path.rsplit("/", 1)[0]
    assert path in gets, f"{route_id(spec)}: no GET route to check it by"
    return fill(path, ids)


@pytest.mark.parametrize(
    "spec", [s for s in ROUTES if s.auth == "user" and s.method == "GET"
             and not PARAM.search(s.path)], ids=route_id)
def test_lists_never_show_another_tenant(spec: RouteSpec, clients: dict[str, ApiClient],
                                         tenants: Tenants, pair: tuple[Tenant, Tenant],
                                         ids_of_a: dict[str, str]) -> None:
    tenant_a, tenant_b = pair
    reply = clients[spec.service].get(spec.path, token=tenants.user(tenant_b, "admin"))
    assert reply.status == 200, reply.json
    text = json.dumps(reply.json)
    assert tenant_a.tenant_id not in text
    for value in ids_of_a.values():
        assert value not in text


@pytest.mark.parametrize("spec", [s for s in ROUTES if s.auth == AUTH_OPERATOR], ids=route_id)
def test_operator_routes_refuse_tenant_admins(spec: RouteSpec, clients: dict[str, ApiClient],
                                              pair: tuple[Tenant, Tenant],
                                              ids_of_a: dict[str, str]) -> None:
    reply = clients[spec.service].request(spec.method, fill(spec.path, ids_of_a),
                                          sample_body(spec), token=pair[0].admin_token)
    assert reply.status == 401
