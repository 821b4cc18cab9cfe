"""Imports: accept a CSV, plan record-aligned chunks, write them in parallel, finish once.

Flow: `POST /imports` stores the file at `<t>/imports/<id>.csv` (inline) or hands out a
presigned PUT (upload, then `POST /imports/{id}/start`); an `import_plan` message checks
the encoding and cuts the file into chunks of CHUNK_ROWS rows; one `import_chunk` message
per chunk (`{start, end, first_row, rows}`: a byte range, never the rows themselves) writes
its rows and ADDs its counts with a chunk marker in one transaction, so a redelivered
chunk counts nothing twice; the chunk that completes the count merges the error report
and emits ImportCompleted under a status condition, so exactly once.

Companies (`object_type: "company"`) take one more step: once every chunk is counted, the
job turns `linking` and one `company_link` message per chunk sets the parents of the rows
with `subsidiary_of` (company_import.py), counted once per chunk like the first pass; the
last of them completes the job.

Encoding: inline CSV that is not UTF-8 is a 422 naming `csv`. An uploaded file that is not
UTF-8 fails the whole job with the offset of the first bad byte: a wrongly encoded file
would otherwise import every accented name garbled, which is worse than importing nothing.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.config import files_bucket, s3_client
from chalicelib.transfers import company_rows, contact_rows, csvfile, jobs
from chalicelib.transfers import repository as repo
from chalicelib.transfers.company_import import CompanyChunkWriter, LinkWriter
from chalicelib.transfers.contact_import import ChunkWriter, ImportSpec
from chalicelib.transfers.models import JobItem
from crm_shared import clock, context
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, ValidationFailed
from crm_shared.events.contacts_events import ImportCompleted
from crm_shared.ids import is_id, new_id
from crm_shared.imports import RowError, created_ms
from crm_shared.unit_of_work import TransactionConflict

CHUNK_ROWS = 500
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_URL_SECONDS = 3600
REPORT_URL_SECONDS = 900
HEADER_BYTES = 64 * 1024
ERROR_COLUMNS = ("row", "column", "field", "error")
OBJECT_TYPES = ("contact", "company")


def _put(key: str, body: bytes) -> None:
    """Write a job's output (error report, export part or result). The tag lets the bucket's
    lifecycle rule expire it after a week: keys start with the tenant, so no prefix can."""
    s3_client().put_object(  # type: ignore[attr-defined]
        Bucket=files_bucket(), Key=key, Body=body, ContentType="text/csv; charset=utf-8",
        Tagging="crm-retention=job-output",
    )


def _get(key: str, byte_range: str | None = None) -> bytes:
    extra = {"Range": byte_range} if byte_range else {}
    response = s3_client().get_object(Bucket=files_bucket(), Key=key, **extra)  # type: ignore[attr-defined]
    return bytes(response["Body"].read())


def presigned(method: str, key: str, seconds: int, **params: Any) -> str:
    return str(s3_client().generate_presigned_url(  # type: ignore[attr-defined]
        method, Params={"Bucket": files_bucket(), "Key": key, **params}, ExpiresIn=seconds))


# -- the API's side ----------------------------------------------------------------------


def check_request(tenant_id: str, object_type: str, mapping: dict[str, str],
                  upsert_key: str | None) -> None:
    if object_type not in OBJECT_TYPES:
        raise ValidationFailed.for_field("object_type", f"one of {', '.join(OBJECT_TYPES)}")
    rows = company_rows if object_type == "company" else contact_rows
    rows.check_mapping(tenant_id, mapping, upsert_key)


def check_header(names: list[str], mapping: dict[str, str], field: str) -> None:
    if not names:
        raise ValidationFailed.for_field(field, "has no header row")
    for column in mapping:
        if column not in names:
            raise ValidationFailed.for_field(f"mapping.{column}", f"the file has no column "
                                             f"{column!r} (it has {', '.join(names)})")


def submit(principal: Principal, tenant_id: str, request: dict[str, Any],
           text: str | None) -> JobItem:
    """Record the job; inline CSV is checked, stored and queued for planning at once."""
    import_id = new_id("imp")
    if text is not None:
        check_header(csvfile.header(text), request["mapping"], "csv")
        _put(repo.upload_key(tenant_id, import_id), text.encode("utf-8"))
    job = repo.new_job(tenant_id, "import", import_id, clock.iso(), status="pending",
                       object_type=request["object_type"], request=request,
                       principal=jobs.stored_principal(principal),
                       source="upload" if text is None else "inline")
    job.save()
    if text is not None:
        _enqueue_plan(job)
    return job


def _enqueue_plan(job: JobItem) -> None:
    jobs.send({"kind": "import_plan", "tenant_id": job.tenant_id, "job_id": job.job_id,
               "correlation_id": context.current().correlation_id})


def get(tenant_id: str, import_id: str) -> JobItem:
    job = repo.get_job(tenant_id, "import", import_id) if is_id(import_id, "imp") else None
    if job is None:
        raise NotFound("no such import")
    return job


def start(tenant_id: str, import_id: str) -> JobItem:
    """After the upload: check the file's header against the mapping, then queue it."""
    job = get(tenant_id, import_id)
    if job.source != "upload" or job.started_at or job.status != "pending":
        raise Conflict("this import has started already", code="already_started")
    key = repo.upload_key(tenant_id, import_id)
    from botocore.exceptions import ClientError

    try:
        size = int(s3_client().head_object(  # type: ignore[attr-defined]
            Bucket=files_bucket(), Key=key)["ContentLength"])
    except ClientError as exc:
        raise ValidationFailed.for_field("upload", "no file was uploaded to the URL yet") \
            from exc
    if size > MAX_UPLOAD_BYTES:
        raise ValidationFailed.for_field("upload", f"is {size} bytes; at most "
                                         f"{MAX_UPLOAD_BYTES}")
    head = _get(key, f"bytes=0-{HEADER_BYTES - 1}")
    try:
        names = csvfile.header(csvfile.decode(head[:head.rfind(b"\n") + 1] or head))
    except csvfile.NotUtf8 as exc:
        raise ValidationFailed.for_field("upload", str(exc)) from None
    check_header(names, job.request["mapping"], "upload")
    try:
        repo.set_job(job, condition=JobItem.started_at.does_not_exist(), started_at=clock.iso())
    except UpdateError as exc:  # a concurrent start won the condition
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Conflict("this import has started already", code="already_started") from exc
    _enqueue_plan(job)
    return job


