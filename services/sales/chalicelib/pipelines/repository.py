"""The only place that knows pipeline keys: `T#<tenant>#PIPELINES` / `<pipeline_id>`."""

from __future__ import annotations

import time

from chalicelib import SERVICE
from chalicelib.pipelines.models import PipelineItem
from crm_shared.dynamo import tenant_key
from crm_shared.unit_of_work import UnitOfWork

MAX_PIPELINES = 50
CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, list[PipelineItem]]] = {}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def partition(tenant_id: str) -> str:
    return tenant_key(tenant_id, "PIPELINES")


def new_item(tenant_id: str, pipeline_id: str, **fields: object) -> PipelineItem:
    return PipelineItem(PK=partition(tenant_id), SK=pipeline_id, pipeline_id=pipeline_id,
                        tenant_id=tenant_id, **fields)


def all_of(tenant_id: str, fresh: bool = False) -> list[PipelineItem]:
    """Every pipeline of the tenant: one Query, cached briefly per container (opportunity
    writes check stages against it on every call)."""
    cached = _cache.get(tenant_id)
    if not fresh and cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    found = list(PipelineItem.query(partition(tenant_id), limit=MAX_PIPELINES,
                                    consistent_read=fresh))
    _cache[tenant_id] = (time.monotonic(), found)
    return found


def forget(tenant_id: str) -> None:
    _cache.pop(tenant_id, None)


def get(tenant_id: str, pipeline_id: str) -> PipelineItem | None:
    try:
        return PipelineItem.get(partition(tenant_id), pipeline_id)
    except PipelineItem.DoesNotExist:
        return None
