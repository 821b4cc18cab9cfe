"""Makers for the workflow routes' path parameters, and helpers the workflow tests share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.services import load_app

if TYPE_CHECKING:  # the makers are collected by tests.support.entities itself
    from tests.support.entities import Maker


def make_workflow(platform: ApiClient, token: str, event_type: str,
                  actions: list[dict[str, Any]], conditions: list[dict[str, Any]] | None = None,
                  **fields: Any) -> dict[str, Any]:
    reply = platform.post("/workflows", {
        "name": unique("Workflow "), "trigger": {"event_type": event_type},
        "conditions": conditions or [], "actions": actions, **fields}, token=token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def runs_of(platform: ApiClient, token: str, workflow_id: str) -> list[dict[str, Any]]:
    reply = platform.get(f"/workflows/{workflow_id}/runs?limit=100", token=token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


_WORKFLOWS: dict[str, str] = {}


def _workflow(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """One workflow per tenant (the run maker's run belongs to it): it waits an hour after
    the tenant's team named after the tenant changes."""
    if tenant.tenant_id not in _WORKFLOWS:
        made = make_workflow(clients["platform"], tenant.admin_token, "TeamChanged",
                             [{"type": "wait", "hours": 1}],
                             [{"filters": [{"field": "name", "operator": "eq",
                                            "value": f"Run {tenant.tenant_id}"}]}])
        _WORKFLOWS[tenant.tenant_id] = str(made["workflow_id"])
    return _WORKFLOWS[tenant.tenant_id]


def _run(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """A run of the tenant's workflow: the platform's own stream and queue are pumped here
    (makers have no `settle`)."""
    from infra.local.lambda_runtime import ServiceRuntime

    platform = clients["platform"]
    workflow_id = _workflow(clients, tenants, tenant)
    made = platform.post("/teams", {"name": f"Run {tenant.tenant_id}"},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    session = boto3.session.Session(region_name="us-east-1")
    runtime = ServiceRuntime(load_app("platform"), platform.resources["services"]["platform"],
                             session, None)
    while runtime.pump_stream() + runtime.pump_queue():
        pass
    return str(runs_of(platform, tenant.admin_token, workflow_id)[0]["run_id"])


MAKERS: dict[str, Maker] = {
    "workflow_id": _workflow,
    "run_id": _run,
}