def error_report_url(job: JobItem) -> str | None:
    return presigned("get_object", job.error_report, REPORT_URL_SECONDS) \
        if job.error_report else None


def upload_url(job: JobItem) -> str:
    return presigned("put_object", repo.upload_key(job.tenant_id, job.job_id),
                     UPLOAD_URL_SECONDS, ContentType="text/csv")


# -- the queue's side ----------------------------------------------------------------------


def _spec(job: JobItem) -> ImportSpec:
    return ImportSpec(job.tenant_id, job.job_id, created_ms(job.created_at),
                      jobs.principal_of(job.principal, job.tenant_id), list(job.header or []),
                      dict(job.request["mapping"]), job.request.get("upsert_key"))


@jobs.handler("import_plan")
def plan(message: jobs.Message) -> None:
    """Cut the file into chunks and queue them; a redelivery queues the same chunks again."""
    job = repo.get_job(message["tenant_id"], "import", message["job_id"], consistent=True)
    if job is None or job.status in ("completed", "failed"):
        return
    data = _get(repo.upload_key(job.tenant_id, job.job_id))
    try:
        csvfile.decode(data)
    except csvfile.NotUtf8 as exc:
        repo.set_job(job, status="failed", reason=f"the file {exc}", finished_at=clock.iso())
        return
    names, chunks = csvfile.plan(data, CHUNK_ROWS)
    repo.set_job(job, condition=JobItem.status.is_in("pending", "running"), status="running",
                 started_at=job.started_at or clock.iso(), total=sum(c.rows for c in chunks),
                 chunks_total=len(chunks), header=names)
    jobs.send(*[{"kind": "import_chunk", "tenant_id": job.tenant_id, "job_id": job.job_id,
                 "chunk": c.index, "start": c.start, "end": c.end, "first_row": c.first_row,
                 "rows": c.rows, "correlation_id": message.get("correlation_id")}
                for c in chunks])
    if not chunks:
        finish(job.tenant_id, job.job_id)


@jobs.handler("import_chunk")
def chunk(message: jobs.Message) -> None:
    """Write one chunk's rows and count them once; the last chunk finishes the job."""
    tenant_id, import_id, index = message["tenant_id"], message["job_id"], message["chunk"]
    job = repo.get_job(tenant_id, "import", import_id, consistent=True)
    if job is None or job.status != "running":
        return
    if _chunk_done(tenant_id, import_id, index):
        finish(tenant_id, import_id)
        return
    key = repo.upload_key(tenant_id, import_id)
    data = _get(key, f"bytes={message['start']}-{message['end'] - 1}")
    spec = _spec(job)
    context.current().principal = spec.principal  # events name the importing user
    writer: ChunkWriter | CompanyChunkWriter = CompanyChunkWriter(spec) \
        if job.object_type == "company" else ChunkWriter(spec)
    writer.run(list(csvfile.rows_of(data, message["first_row"])))
    if writer.errors:
        _put(repo.error_part_key(tenant_id, import_id, index), _error_rows(writer.errors))
    links = writer.links if isinstance(writer, CompanyChunkWriter) else None
    try:
        with repo.unit_of_work() as uow:
            repo.count_chunk(uow, job, index, dict(writer.counts), links)
    except TransactionConflict as conflict:
        if "chunk_done" not in conflict.labels:
            raise
    finish(tenant_id, import_id)


