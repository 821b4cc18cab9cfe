"""Makers for the order import routes: an import of the tenant (its one order fails: the
totals do not add up, which still makes a readable import)."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import Maker


def _order_import(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/orders/imports", {
        "csv": "external_id,sku,quantity,unit_price,totals\niso-1,SKU,1,5,6\n"},
        token=tenant.admin_token)
    assert reply.status == 202, reply.json
    return str(reply.json["import_id"])


MAKERS: dict[str, Maker] = {"order_import_id": _order_import}
