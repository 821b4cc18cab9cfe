"""Workflow routes: admins write, managers read; thin, the rules live in logic.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.workflows import engine, logic, repository
from chalicelib.workflows.models import WorkflowItem
from chalicelib.workflows.schemas import (
    RunOut,
    RunPage,
    Simulate,
    SimulationOut,
    WorkflowFields,
    WorkflowOut,
    WorkflowPage,
    WorkflowPatch,
    WorkflowReplace,
)
from crm_shared.auth.roles import ADMINS, MANAGERS
from crm_shared.errors import NotFound
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.ids import is_id
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "workflows")


def shown(item: WorkflowItem, status: int | None = None) -> Reply:
    body = WorkflowOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/workflows", "POST", roles=ADMINS, body=WorkflowFields, response=WorkflowOut,
           status=201)
def create_workflow(req: ApiRequest) -> Reply:
    """Create a workflow: a trigger event, conditions over its data, ordered actions."""
    reply = shown(logic.create(req.principal, req.tenant_id, req.body))
    reply.headers["Location"] = f"/workflows/{reply.body.workflow_id}"
    return reply


@api.route("/workflows", "GET", roles=MANAGERS, response=WorkflowPage)
def list_workflows(req: ApiRequest) -> WorkflowPage:
    """A page of the tenant's workflows, oldest first."""
    items, cursor = repository.list_workflows(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return WorkflowPage(items=[WorkflowOut(**logic.record(i)) for i in items],
                        next_cursor=cursor)


@api.route("/workflows/{workflow_id}", "GET", roles=MANAGERS, response=WorkflowOut)
def get_workflow(req: ApiRequest, workflow_id: str) -> Reply:
    """Read a workflow (its ETag is its version)."""
    return shown(logic.get(req.tenant_id, workflow_id))


@api.route("/workflows/{workflow_id}", "PUT", roles=ADMINS, body=WorkflowReplace,
           response=WorkflowOut)
def replace_workflow(req: ApiRequest, workflow_id: str) -> Reply:
    """Replace a workflow: a new version (If-Match honoured)."""
    return shown(logic.replace(req.tenant_id, workflow_id, req.body, req.if_match()))


@api.route("/workflows/{workflow_id}", "PATCH", roles=ADMINS, body=WorkflowPatch,
           response=WorkflowOut)
def patch_workflow(req: ApiRequest, workflow_id: str) -> Reply:
    """Change some of a workflow (enable, disable, rename...): a new version."""
    return shown(logic.patch(req.tenant_id, workflow_id, req.body, req.if_match()))


@api.route("/workflows/{workflow_id}", "DELETE", roles=ADMINS, status=204)
def delete_workflow(req: ApiRequest, workflow_id: str) -> None:
    """Delete a workflow; runs in flight finish with their version."""
    logic.delete(req.tenant_id, workflow_id, req.if_match())


@api.route("/workflows/{workflow_id}/simulate", "POST", roles=MANAGERS, body=Simulate,
           response=SimulationOut)
def simulate_workflow(req: ApiRequest, workflow_id: str) -> SimulationOut:
    """What a sample event would do: conditions matched and the commands, in order."""
    return SimulationOut(**logic.simulate(req.tenant_id, workflow_id, req.body.event_type,
                                          req.body.data))


@api.route("/workflows/{workflow_id}/runs", "GET", roles=MANAGERS, response=RunPage)
def list_runs(req: ApiRequest, workflow_id: str) -> RunPage:
    """A page of the workflow's runs, newest first."""
    logic.get(req.tenant_id, workflow_id)
    items, cursor = repository.list_runs(req.tenant_id, workflow_id,
                                         parse_limit(req.query.get("limit")),
                                         req.query.get("cursor"))
    return RunPage(items=[RunOut(**engine.shown(r)) for r in items], next_cursor=cursor)


@api.route("/workflows/{workflow_id}/runs/{run_id}", "GET", roles=MANAGERS, response=RunOut)
def get_run(req: ApiRequest, workflow_id: str, run_id: str) -> RunOut:
    """One run: which conditions matched, each action's status and result."""
    run = repository.get_run(req.tenant_id, run_id) if is_id(run_id, "wfr") else None
    if run is None or run.workflow_id != workflow_id:
        raise NotFound("no such run")
    return RunOut(**engine.shown(run))
