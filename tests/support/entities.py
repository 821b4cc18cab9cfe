"""How to make a real entity for each path parameter, so generated suites can call any route.

A new route whose path parameter has no maker here fails the isolation suite until one is
added: every route gets its cross-tenant check without anyone remembering to write it.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.client import ApiClient, Tenant, Tenants

Maker = Callable[[dict[str, ApiClient], Tenants, Tenant], str]


def _user(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    tenants.user(tenant, "viewer")
    return tenant.user_ids["viewer"]


def _team(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["platform"].post("/teams", {"name": "Isolation"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["team_id"])


def _api_key(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["platform"].post("/api-keys", {"name": "iso", "scopes": ["*:read"]},
                                     token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["key_id"])


def _tenant(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    return tenant.tenant_id


MAKERS: dict[str, Maker] = {
    "user_id": _user,
    "team_id": _team,
    "key_id": _api_key,
    "tenant_id": _tenant,
}
