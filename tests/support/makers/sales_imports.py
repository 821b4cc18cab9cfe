"""Makers for the opportunity import routes: an import of the tenant (its one row fails:
no such owner, which still makes a readable import)."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import Maker
from tests.support.makers.sales import _pipeline


def _opportunity_import(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    # the suite does not deliver TenantProvisioned, so the tenant has no seeded pipeline
    reply = clients["sales"].post("/opportunities/imports", {
        "csv": "Deal,Agent\nIso deal,Nobody Known\n", "pipeline_id": _pipeline(
            clients, tenants, tenant), "mapping": {"Deal": "name", "Agent": "owner"}},
        token=tenant.admin_token)
    assert reply.status == 202, reply.json
    return str(reply.json["import_id"])


MAKERS: dict[str, Maker] = {"opportunity_import_id": _opportunity_import}
