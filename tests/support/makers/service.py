"""Makers for the customer service routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import Maker


def _ticket(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/tickets", {"subject": "Isolation"},
                                    token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["ticket_id"])


def _business_hours(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/business-hours", {
        "name": "Isolation", "time_zone": "Europe/Berlin",
        "hours": {"mon": [["09:00", "17:00"]]}}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["business_hours_id"])


def _policy(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/sla-policies", {
        "name": "Isolation", "targets": {"low": {"first_response_minutes": 60,
                                                 "resolution_minutes": 600}}},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["policy_id"])


MAKERS: dict[str, Maker] = {
    "ticket_id": _ticket,
    "business_hours_id": _business_hours,
    "policy_id": _policy,
}
