"""Pipeline use cases: create, change, choose the default, and resolve a stage for a deal."""

from __future__ import annotations

from typing import Any

from chalicelib.pipelines import domain, repository
from chalicelib.pipelines.models import PipelineItem
from chalicelib.pipelines.schemas import PipelineCreate, PipelineFields
from crm_shared import clock
from crm_shared.errors import BadRequest, Conflict, NotFound, PreconditionFailed
from crm_shared.ids import new_id
from crm_shared.unit_of_work import UnitOfWork

MAX_PIPELINES = repository.MAX_PIPELINES


def record(item: PipelineItem) -> dict[str, Any]:
    return {"pipeline_id": item.pipeline_id, "name": item.name, "stages": item.stages,
            "is_default": bool(item.is_default), "version": item.version or 1,
            "created_at": item.created_at, "updated_at": item.updated_at}


def get(tenant_id: str, pipeline_id: str) -> PipelineItem:
    item = repository.get(tenant_id, pipeline_id)
    if item is None:
        raise NotFound.for_field("pipeline_id", f"no pipeline {pipeline_id}")
    return item


def _undefault_others(uow: UnitOfWork, tenant_id: str, keep: str) -> None:
    for other in repository.all_of(tenant_id, fresh=True):
        if other.pipeline_id != keep and other.is_default:
            other.is_default = False
            uow.put(other, label="version_default")


def create(tenant_id: str, cmd: PipelineCreate) -> PipelineItem:
    existing = repository.all_of(tenant_id, fresh=True)
    if len(existing) >= MAX_PIPELINES:
        raise Conflict.for_field("name", f"a tenant has at most {MAX_PIPELINES} pipelines")
    now = clock.iso()
    is_default = bool(cmd.is_default) or not existing
    item = repository.new_item(
        tenant_id, new_id("pip"), name=cmd.name, is_default=is_default,
        stages=domain.positioned([s.model_dump() for s in cmd.stages]),
        created_at=now, updated_at=now)
    uow = repository.unit_of_work()
    uow.put(item, PipelineItem.PK.does_not_exist(), label="pipeline")
    if is_default:
        _undefault_others(uow, tenant_id, item.pipeline_id)
    uow.commit()
    repository.forget(tenant_id)
    return item


def seed_default(uow: UnitOfWork, tenant_id: str) -> None:
    """The default pipeline a new tenant starts with (TenantProvisioned)."""
    now = clock.iso()
    item = repository.new_item(tenant_id, new_id("pip"), name=domain.DEFAULT_NAME,
                               is_default=True, stages=domain.positioned(domain.DEFAULT_STAGES),
                               created_at=now, updated_at=now)
    uow.put(item, label="pipeline")


def update(tenant_id: str, pipeline_id: str, cmd: PipelineFields,
           if_match: int | None) -> PipelineItem:
    item = get(tenant_id, pipeline_id)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the pipeline changed since you read it", code="version_mismatch")
    sent = cmd.model_dump(exclude_unset=True)
    if sent.get("is_default") is False and item.is_default:
        raise BadRequest.for_field("is_default", "make another pipeline the default instead")
    uow = repository.unit_of_work()
    if "name" in sent:
        item.name = sent["name"]
    if "stages" in sent:
        item.stages = domain.positioned(sent["stages"])
    if sent.get("is_default"):
        item.is_default = True
        _undefault_others(uow, tenant_id, pipeline_id)
    item.updated_at = clock.iso()
    uow.put(item, label="version")
    uow.commit()
    repository.forget(tenant_id)
    return item


def pipelines(tenant_id: str) -> dict[str, domain.Pipeline]:
    return {i.pipeline_id: domain.from_record(record(i)) for i in repository.all_of(tenant_id)}


def resolve(tenant_id: str, pipeline_id: str | None,
            stage: str | None) -> tuple[domain.Pipeline, domain.Stage]:
    """The pipeline (the default when None) and the stage a deal is in; an unknown pipeline
    or stage is a 400 naming the field. New pipelines are seen at once (cache refreshed)."""
    known = pipelines(tenant_id)
    if pipeline_id is not None and pipeline_id not in known:
        repository.forget(tenant_id)
        known = pipelines(tenant_id)
    if pipeline_id is None:
        chosen = next((p for p in known.values() if p.is_default), None)
        if chosen is None:
            raise BadRequest.for_field("pipeline_id", "the tenant has no default pipeline")
    elif pipeline_id in known:
        chosen = known[pipeline_id]
    else:
        raise BadRequest.for_field("pipeline_id", f"no pipeline {pipeline_id}")
    if stage is None:
        return chosen, chosen.first_open
    found = chosen.stage(stage)
    if found is None:
        names = ", ".join(s.name for s in chosen.stages)
        raise BadRequest.for_field("stage", f"{stage!r} is not a stage of pipeline "
                                   f"{chosen.name!r} ({names})")
    return chosen, found
