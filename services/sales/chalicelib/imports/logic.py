"""Opportunity import use cases on the API's side: accept a CSV, store its chunks, queue
them; report progress and the rows that failed; finish once every chunk is counted.

The file is parsed and checked (header, mapping, pipeline) before anything is written, so a
bad request is a 4xx naming the field and leaves nothing behind. Each chunk's rows go in an
item of their own (a message carries only the chunk's number), and `chunks` writes them.
"""

from __future__ import annotations

from typing import Any

from chalicelib.imports import domain
from chalicelib.imports import repository as repo
from chalicelib.imports.jobs import queue
from chalicelib.imports.models import ImportJobItem
from chalicelib.imports.schemas import ImportIn
from chalicelib.pipelines import logic as pipelines
from crm_shared import clock, context
from crm_shared.context import Principal
from crm_shared.errors import NotFound, ValidationFailed
from crm_shared.events.sales_events import OpportunityImportCompleted
from crm_shared.ids import is_id, new_id
from crm_shared.jobs import principal_of, stored_principal
from crm_shared.unit_of_work import TransactionConflict

PREFIX = "imp"
CHUNK_KIND = "opportunity_import_chunk"
MAX_ERRORS_SHOWN = 1000


def submit(principal: Principal, tenant_id: str, body: ImportIn) -> ImportJobItem:
    """Check the file against the mapping, store its chunks and queue them."""
    mapping = dict(body.mapping or domain.DEFAULT_MAPPING)
    header, rows = domain.read(body.csv)
    if not header or not any(header):
        raise ValidationFailed.for_field("csv", "has no header row")
    problems = domain.check_mapping(header, mapping)
    if problems:
        raise ValidationFailed(f"invalid fields: {', '.join(f for f, _ in problems)}",
                               errors=[{"field": f, "message": m} for f, m in problems])
    pipeline, _ = pipelines.resolve(tenant_id, body.pipeline_id, None)
    import_id = new_id(PREFIX)
    chunks = domain.chunked(rows)
    job = repo.new_job(
        tenant_id, import_id, clock.iso(), status="running" if chunks else "completed",
        request={"mapping": mapping, "currency": body.currency,
                 "pipeline_id": pipeline.pipeline_id},
        header=header, principal=stored_principal(principal), total=len(rows),
        chunks_total=len(chunks))
    if not chunks:
        job.finished_at = job.created_at
    repo.save_all([*(repo.new_chunk(tenant_id, import_id, n, c) for n, c in enumerate(chunks)),
                   job])
    correlation_id = context.current().correlation_id
    queue.send(*({"kind": CHUNK_KIND, "tenant_id": tenant_id, "job_id": import_id, "chunk": n,
                  "correlation_id": correlation_id} for n in range(len(chunks))))
    return job


def get(tenant_id: str, import_id: str) -> ImportJobItem:
    job = repo.get_job(tenant_id, import_id) if is_id(import_id, PREFIX) else None
    if job is None:
        raise NotFound("no such import")
    return job


def errors_of(job: ImportJobItem) -> tuple[list[dict[str, Any]], bool]:
    """The failed rows so far, by row number (the first MAX_ERRORS_SHOWN), and whether more
    failed than shown."""
    if not job.failed:
        return [], False
    found = sorted(repo.chunk_errors(job.tenant_id, job.import_id),
                   key=lambda e: (e["row"], e["column"]))
    return found[:MAX_ERRORS_SHOWN], len(found) > MAX_ERRORS_SHOWN


def finish(tenant_id: str, import_id: str) -> None:
    """Complete the import when every chunk is counted: one status change, one event."""
    job = repo.get_job(tenant_id, import_id, consistent=True)
    if job is None or job.status != "running" or job.chunks_done < job.chunks_total:
        return
    try:
        with repo.unit_of_work() as uow:
            repo.finish(uow, job, clock.iso())
            uow.emit(OpportunityImportCompleted(
                import_id=import_id, total=int(job.total), created=int(job.created),
                updated=int(job.updated), skipped=int(job.skipped), failed=int(job.failed)),
                tenant_id, actor=principal_of(job.principal, tenant_id).actor)
    except TransactionConflict:
        return  # another chunk finished it
