"""Makers for the timeline's and the files' path parameters (interaction_id, file_id)."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import Maker


def _contact(clients: dict[str, ApiClient], tenant: Tenant) -> str:
    reply = clients["contacts"].post("/contacts", {"first_name": "Time", "last_name": "Line"},
                                     token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def _interaction(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["contacts"].post("/interactions", {
        "kind": "note", "subject": "Isolation", "related_ids": [_contact(clients, tenant)]},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["interaction_id"])


def _file(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["contacts"].post("/files", {
        "related_id": _contact(clients, tenant), "filename": "iso.txt",
        "content_type": "text/plain", "size": 10}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["file_id"])


MAKERS: dict[str, Maker] = {"interaction_id": _interaction, "file_id": _file}
