"""How to make a real entity for each path parameter, so generated suites can call any route.

A new route whose path parameter has no maker fails the isolation suite until one is added:
every route gets its cross-tenant check without anyone remembering to write it. Makers live
here and in `tests/support/makers/<feature>.py` modules, each with a `MAKERS` dict.
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


def _contact(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["contacts"].post("/contacts", {"first_name": "Iso", "last_name": "Lation"},
                                     token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def _property(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    for prefix in ("contacts", "companies"):
        reply = clients["contacts"].post(f"/{prefix}/properties", {
            "name": "iso_field", "label": "Isolation", "type": "string"},
            token=tenant.admin_token)
        assert reply.status in (201, 409), reply.json
    return "iso_field"


MAKERS: dict[str, Maker] = {
    "contact_id": _contact,
    "name": _property,
    "user_id": _user,
    "team_id": _team,
    "key_id": _api_key,
    "tenant_id": _tenant,
}


def _collect() -> None:
    import importlib
    import pkgutil

    from tests.support import makers

    for module in pkgutil.iter_modules(makers.__path__):
        found = importlib.import_module(f"{makers.__name__}.{module.name}").MAKERS
        clash = set(found) & set(MAKERS)
        assert not clash, f"{module.name} redefines makers {sorted(clash)}"
        MAKERS.update(found)


_collect()
