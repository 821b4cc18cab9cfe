"""Makers for the companies and relationships routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.entities import Maker


def _company(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["contacts"].post("/companies", {"name": "Isolation Inc",
                                                    "domain": f"{unique('iso')}.example"},
                                     token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["company_id"])


def _relationship(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    ends = [_company(clients, tenants, tenant) for _ in range(2)]
    reply = clients["contacts"].post("/relationships", {
        "from_id": ends[0], "to_id": ends[1], "type": "partner_of"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["relationship_id"])


MAKERS: dict[str, Maker] = {
    "company_id": _company,
    "relationship_id": _relationship,
}
