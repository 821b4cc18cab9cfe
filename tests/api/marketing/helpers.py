"""Shared steps of the marketing tests: contacts made through the contacts service's API
and carried to marketing's read model by the real bus (settle)."""

from __future__ import annotations

from typing import Any

from tests.support.client import ApiClient, Tenant, unique
from tests.support.events import settle


def contact(contacts: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"first_name": "Ada", "last_name": unique("L"),
            "emails": [{"address": f"{unique('p')}@example.com"}], **fields}
    reply = contacts.post("/contacts", body, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def consent(contacts: ApiClient, tenant: Tenant, contact_id: str, channel: str = "email",
            status: str = "granted") -> None:
    body: dict[str, Any] = {"status": status}
    if status == "granted":
        body["legal_basis"] = "consent"
    reply = contacts.request("PUT", f"/contacts/{contact_id}/consents/{channel}", body,
                             token=tenant.admin_token)
    assert reply.status in (200, 201), reply.json


def dynamic(marketing: ApiClient, tenant: Tenant, filters: list[dict[str, Any]],
            runtimes: dict[str, Any], name: str = "Seg") -> dict[str, Any]:
    reply = marketing.post("/segments", {"name": unique(name), "filter": {
        "filter_groups": [{"filters": filters}]}}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    settle(runtimes)
    got = marketing.get(f"/segments/{reply.json['segment_id']}", token=tenant.admin_token)
    return dict(got.json)


def member_ids(marketing: ApiClient, tenant: Tenant, segment_id: str) -> set[str]:
    found: set[str] = set()
    cursor = None
    while True:
        path = f"/segments/{segment_id}/members?limit=100" + (f"&cursor={cursor}" if cursor
                                                               else "")
        reply = marketing.get(path, token=tenant.admin_token)
        assert reply.status == 200, reply.json
        found |= {m["contact_id"] for m in reply.json["items"]}
        cursor = reply.json["next_cursor"]
        if not cursor:
            return found
