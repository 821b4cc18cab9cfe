"""Makers for the customer service routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import Maker


def _ticket(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/tickets", {"subject": "Isolation"},
                                    token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["ticket_id"])


MAKERS: dict[str, Maker] = {
    "ticket_id": _ticket,
}
