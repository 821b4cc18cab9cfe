"""Makers for the sales routes' path parameters."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.entities import Maker

STAGES = [{"name": "Open", "probability": 10}, {"name": "Won", "probability": 100, "kind": "won"},
          {"name": "Lost", "probability": 0, "kind": "lost"}]


def _pipeline(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/pipelines", {"name": unique("Iso "), "stages": STAGES},
                                  token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["pipeline_id"])


MAKERS: dict[str, Maker] = {
    "pipeline_id": _pipeline,
}
