"""Pipeline routes: thin; the rules live in logic.py and domain.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.pipelines import logic, repository
from chalicelib.pipelines.models import PipelineItem
from chalicelib.pipelines.schemas import PipelineCreate, PipelineFields, PipelineList, PipelineOut
from crm_shared.auth.roles import ALL_ROLES, MANAGERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag

api = ServiceApi(SERVICE, "pipelines")


def shown(item: PipelineItem, status: int | None = None) -> Reply:
    body = PipelineOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/pipelines", "POST", roles=MANAGERS, body=PipelineCreate, response=PipelineOut,
           status=201)
def create_pipeline(req: ApiRequest) -> Reply:
    """A pipeline with ordered stages; the tenant's first one, or `is_default`, is the
    default new deals go to."""
    item = logic.create(req.tenant_id, req.body)
    reply = shown(item)
    reply.headers["Location"] = f"/pipelines/{item.pipeline_id}"
    return reply


@api.route("/pipelines", "GET", roles=ALL_ROLES, response=PipelineList)
def list_pipelines(req: ApiRequest) -> PipelineList:
    """Every pipeline of the tenant (one partition: a tenant has a handful)."""
    items = sorted(repository.all_of(req.tenant_id, fresh=True), key=lambda i: i.created_at)
    return PipelineList(items=[PipelineOut(**logic.record(i)) for i in items])


@api.route("/pipelines/{pipeline_id}", "GET", roles=ALL_ROLES, response=PipelineOut)
def get_pipeline(req: ApiRequest, pipeline_id: str) -> Reply:
    return shown(logic.get(req.tenant_id, pipeline_id))


@api.route("/pipelines/{pipeline_id}", "PATCH", roles=MANAGERS, body=PipelineFields,
           response=PipelineOut)
def update_pipeline(req: ApiRequest, pipeline_id: str) -> Reply:
    """Rename, reorder or re-weight stages, or make it the default (If-Match honoured)."""
    return shown(logic.update(req.tenant_id, pipeline_id, req.body, req.if_match()))
