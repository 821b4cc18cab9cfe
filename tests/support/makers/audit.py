"""Makers for the audit routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import Maker


def _audit_entry(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """A real entry: a retention change is audited in its own transaction."""
    platform = clients["platform"]
    etag = platform.get("/audit/settings", token=tenant.admin_token).header("ETag") or '"0"'
    reply = platform.request("PUT", "/audit/settings", {"retention_days": 400},
                             token=tenant.admin_token, headers={"If-Match": etag})
    assert reply.status == 200, reply.json
    listed = platform.get("/audit?entity_type=audit_settings&entity_id=" + tenant.tenant_id,
                          token=tenant.admin_token)
    assert listed.status == 200 and listed.json["items"], listed.json
    return str(listed.json["items"][0]["entry_id"])


MAKERS: dict[str, Maker] = {"audit_entry_id": _audit_entry}
