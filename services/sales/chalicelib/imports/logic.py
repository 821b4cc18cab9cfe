"""Sales CSV imports on the API's side and the queue's, for every kind of import (an
`ImportKind`: opportunities, orders): accept a CSV, store its chunks, queue them; write a
chunk once, count it once; report progress and the rows that failed; finish once every chunk
is counted. What a kind's rows become is its own: a chunk writer (`chunks` for deals,
`order_imports.logic` for orders).

The file is parsed and checked (header, mapping, and what the kind checks) before anything
is written, so a bad request is a 4xx naming the field and leaves nothing behind. Each
chunk's rows go in an item of their own (a message carries only the chunk's number).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.imports import domain
from chalicelib.imports import repository as repo
from chalicelib.imports.jobs import queue
from chalicelib.imports.models import ImportJobItem
from chalicelib.imports.schemas import ImportIn, ImportOut, RowErrorOut
from chalicelib.pipelines import logic as pipelines
from crm_shared import clock, context
from crm_shared.context import Principal
from crm_shared.errors import NotFound, ValidationFailed
from crm_shared.events.envelope import Event
from crm_shared.events.sales_events import OpportunityImportCompleted
from crm_shared.ids import is_id, new_id
from crm_shared.imports import RowError
from crm_shared.jobs import Message, principal_of, stored_principal
from crm_shared.unit_of_work import TransactionConflict

PREFIX = "imp"
MAX_ERRORS_SHOWN = 1000
Rows = list[tuple[int, list[str]]]


class ChunkWriter(Protocol):
    """Writes one chunk's rows; what it counted and the rows that failed."""

    counts: Counter[str]
    errors: list[RowError]

    def run(self, rows: Rows) -> None: ...


@dataclass(frozen=True)
class ImportKind:
    """What tells one kind of sales import from another."""

    store: repo.Store
    chunk_kind: str  # the jobs queue's message kind of a chunk
    completed: Callable[[ImportJobItem], Event] | None = None  # the event once it completes


def _opportunities_completed(job: ImportJobItem) -> Event:
    return OpportunityImportCompleted(
        import_id=job.import_id, total=int(job.total), created=int(job.created),
        updated=int(job.updated), skipped=int(job.skipped), failed=int(job.failed))


OPPORTUNITIES = ImportKind(repo.OPPORTUNITY_IMPORTS, "opportunity_import_chunk",
                           _opportunities_completed)
ORDERS = ImportKind(repo.ORDER_IMPORTS, "order_import_chunk")


# -- the API's side ------------------------------------------------------------------------

def parse(text: str, mapping: dict[str, str] | None,
          default_mapping: Callable[[list[str]], dict[str, str]],
          check_mapping: Callable[[list[str], dict[str, str]], list[tuple[str, str]]],
          ) -> tuple[list[str], dict[str, str], Rows]:
    """The file's header, the mapping (the kind's default for the header when none was
    sent) and its rows; a 422 naming the field when the file or the mapping is wrong."""
    header, rows = domain.read(text)
    if not header or not any(header):
        raise ValidationFailed.for_field("csv", "has no header row")
    mapping = dict(mapping or default_mapping(header))
    problems = check_mapping(header, mapping)
    if problems:
        raise ValidationFailed(f"invalid fields: {', '.join(f for f, _ in problems)}",
                               errors=[{"field": f, "message": m} for f, m in problems])
    return header, mapping, rows


def start(kind: ImportKind, principal: Principal, tenant_id: str, header: list[str],
          total: int, chunks: list[Rows], request: dict[str, Any]) -> ImportJobItem:
    """Store the import and its chunks, and queue them."""
    import_id = new_id(PREFIX)
    job = repo.new_job(
        kind.store, tenant_id, import_id, clock.iso(),
        status="running" if chunks else "completed", request=request, header=header,
        principal=stored_principal(principal), total=total, chunks_total=len(chunks))
    if not chunks:
        job.finished_at = job.created_at
    repo.save_all([*(repo.new_chunk(kind.store, tenant_id, import_id, n, c)
                     for n, c in enumerate(chunks)), job])
    correlation_id = context.current().correlation_id
    queue.send(*({"kind": kind.chunk_kind, "tenant_id": tenant_id, "job_id": import_id,
                  "chunk": n, "correlation_id": correlation_id} for n in range(len(chunks))))
    return job


