"""Routes of the transfers feature: CSV imports and exports, run on the jobs queue.

Inline CSV is bounded by the API's body limit (crm_shared.validation.MAX_BODY_BYTES,
1 MiB with the JSON around it); larger files go through `upload: true` and a presigned PUT.
"""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.transfers import csvfile, exporter, importer
from chalicelib.transfers.models import JobItem
from chalicelib.transfers.repository import list_jobs
from chalicelib.transfers.schemas import (
    ExportIn,
    ExportOut,
    ExportPage,
    ImportIn,
    ImportOut,
    ImportPage,
    UploadOut,
)
from crm_shared.auth.roles import MANAGERS
from crm_shared.errors import ValidationFailed
from crm_shared.http import ApiRequest, Reply, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "transfers")


def import_out(job: JobItem, with_upload: bool = False) -> ImportOut:
    upload = UploadOut(url=importer.upload_url(job), headers={"Content-Type": "text/csv"},
                       expires_in=importer.UPLOAD_URL_SECONDS) if with_upload else None
    return ImportOut(
        import_id=job.job_id, object_type=job.object_type, status=job.status,
        source=job.source, total=int(job.total), processed=int(job.processed),
        created=int(job.created), updated=int(job.updated), skipped=int(job.skipped),
        failed=int(job.failed), linked=int(job.linked or 0), reason=job.reason,
        created_at=job.created_at,
        started_at=job.started_at, finished_at=job.finished_at,
        error_report_url=importer.error_report_url(job), upload=upload)


def export_out(job: JobItem) -> ExportOut:
    return ExportOut(
        export_id=job.job_id, object_type=job.object_type, status=job.status,
        rows=int(job.total), read=int(job.processed), fields=list(job.request["fields"]),
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        reason=job.reason, download_url=exporter.download_url(job))


@api.route("/imports", "POST", roles=MANAGERS, body=ImportIn, response=ImportOut, status=202)
def create_import(req: ApiRequest) -> Reply:
    """Import a CSV inline (`csv`) or by upload (`upload: true`, then POST .../start)."""
    body: ImportIn = req.body
    importer.check_request(req.tenant_id, body.object_type, body.mapping, body.upsert_key)
    text = None
    if body.csv is not None:
        try:
            text = csvfile.decode(body.csv.encode("utf-8", "surrogateescape"))
        except (csvfile.NotUtf8, UnicodeEncodeError) as exc:
            raise ValidationFailed.for_field("csv", str(exc)) from None
    request = body.model_dump(mode="json", exclude={"csv", "upload"})
    job = importer.submit(req.principal, req.tenant_id, request, text)
    status = 202 if text is not None else 201
    return Reply(import_out(job, with_upload=text is None), status=status,
                 headers={"Location": f"/imports/{job.job_id}"})


@api.route("/imports", "GET", roles=MANAGERS, response=ImportPage)
def list_imports(req: ApiRequest) -> ImportPage:
    """The tenant's imports, newest first."""
    items, cursor = list_jobs(req.tenant_id, "import", parse_limit(req.query.get("limit")),
                              req.query.get("cursor"))
    return ImportPage(items=[import_out(j) for j in items], next_cursor=cursor)


@api.route("/imports/{import_id}", "GET", roles=MANAGERS, response=ImportOut)
def get_import(req: ApiRequest, import_id: str) -> ImportOut:
    """Progress and counts; once done with bad rows, a download of the error report."""
    return import_out(importer.get(req.tenant_id, import_id))


@api.route("/imports/{import_id}/start", "POST", roles=MANAGERS, response=ImportOut,
           status=202)
def start_import(req: ApiRequest, import_id: str) -> ImportOut:
    """Start an upload import once the file is at its URL (the header is checked now)."""
    return import_out(importer.start(req.tenant_id, import_id))


@api.route("/exports", "POST", roles=MANAGERS, body=ExportIn, response=ExportOut, status=202)
def create_export(req: ApiRequest) -> Reply:
    """Export records matching `filter` (the search grammar's groups) as CSV, in the back."""
    body: ExportIn = req.body
    request = exporter.check_request(req.tenant_id, body.object_type, body.filter, body.fields)
    job = exporter.submit(req.principal, req.tenant_id, request)
    return Reply(export_out(job), headers={"Location": f"/exports/{job.job_id}"})


@api.route("/exports", "GET", roles=MANAGERS, response=ExportPage)
def list_exports(req: ApiRequest) -> ExportPage:
    """The tenant's exports, newest first."""
    items, cursor = list_jobs(req.tenant_id, "export", parse_limit(req.query.get("limit")),
                              req.query.get("cursor"))
    return ExportPage(items=[export_out(j) for j in items], next_cursor=cursor)


@api.route("/exports/{export_id}", "GET", roles=MANAGERS, response=ExportOut)
def get_export(req: ApiRequest, export_id: str) -> ExportOut:
    """Status; once completed, a download URL of the CSV (valid 15 minutes)."""
    return export_out(exporter.get(req.tenant_id, export_id))
