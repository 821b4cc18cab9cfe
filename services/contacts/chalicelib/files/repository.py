"""The only code that knows the file key shapes.

- the file: `T#<t>#FILE#<fil_id>` / `FILE`;
- by the record it is attached to (GSI1): `T#<t>#FILES#<related_id>` / `<created_at>#<id>`;
- all of the tenant's files (GSI2): `T#<t>#FILES` / `<created_at>#<id>`.
Lists read newest first, a page per Query.
"""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib import SERVICE
from chalicelib.files.models import FileItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def file_keys(tenant_id: str, file_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "FILE", file_id), "FILE"


def _related_pk(tenant_id: str, related_id: str) -> str:
    return tenant_key(tenant_id, "FILES", related_id)


def index(item: FileItem) -> None:
    """Place the file on its two lists."""
    sort = f"{item.created_at}#{item.file_id}"
    item.GSI1PK, item.GSI1SK = _related_pk(item.tenant_id, item.related_id), sort
    item.GSI2PK, item.GSI2SK = tenant_key(item.tenant_id, "FILES"), sort


def new_item(tenant_id: str, file_id: str, **fields: object) -> FileItem:
    pk, sk = file_keys(tenant_id, file_id)
    item = FileItem(PK=pk, SK=sk, file_id=file_id, tenant_id=tenant_id, **fields)
    index(item)
    return item


def get(tenant_id: str, file_id: str, consistent: bool = False) -> FileItem | None:
    try:
        return FileItem.get(*file_keys(tenant_id, file_id), consistent_read=consistent)
    except FileItem.DoesNotExist:
        return None


def page(tenant_id: str, related_id: str | None, limit: int,
         cursor: str | None) -> tuple[list[FileItem], str | None]:
    """A page of files, newest first: one Query of `limit` items."""
    index, pk = (FileItem.gsi1, _related_pk(tenant_id, related_id)) if related_id else \
        (FileItem.gsi2, tenant_key(tenant_id, "FILES"))
    return query_page(lambda **kw: index.query(pk, scan_index_forward=False, **kw),
                      f"{tenant_id}:files:{related_id}", cursor, limit)


def attached_to(tenant_id: str, related_id: str) -> Iterator[FileItem]:
    """Every file of a record, page by page (merge, erasure and export only)."""
    yield from FileItem.gsi1.query(_related_pk(tenant_id, related_id), page_size=100)
