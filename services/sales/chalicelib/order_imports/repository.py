"""The only code that knows the order imports' key shapes (items of the imports feature).

- an import: `T#<t>#ORD_IMPORT#<id>` / `JOB`, listed newest first on GSI1 under
  `T#<t>#ORD_IMPORTS` by `<created_at>#<id>`;
- its chunks: `T#<t>#ORD_IMPORT#<id>` / `CHUNK#<n>` (each a list of whole orders' rows);
- an imported order's fingerprint: `T#<t>#ORD_IMPORT_KEY#<source>#<external id>` / `KEY`, so
  an unchanged order of a later import is skipped without reading it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.imports.models import ImportChunkItem, ImportJobItem, ImportKeyItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page

JOB, KEY = "JOB", "KEY"
BATCH_GET = 100


def _job_pk(tenant_id: str, import_id: str) -> str:
    return tenant_key(tenant_id, "ORD_IMPORT", import_id)


def _list_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "ORD_IMPORTS")


def new_job(tenant_id: str, import_id: str, now: str, **fields: Any) -> ImportJobItem:
    return ImportJobItem(PK=_job_pk(tenant_id, import_id), SK=JOB, import_id=import_id,
                         tenant_id=tenant_id, created_at=now, GSI1PK=_list_pk(tenant_id),
                         GSI1SK=f"{now}#{import_id}", **fields)


def new_chunk(tenant_id: str, import_id: str, chunk: int,
              rows: list[tuple[int, list[str]]]) -> ImportChunkItem:
    return ImportChunkItem(PK=_job_pk(tenant_id, import_id), SK=f"CHUNK#{chunk:06d}",
                           import_id=import_id, chunk=chunk, rows=[list(r) for r in rows])


def get_job(tenant_id: str, import_id: str, consistent: bool = False) -> ImportJobItem | None:
    try:
        return ImportJobItem.get(_job_pk(tenant_id, import_id), JOB, consistent_read=consistent)
    except ImportJobItem.DoesNotExist:
        return None


def get_chunk(tenant_id: str, import_id: str, chunk: int) -> ImportChunkItem | None:
    try:
        return ImportChunkItem.get(_job_pk(tenant_id, import_id), f"CHUNK#{chunk:06d}",
                                   consistent_read=True)
    except ImportChunkItem.DoesNotExist:
        return None


def chunk_errors(tenant_id: str, import_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in ImportChunkItem.query(_job_pk(tenant_id, import_id),
                                      ImportChunkItem.SK.startswith("CHUNK#"),
                                      attributes_to_get=["PK", "SK", "errors"]):
        found += list(item.errors or [])
    return found


def list_jobs(tenant_id: str, limit: int,
              cursor: str | None) -> tuple[list[ImportJobItem], str | None]:
    def query(**paging: Any) -> Any:
        return ImportJobItem.gsi1.query(_list_pk(tenant_id), scan_index_forward=False, **paging)

    return query_page(query, f"{tenant_id}:order-imports", cursor, limit)


def key_pk(tenant_id: str, source: str, external_id: str) -> str:
    return tenant_key(tenant_id, "ORD_IMPORT_KEY", source, external_id)


def keys(pks: list[str]) -> dict[str, ImportKeyItem]:
    """The fingerprints that exist among `pks`: consistent BatchGetItem, 100 a request."""
    found: dict[str, ImportKeyItem] = {}
    unique = sorted(set(pks))
    for start in range(0, len(unique), BATCH_GET):
        for item in ImportKeyItem.batch_get([(pk, KEY) for pk in unique[start:start + BATCH_GET]],
                                            consistent_read=True):
            found[item.PK] = item
    return found


def remember(pk: str, order_id: str, fingerprint: str) -> None:
    """What the order was last imported as (one PutItem, after the order is written)."""
    ImportKeyItem(PK=pk, SK=KEY, opportunity_id=order_id, fingerprint=fingerprint).save()
