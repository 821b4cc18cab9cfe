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


def _campaign(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    client = clients["marketing"]
    segment = _segment(clients, tenants, tenant)
    template = _template(clients, tenants, tenant)
    reply = client.post("/campaigns", {"name": unique("Iso "), "channel": "sms",
                                       "segment_ids": [segment], "template_id": template},
                        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["campaign_id"])


def _suppression(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["marketing"].post("/suppressions", {
        "address": f"{unique('iso')}@example.com"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["suppression_id"])


def _token(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """A genuinely signed tracking token of the tenant (naming no sent message)."""
    from tests.support.services import load_app

    load_app("marketing")
    from chalicelib.tracking import tokens

    return tokens.make("o", tokens.Ref(tenant.tenant_id, "CAMPAIGN_SENDS#cam_iso", "con_iso"))


MAKERS: dict[str, Maker] = {
    "campaign_id": _campaign,
    "suppression_id": _suppression,
    "token": _token,
    "segment_id": _segment,
    "template_id": _template,
    "identity_id": _identity,
}
