"""Makers for the journey routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.entities import Maker


def _journey(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["marketing"].post("/journeys", {
        "name": unique("Iso "), "trigger": {"event_type": "ContactCreated"},
        "steps": [{"id": "tag", "type": "update_contact", "add_tag": "iso"}]},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["journey_id"])


MAKERS: dict[str, Maker] = {"journey_id": _journey}
