"""Makers for the product, opportunity and approval routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.entities import Maker
from tests.support.makers.sales import _pipeline


def _product(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/products", {
        "name": unique("Iso product "), "price": {"amount": 100, "currency": "USD"}},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["product_id"])


def _opportunity(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    # the suite does not deliver TenantProvisioned, so the tenant has no seeded pipeline
    pipeline_id = _pipeline(clients, tenants, tenant)
    reply = clients["sales"].post("/opportunities", {
        "name": unique("Iso deal "), "pipeline_id": pipeline_id,
        "contact_ids": ["con_01J0000000000000000000ISO1"],
        "amount": {"amount": 100, "currency": "USD"}}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["opportunity_id"])


def _approval(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/approvals", {
        "subject_type": "refund", "subject_id": unique("iso-"), "reason": "isolation"},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["approval_id"])


MAKERS: dict[str, Maker] = {
    "product_id": _product,
    "opportunity_id": _opportunity,
    "approval_id": _approval,
}
