"""Routes of the files feature: presigned uploads into the tenant's prefix, and downloads."""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.files import lifecycle, logic
from chalicelib.files.models import FileItem
from chalicelib.files.schemas import FileIn, FileOut, FilePage
from crm_shared.auth.roles import ALL_ROLES, WRITERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "files")
__all__ = ["api", "lifecycle"]  # lifecycle registers the merge, erasure and export parts


def shown(item: FileItem, **extra: Any) -> Reply:
    body = FileOut(**logic.record(item), **extra)
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/files", "POST", roles=WRITERS, body=FileIn, response=FileOut, status=201)
def create_file(req: ApiRequest) -> Reply:
    """Start an upload: the pending file and a presigned POST (size and type enforced)."""
    item, upload = logic.create(req.principal, req.tenant_id, req.body)
    reply = shown(item, upload=upload)
    reply.headers["Location"] = f"/files/{item.file_id}"
    return reply


@api.route("/files", "GET", roles=ALL_ROLES, response=FilePage)
def list_files(req: ApiRequest) -> FilePage:
    """A page of files, newest first; `related_id` lists one record's."""
    items, cursor = logic.page(req.principal, req.tenant_id, req.query.get("related_id"),
                               parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return FilePage(items=[FileOut(**logic.record(i)) for i in items], next_cursor=cursor)


@api.route("/files/{file_id}", "GET", roles=ALL_ROLES, response=FileOut)
def get_file(req: ApiRequest, file_id: str) -> Reply:
    """The file's metadata and, once available, a download URL valid for minutes."""
    item = logic.get(req.principal, req.tenant_id, file_id)
    link = logic.download(item)
    return shown(item, download_url=link[0] if link else None,
                 download_expires_at=link[1] if link else None)


@api.route("/files/{file_id}/complete", "POST", roles=WRITERS, response=FileOut)
def complete_file(req: ApiRequest, file_id: str) -> Reply:
    """Confirm the upload: S3 must hold it within the declared size and type."""
    return shown(logic.complete(req.principal, req.tenant_id, file_id))


@api.route("/files/{file_id}", "DELETE", roles=WRITERS, status=204)
def delete_file(req: ApiRequest, file_id: str) -> None:
    """Delete the file: its item, its timeline entry, then its object."""
    logic.delete(req.principal, req.tenant_id, file_id)
