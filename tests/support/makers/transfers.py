"""Makers for the transfers routes: a pending import and a queued export of the tenant."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants


def _import(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["contacts"].post("/imports", {
        "object_type": "contact", "mapping": {"Email": "email"}, "upsert_key": "email",
        "upload": True}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["import_id"])


def _export(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["contacts"].post("/exports", {"object_type": "contact"},
                                     token=tenant.admin_token)
    assert reply.status == 202, reply.json
    return str(reply.json["export_id"])


MAKERS = {"import_id": _import, "export_id": _export}
