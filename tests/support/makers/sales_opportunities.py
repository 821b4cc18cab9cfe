"""Makers for the product, opportunity and approval routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.entities import Maker


def _product(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/products", {
        "name": unique("Iso product "), "price": {"amount": 100, "currency": "USD"}},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["product_id"])


MAKERS: dict[str, Maker] = {
    "product_id": _product,
}