def submit(principal: Principal, tenant_id: str, body: ImportIn) -> ImportJobItem:
    """An opportunity import: check the file against the mapping and the pipeline, store
    its chunks and queue them."""
    header, mapping, rows = parse(body.csv, body.mapping, lambda _: domain.DEFAULT_MAPPING,
                                  domain.check_mapping)
    pipeline, _ = pipelines.resolve(tenant_id, body.pipeline_id, None)
    return start(OPPORTUNITIES, principal, tenant_id, header, len(rows),
                 domain.chunked([row] for row in rows),
                 {"mapping": mapping, "currency": body.currency,
                  "pipeline_id": pipeline.pipeline_id})


def get(kind: ImportKind, tenant_id: str, import_id: str) -> ImportJobItem:
    job = repo.get_job(kind.store, tenant_id, import_id) if is_id(import_id, PREFIX) else None
    if job is None:
        raise NotFound("no such import")
    return job


def errors_of(kind: ImportKind, job: ImportJobItem) -> tuple[list[dict[str, Any]], bool]:
    """The failed rows so far, by row number (the first MAX_ERRORS_SHOWN), and whether more
    failed than shown."""
    if not job.failed:
        return [], False
    found = sorted(repo.chunk_errors(kind.store, job.tenant_id, job.import_id),
                   key=lambda e: (e["row"], e["column"]))
    return found[:MAX_ERRORS_SHOWN], len(found) > MAX_ERRORS_SHOWN


def shown(kind: ImportKind, job: ImportJobItem, with_errors: bool = False) -> ImportOut:
    """The import as the API shows it (the failed rows for one import's GET only)."""
    errors, truncated = errors_of(kind, job) if with_errors else ([], False)
    return ImportOut(
        import_id=job.import_id, status=job.status, total=int(job.total),
        processed=int(job.processed), created=int(job.created), updated=int(job.updated),
        skipped=int(job.skipped), failed=int(job.failed), mapping=job.request["mapping"],
        currency=job.request["currency"], created_at=job.created_at,
        finished_at=job.finished_at, errors_truncated=truncated,
        errors=[RowErrorOut(**e) for e in errors] if with_errors else None)


# -- the queue's side ----------------------------------------------------------------------

def write_chunk(kind: ImportKind, message: Message,
                writer_for: Callable[[ImportJobItem], ChunkWriter]) -> None:
    """Write one chunk's rows with the kind's writer and count them once; the last chunk
    finishes the import. A redelivered chunk that was counted writes nothing."""
    tenant_id, import_id, index = message["tenant_id"], message["job_id"], message["chunk"]
    job = repo.get_job(kind.store, tenant_id, import_id, consistent=True)
    if job is None or job.status != "running":
        return
    item = repo.get_chunk(kind.store, tenant_id, import_id, int(index))
    if item is None:
        return
    if not item.done:
        # the chunk acts as the importing user (visibility, owner; events name them)
        context.current().principal = principal_of(job.principal, tenant_id)
        writer = writer_for(job)
        writer.run([(int(n), list(cells)) for n, cells in item.rows or []])
        errors = [e.as_dict() for e in sorted(writer.errors, key=lambda e: e.row)]
        try:
            with repo.unit_of_work() as uow:
                repo.count_chunk(uow, job, item, dict(writer.counts), errors)
        except TransactionConflict as conflict:
            if "chunk_done" not in conflict.labels:
                raise
    finish(kind, tenant_id, import_id)


def finish(kind: ImportKind, tenant_id: str, import_id: str) -> None:
    """Complete the import when every chunk is counted: one status change, and the kind's
    event, once."""
    job = repo.get_job(kind.store, tenant_id, import_id, consistent=True)
    if job is None or job.status != "running" or job.chunks_done < job.chunks_total:
        return
    try:
        with repo.unit_of_work() as uow:
            repo.finish(uow, job, clock.iso())
            if kind.completed is not None:
                uow.emit(kind.completed(job), tenant_id,
                         actor=principal_of(job.principal, tenant_id).actor)
    except TransactionConflict:
        return  # another chunk finished it
