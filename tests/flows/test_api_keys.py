"""An API key made on the platform works on another service once the event reaches it."""

from __future__ import annotations

from typing import Any

from tests.support.client import ApiClient, Tenants
from tests.support.events import settle


def test_a_scoped_key_reaches_contacts_and_its_revocation_too(
    platform: ApiClient, contacts: ApiClient, tenants: Tenants, runtimes: dict[str, Any]
) -> None:
    tenant = tenants.create()
    other = tenants.create()
    created = platform.post("/api-keys", {"name": "BI export", "role": "viewer",
                                          "scopes": ["contacts:read"]},
                            token=tenant.admin_token)
    assert created.status == 201, created.json
    key = {"X-Api-Key": created.json["api_key"]}
    assert contacts.get("/contacts", headers=key).status == 401, "not known before the event"
    settle(runtimes)  # ApiKeyCreated: platform -> bus -> the contacts projection
    listed = contacts.get("/contacts", headers=key)
    assert listed.status == 200, listed.json
    write = contacts.post("/contacts", {"first_name": "Nope"}, headers=key)
    assert write.status == 403 and write.json["code"] == "missing_scope"
    mine = contacts.post("/contacts", {"first_name": "Ada"}, token=tenant.admin_token).json
    theirs = contacts.post("/contacts", {"first_name": "Eve"}, token=other.admin_token).json
    assert contacts.get(f"/contacts/{mine['contact_id']}", headers=key).status == 200
    assert contacts.get(f"/contacts/{theirs['contact_id']}", headers=key).status == 404
    revoked = platform.delete(f"/api-keys/{created.json['key_id']}", token=tenant.admin_token)
    assert revoked.status == 204
    settle(runtimes)
    assert contacts.get("/contacts", headers=key).status == 401