@jobs.handler("company_link")
def link(message: jobs.Message) -> None:
    """Set the parents of one chunk's `subsidiary_of` rows and count them once; the last
    chunk's second pass completes the job."""
    tenant_id, import_id, index = message["tenant_id"], message["job_id"], message["chunk"]
    job = repo.get_job(tenant_id, "import", import_id, consistent=True)
    if job is None or job.status not in ("running", "linking"):
        return
    if repo.get_marker(repo.link_marker(tenant_id, import_id, index)) is None:
        marker = repo.get_marker(repo.chunk_marker(tenant_id, import_id, index))
        spec = _spec(job)
        context.current().principal = spec.principal
        writer = LinkWriter(spec)
        writer.run(list((marker.links if marker else None) or []))
        if writer.errors:
            _put(repo.link_error_part_key(tenant_id, import_id, index),
                 _error_rows(writer.errors))
        try:
            with repo.unit_of_work() as uow:
                repo.count_links(uow, job, index, writer.linked, len(writer.errors))
        except TransactionConflict as conflict:
            if "chunk_done" not in conflict.labels:
                raise
    finish(tenant_id, import_id)


def _start_links(job: JobItem) -> None:
    """Queue the second pass (again, if two chunks finish at once: it is idempotent),
    then mark the job `linking`."""
    jobs.send(*[{"kind": "company_link", "tenant_id": job.tenant_id, "job_id": job.job_id,
                 "chunk": n, "correlation_id": context.current().correlation_id}
                for n in range(int(job.chunks_total or 0))])
    try:
        repo.set_job(job, condition=JobItem.status == "running", status="linking")
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def _chunk_done(tenant_id: str, import_id: str, index: int) -> bool:
    marker = repo.chunk_marker(tenant_id, import_id, index)
    try:
        type(marker).get(marker.PK, marker.SK, consistent_read=True)
    except type(marker).DoesNotExist:
        return False
    return True


def _error_rows(errors: list[RowError], with_header: bool = False) -> bytes:
    rows: list[tuple[Any, ...]] = [ERROR_COLUMNS] if with_header else []
    rows += [(e.row, e.column, e.field, e.message) for e in sorted(errors, key=lambda e: e.row)]
    return csvfile.write(rows)


def _merge_error_report(job: JobItem) -> str:
    """One CSV of every chunk's bad rows, in row order (parts are named by chunk)."""
    s3, bucket = s3_client(), files_bucket()
    prefix = repo.error_parts_prefix(job.tenant_id, job.job_id)
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(  # type: ignore[attr-defined]
            Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    body = csvfile.write([ERROR_COLUMNS]) + b"".join(_get(k) for k in sorted(keys))
    key = repo.error_report_key(job.tenant_id, job.job_id)
    _put(key, body)
    return key


def finish(tenant_id: str, import_id: str) -> None:
    """Complete the job when every chunk is counted: one status change, one event."""
    job = repo.get_job(tenant_id, "import", import_id, consistent=True)
    if job is None or job.status not in ("running", "linking") or job.chunks_total is None \
            or job.chunks_done < job.chunks_total:
        return
    if job.object_type == "company" and job.links_done < job.chunks_total:
        if job.status == "running":
            _start_links(job)
        return
    report = _merge_error_report(job) if job.failed else None
    actions = [JobItem.status.set("completed"), JobItem.finished_at.set(clock.iso())]
    if report:
        actions.append(JobItem.error_report.set(report))
    try:
        with repo.unit_of_work() as uow:
            uow.update(job, actions, condition=JobItem.status == job.status, label="finish")
            uow.emit(ImportCompleted(import_id=import_id, object_type=job.object_type,
                                     total=int(job.total), created=int(job.created),
                                     updated=int(job.updated), skipped=int(job.skipped),
                                     failed=int(job.failed)), tenant_id,
                     actor=jobs.principal_of(job.principal, tenant_id).actor)
    except TransactionConflict:
        return  # another chunk finished it
