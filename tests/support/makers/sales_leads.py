"""Makers for the lead-side sales routes' path parameters (leads, tasks, forms)."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.entities import Maker


def _lead(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/leads", {"name": "Iso Lead",
                                             "email": f"{unique('iso-')}@example.com"},
                                  token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["lead_id"])


def _task(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/tasks", {"title": "Iso task", "type": "call"},
                                  token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["task_id"])


def _form(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/leads/forms", {"name": "Iso form",
                                                   "field_map": {"email": "email"}},
                                  token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["form_id"])


MAKERS: dict[str, Maker] = {
    "form_id": _form,
    "lead_id": _lead,
    "task_id": _task,
}
