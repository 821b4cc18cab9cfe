"""Makers for the order, customer value, connector, contract and loyalty routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants, unique

if TYPE_CHECKING:  # entities imports this module to collect MAKERS
    from tests.support.entities import Maker


def order_body(contact_id: str | None = None, **fields: object) -> dict[str, object]:
    """A valid order of two lines (USD 25.00), for the contact given or a new one."""
    return {"contact_id": contact_id or new_id("con"), "source": "shop",
            "external_id": unique("iso-"), "lines": [
                {"sku": "MUG", "name": "Mug", "quantity": 2,
                 "unit_price": {"amount": 1000, "currency": "USD"}},
                {"sku": "TEA", "name": "Tea", "quantity": 1,
                 "unit_price": {"amount": 500, "currency": "USD"}}],
            "totals": {"amount": 2500, "currency": "USD"}, **fields}


def _order(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/orders", order_body(), token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["order_id"])


def _customer(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """A contact with an order: its value record exists from the order's write on."""
    reply = clients["sales"].post("/orders", order_body(), token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def _connector(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/orders/connectors", {"name": unique("Shop ")},
                                  token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["connector_key"])


def _member(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/loyalty/members", {"contact_id": new_id("con")},
                                  token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def _contract(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/contracts", {
        "name": unique("Iso contract "), "company_id": new_id("cmp"),
        "start_date": "2031-01-01", "end_date": "2031-12-31",
        "value": {"amount": 120000, "currency": "USD"}}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contract_id"])


MAKERS: dict[str, Maker] = {
    "order_id": _order,
    "customer_id": _customer,
    "connector_key": _connector,
    "member_id": _member,
    "contract_id": _contract,
}
