"""The only code that knows the sales imports' key shapes. Each kind of import (`Store`) keeps
its jobs under its own prefix (`OPP_IMPORT` for opportunities, `ORD_IMPORT` for orders):

- an import: `T#<t>#<prefix>#<id>` / `JOB`, listed newest first on GSI1 under
  `T#<t>#<prefix>S` by `<created_at>#<id>`;
- its chunks: `T#<t>#<prefix>#<id>` / `CHUNK#<n>` (the import's item collection);
- a row key: `T#<t>#<prefix>_KEY#...` / `KEY`: for a deal `EXT#<external id>` (or
  `ROW#<import id>#<row>` for a row without one), the opportunity that row became; for an
  order `<source>#<external id>`, its fingerprint, so an unchanged order of a later import is
  skipped without reading it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib import SERVICE
from chalicelib.imports.models import ImportChunkItem, ImportJobItem, ImportKeyItem
from crm_shared.dynamo import tenant_key
from crm_shared.imports import COUNTERS
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

JOB, KEY = "JOB", "KEY"
BATCH_GET = 100


@dataclass(frozen=True)
class Store:
    """Where one kind of import keeps its items: the key prefix and the list's cursor scope."""

    prefix: str
    scope: str


OPPORTUNITY_IMPORTS = Store("OPP_IMPORT", "opportunity-imports")
ORDER_IMPORTS = Store("ORD_IMPORT", "order-imports")


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def _job_pk(store: Store, tenant_id: str, import_id: str) -> str:
    return tenant_key(tenant_id, store.prefix, import_id)


def _list_pk(store: Store, tenant_id: str) -> str:
    return tenant_key(tenant_id, f"{store.prefix}S")


def new_job(store: Store, tenant_id: str, import_id: str, now: str,
            **fields: Any) -> ImportJobItem:
    return ImportJobItem(PK=_job_pk(store, tenant_id, import_id), SK=JOB, import_id=import_id,
                         tenant_id=tenant_id, created_at=now, GSI1PK=_list_pk(store, tenant_id),
                         GSI1SK=f"{now}#{import_id}", **fields)


def new_chunk(store: Store, tenant_id: str, import_id: str, chunk: int,
              rows: list[tuple[int, list[str]]]) -> ImportChunkItem:
    return ImportChunkItem(PK=_job_pk(store, tenant_id, import_id), SK=f"CHUNK#{chunk:06d}",
                           import_id=import_id, chunk=chunk, rows=[list(r) for r in rows])


def save_all(items: Iterable[ImportJobItem | ImportChunkItem]) -> None:
    """BatchWriteItem, 25 a request (the job last, so its chunks exist once it does)."""
    with ImportChunkItem.batch_write() as batch:
        for item in items:
            batch.save(item)  # type: ignore[arg-type]


def get_job(store: Store, tenant_id: str, import_id: str,
            consistent: bool = False) -> ImportJobItem | None:
    try:
        return ImportJobItem.get(_job_pk(store, tenant_id, import_id), JOB,
                                 consistent_read=consistent)
    except ImportJobItem.DoesNotExist:
        return None


def get_chunk(store: Store, tenant_id: str, import_id: str,
              chunk: int) -> ImportChunkItem | None:
    try:
        return ImportChunkItem.get(_job_pk(store, tenant_id, import_id), f"CHUNK#{chunk:06d}",
                                   consistent_read=True)
    except ImportChunkItem.DoesNotExist:
        return None


def chunk_errors(store: Store, tenant_id: str, import_id: str) -> list[dict[str, Any]]:
    """Every finished chunk's row errors (their rows are gone by then: small reads)."""
    found: list[dict[str, Any]] = []
    for item in ImportChunkItem.query(_job_pk(store, tenant_id, import_id),
                                      ImportChunkItem.SK.startswith("CHUNK#"),
                                      attributes_to_get=["PK", "SK", "errors"]):
        found += list(item.errors or [])
    return found


def list_jobs(store: Store, tenant_id: str, limit: int,
              cursor: str | None) -> tuple[list[ImportJobItem], str | None]:
    def query(**paging: Any) -> Any:
        return ImportJobItem.gsi1.query(_list_pk(store, tenant_id), scan_index_forward=False,
                                        **paging)

    return query_page(query, f"{tenant_id}:{store.scope}", cursor, limit)


def count_chunk(uow: UnitOfWork, job: ImportJobItem, chunk: ImportChunkItem,
                counts: dict[str, int], errors: list[dict[str, Any]]) -> None:
    """Mark `chunk` done with its errors and ADD its counts to the job, in `uow`: a second
    delivery fails the `chunk_done` condition and counts nothing."""
    uow.update(chunk, [ImportChunkItem.done.set(True), ImportChunkItem.errors.set(errors),
                       ImportChunkItem.rows.remove()],
               condition=ImportChunkItem.done.does_not_exist(), label="chunk_done")
    actions: list[Action] = [ImportJobItem.chunks_done.add(1)]
    actions += [getattr(ImportJobItem, name).add(counts.get(name, 0)) for name in COUNTERS]
    uow.update(job, actions, label="job")


def finish(uow: UnitOfWork, job: ImportJobItem, now: str) -> None:
    uow.update(job, [ImportJobItem.status.set("completed"), ImportJobItem.finished_at.set(now)],
               condition=ImportJobItem.status == "running", label="finish")


# -- row keys ------------------------------------------------------------------------------

def row_key_pk(tenant_id: str, import_id: str, row: int, external_id: str | None) -> str:
    """A deal's row key: by its external id, else by (import, row)."""
    prefix = f"{OPPORTUNITY_IMPORTS.prefix}_KEY"
    if external_id:
        return tenant_key(tenant_id, prefix, "EXT", external_id)
    return tenant_key(tenant_id, prefix, "ROW", import_id, str(row))


def order_key_pk(tenant_id: str, source: str, external_id: str) -> str:
    """An order's row key: by (source, external id), as the orders feature claims it."""
    return tenant_key(tenant_id, f"{ORDER_IMPORTS.prefix}_KEY", source, external_id)


def new_row_key(pk: str, record_id: str, fingerprint: str) -> ImportKeyItem:
    return ImportKeyItem(PK=pk, SK=KEY, opportunity_id=record_id, fingerprint=fingerprint)


def claim_row_key(uow: UnitOfWork, key: ImportKeyItem, label: str) -> None:
    """Take a free key, in the deal's transaction."""
    uow.put(key, condition=ImportKeyItem.PK.does_not_exist(), label=label)


def remember(pk: str, record_id: str, fingerprint: str) -> None:
    """What a record was last imported as (one PutItem, after the record is written)."""
    new_row_key(pk, record_id, fingerprint).save()


def row_keys(pks: list[str]) -> dict[str, ImportKeyItem]:
    """The keys that exist among `pks`: consistent BatchGetItem, 100 a request."""
    found: dict[str, ImportKeyItem] = {}
    unique = sorted(set(pks))
    for start in range(0, len(unique), BATCH_GET):
        batch = [(pk, KEY) for pk in unique[start:start + BATCH_GET]]
        for item in ImportKeyItem.batch_get(batch, consistent_read=True):
            found[item.PK] = item
    return found


def set_fingerprint(key: ImportKeyItem, fingerprint: str) -> None:
    key.update(actions=[ImportKeyItem.fingerprint.set(fingerprint)])
