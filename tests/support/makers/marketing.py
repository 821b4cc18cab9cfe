"""Makers for the marketing routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.entities import Maker


def _segment(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["marketing"].post("/segments", {"name": unique("Iso "), "kind": "static"},
                                      token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["segment_id"])


def _template(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["marketing"].post("/templates", {
        "name": unique("Iso "), "channel": "sms", "text": "Hi {{ contact.first_name }}"},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["template_id"])


def _identity(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["marketing"].post("/sender-identities", {
        "email": f"{unique('iso')}@example.com"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["identity_id"])


MAKERS: dict[str, Maker] = {
    "segment_id": _segment,
    "template_id": _template,
    "identity_id": _identity,
}
