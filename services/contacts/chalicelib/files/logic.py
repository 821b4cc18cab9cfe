"""File use cases: hand out an upload, confirm it, read with a download link, delete.

The item is written `pending` with the presigned upload; `complete` checks what S3 really
holds (size, type) before it becomes `available` and shows on its party's timeline.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from chalicelib.files import domain, repository, storage
from chalicelib.files.models import FileItem
from chalicelib.files.schemas import FileIn
from chalicelib.timeline import domain as timeline
from chalicelib.timeline import projection, summary
from chalicelib.timeline import repository as timeline_repository
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import BadRequest, Conflict, NotFound, ValidationFailed
from crm_shared.ids import is_id, new_id

PREFIX = "fil"
PENDING, AVAILABLE = "pending", "available"
RELATED = re.compile(r"^(con|cmp|opp|tkt)_[0-9A-HJKMNP-TV-Z]{26}$")


def record(item: FileItem) -> dict[str, Any]:
    return {"file_id": item.file_id, "related_id": item.related_id, "filename": item.filename,
            "content_type": item.content_type, "size": int(item.size), "status": item.status,
            "owner_id": item.owner_id, "team_id": item.team_id, "created_at": item.created_at,
            "completed_at": item.completed_at, "version": item.version or 0}


def _is_party(related_id: str) -> bool:
    return related_id[:3] in domain.PARTY_PREFIXES


def entry_of(item: FileItem) -> timeline.Entry:
    return timeline.Entry(
        entry_id=item.file_id, kind="file", summary=timeline.clip(f"File: {item.filename}"),
        occurred_at=item.completed_at or item.created_at,
        source=timeline.Source("contacts", "file", item.file_id), link=f"/files/{item.file_id}")


def create(principal: Principal, tenant_id: str, cmd: FileIn) -> tuple[FileItem, dict[str, Any]]:
    """The pending file and its presigned upload: a check of the party, then one PutItem."""
    filename = domain.display_name(cmd.filename)
    content_type = domain.check_type(cmd.content_type, filename)
    if _is_party(cmd.related_id):
        summary.check_parties(principal, tenant_id, {"related_id": cmd.related_id})
    file_id = new_id(PREFIX)
    key = domain.object_key(tenant_id, file_id, filename)
    item = repository.new_item(
        tenant_id, file_id, related_id=cmd.related_id, filename=filename,
        content_type=content_type, size=cmd.size, object_key=key, status=PENDING,
        owner_id=principal.subject if principal.kind == "user" else None,
        team_id=cmd.team_id, created_at=clock.iso())
    item.expires_at = clock.now() + timedelta(hours=domain.PENDING_HOURS)
    item.save(condition=FileItem.PK.does_not_exist())
    upload = storage.presigned_upload(key, content_type, cmd.size)
    upload["expires_at"] = clock.iso(clock.now() + timedelta(seconds=domain.UPLOAD_SECONDS))
    return item, upload


def get(principal: Principal, tenant_id: str, file_id: str,
        consistent: bool = False) -> FileItem:
    """One GetItem; another tenant's id, or a file the caller may not see, is a 404."""
    item = repository.get(tenant_id, file_id, consistent) if is_id(file_id, PREFIX) else None
    if item is None or not summary.seen_by(principal, tenant_id).allows(item.owner_id,
                                                                         item.team_id):
        raise NotFound("no such file")
    return item


def download(item: FileItem) -> tuple[str, str] | None:
    """A short-lived download URL and its expiry, once the file is available."""
    if item.status != AVAILABLE:
        return None
    expires = clock.iso(clock.now() + timedelta(seconds=domain.DOWNLOAD_SECONDS))
    return storage.presigned_download(item.object_key, item.filename), expires


def complete(principal: Principal, tenant_id: str, file_id: str) -> FileItem:
    """Check the uploaded object (HeadObject) and make the file available; a refused
    object is deleted and the file stays pending for another upload."""
    item = get(principal, tenant_id, file_id, consistent=True)
    if item.status == AVAILABLE:
        return item
    stored = storage.head(item.object_key)
    if stored is None:
        raise Conflict("nothing was uploaded for this file yet", code="upload_missing")
    problem = None
    if stored.size > min(int(item.size), domain.MAX_BYTES):
        problem = ValidationFailed.for_field(
            "size", f"the upload has {stored.size} bytes, more than the {int(item.size)} "
                    "declared", code="upload_refused")
    elif stored.content_type.split(";")[0].strip() != item.content_type:
        problem = ValidationFailed.for_field(
            "content_type", f"the upload is {stored.content_type or 'untyped'}, not "
                            f"{item.content_type}", code="upload_refused")
    if problem is not None:
        storage.delete(item.object_key)
        raise problem

    first = [item]  # the first attempt writes what was read; a retry reads again

    def write() -> FileItem:
        fresh = first.pop() if first else get(principal, tenant_id, file_id, consistent=True)
        if fresh.status == AVAILABLE:
            return fresh
        fresh.status, fresh.completed_at, fresh.expires_at = AVAILABLE, clock.iso(), None
        fresh.size = stored.size
        with repository.unit_of_work() as uow:
            uow.put(fresh, label="version")
            if _is_party(fresh.related_id):
                projection.add(uow, tenant_id, entry_of(fresh), timeline_repository.summaries(
                    tenant_id, [fresh.related_id]))
        return fresh

    return projection.retrying(write)


def delete(principal: Principal, tenant_id: str, file_id: str) -> None:
    """Delete the item (and its timeline entry) in one transaction, then the object."""

    def write() -> FileItem:
        item = get(principal, tenant_id, file_id, consistent=True)
        with repository.unit_of_work() as uow:
            uow.delete(item, label="version")
            if item.status == AVAILABLE and _is_party(item.related_id):
                projection.remove(uow, tenant_id, entry_of(item), timeline_repository.summaries(
                    tenant_id, [item.related_id]))
        return item

    storage.delete(projection.retrying(write).object_key)


def page(principal: Principal, tenant_id: str, related_id: str | None, limit: int,
         cursor: str | None) -> tuple[list[FileItem], str | None]:
    """A page of files (of one record with `related_id`), newest first."""
    if related_id is not None:
        if not RELATED.fullmatch(related_id):
            raise BadRequest.for_field("related_id", "must be a con_, cmp_, opp_ or tkt_ id")
        if _is_party(related_id):
            summary.visible_party(principal, tenant_id, related_id)
    items, next_cursor = repository.page(tenant_id, related_id, limit, cursor)
    seen = summary.seen_by(principal, tenant_id)
    return [i for i in items if seen.allows(i.owner_id, i.team_id)], next_cursor
