"""The only code that knows the transfers key shapes, in DynamoDB and in the files bucket.

- a job: `T#<t>#IMPORT#<id>` (or `EXPORT`) / `JOB`, listed newest first on GSI1 under
  `T#<t>#IMPORTS` (or `EXPORTS`) by `<created_at>#<id>`;
- a finished chunk: `T#<t>#IMPORT#<id>` / `CHUNK#<n>` (the job's item collection), and
  a company import's finished second pass over it: `LINK#<n>`;
- an external id: `T#<t>#IMPORT_KEY#<COMPANY|CONTACT>#<external id>` / `KEY`, the record
  it became;
- files: `<t>/imports/<id>.csv` (the upload), `<t>/imports/<id>/errors/<n>.csv` (a chunk's
  bad rows; `L<n>.csv` those of its second pass), `<t>/imports/<id>.errors.csv` (the merged
  report), `<t>/exports/<id>/<n>.csv` (a part) and `<t>/exports/<id>.csv` (the result).
"""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.update import Action

from chalicelib import SERVICE
from chalicelib.transfers.models import ChunkDoneItem, ExternalKeyItem, JobItem
from crm_shared.dynamo import tenant_key
from crm_shared.imports import COUNTERS
from crm_shared.pagination import decode_cursor, encode_cursor
from crm_shared.unit_of_work import UnitOfWork

JOB = "JOB"
KEY = "KEY"
BATCH_GET = 100


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def job_keys(tenant_id: str, kind: str, job_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, kind.upper(), job_id), JOB


def _list_pk(tenant_id: str, kind: str) -> str:
    return tenant_key(tenant_id, f"{kind.upper()}S")


def new_job(tenant_id: str, kind: str, job_id: str, now: str, **fields: Any) -> JobItem:
    pk, sk = job_keys(tenant_id, kind, job_id)
    return JobItem(PK=pk, SK=sk, job_id=job_id, tenant_id=tenant_id, kind=kind, created_at=now,
                   GSI1PK=_list_pk(tenant_id, kind), GSI1SK=f"{now}#{job_id}", **fields)


def get_job(tenant_id: str, kind: str, job_id: str, consistent: bool = False) -> JobItem | None:
    pk, sk = job_keys(tenant_id, kind, job_id)
    try:
        return JobItem.get(pk, sk, consistent_read=consistent)
    except JobItem.DoesNotExist:
        return None


def list_jobs(tenant_id: str, kind: str, limit: int,
              cursor: str | None) -> tuple[list[JobItem], str | None]:
    scope = f"{tenant_id}:{kind}s"
    result = JobItem.gsi1.query(_list_pk(tenant_id, kind), scan_index_forward=False,
                                limit=limit, page_size=limit,
                                last_evaluated_key=decode_cursor(cursor, scope))
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key, scope)


def chunk_marker(tenant_id: str, job_id: str, chunk: int) -> ChunkDoneItem:
    pk, _ = job_keys(tenant_id, "import", job_id)
    return ChunkDoneItem(PK=pk, SK=f"CHUNK#{chunk:06d}", job_id=job_id, chunk=chunk)


def link_marker(tenant_id: str, job_id: str, chunk: int) -> ChunkDoneItem:
    pk, _ = job_keys(tenant_id, "import", job_id)
    return ChunkDoneItem(PK=pk, SK=f"LINK#{chunk:06d}", job_id=job_id, chunk=chunk)


def get_marker(marker: ChunkDoneItem) -> ChunkDoneItem | None:
    try:
        return ChunkDoneItem.get(marker.PK, marker.SK, consistent_read=True)
    except ChunkDoneItem.DoesNotExist:
        return None


def count_links(uow: UnitOfWork, job: JobItem, chunk: int, linked: int, failed: int) -> None:
    """Mark the second pass over `chunk` done and ADD its counts, once (like count_chunk)."""
    uow.put(link_marker(job.tenant_id, job.job_id, chunk),
            condition=ChunkDoneItem.PK.does_not_exist(), label="chunk_done")
    uow.update(job, [JobItem.links_done.add(1), JobItem.linked.add(linked),
                     JobItem.failed.add(failed)], label="job")


def external_key(tenant_id: str, object_type: str, external_id: str) -> ExternalKeyItem:
    pk = tenant_key(tenant_id, "IMPORT_KEY", object_type.upper(), external_id)
    return ExternalKeyItem(PK=pk, SK=KEY, record_id="")


def external_keys(tenant_id: str, object_type: str, values: list[str]) -> dict[str, str]:
    """external id -> record id, for those that exist: consistent BatchGetItem, 100 a time."""
    wanted = {external_key(tenant_id, object_type, v).PK: v for v in set(values)}
    found: dict[str, str] = {}
    pks = sorted(wanted)
    for start in range(0, len(pks), BATCH_GET):
        for item in ExternalKeyItem.batch_get([(pk, KEY) for pk in pks[start:start + BATCH_GET]],
                                              consistent_read=True):
            found[wanted[item.PK]] = item.record_id
    return found


def claim_external_key(uow: UnitOfWork, tenant_id: str, object_type: str, external_id: str,
                       record_id: str, label: str = "external_id") -> None:
    """Take a free external id for `record_id`, in the record's transaction."""
    key = external_key(tenant_id, object_type, external_id)
    key.record_id = record_id
    uow.put(key, condition=ExternalKeyItem.PK.does_not_exist(), label=label)


def count_chunk(uow: UnitOfWork, job: JobItem, chunk: int, counts: dict[str, int],
                links: list[list[Any]] | None = None) -> None:
    """Mark `chunk` done and ADD its counts, in `uow`: a second delivery fails the marker."""
    marker = chunk_marker(job.tenant_id, job.job_id, chunk)
    marker.links = links
    uow.put(marker, condition=ChunkDoneItem.PK.does_not_exist(), label="chunk_done")
    actions: list[Action] = [JobItem.chunks_done.add(1)]
    actions += [getattr(JobItem, name).add(counts.get(name, 0)) for name in COUNTERS]
    uow.update(job, actions, label="job")


def set_job(job: JobItem, condition: Any = None, **values: Any) -> None:
    """SET the given attributes (one UpdateItem), optionally only if `condition` holds."""
    actions = [getattr(JobItem, name).set(value) for name, value in values.items()]
    job.update(actions=actions, condition=condition)


def upload_key(tenant_id: str, import_id: str) -> str:
    return f"{tenant_id}/imports/{import_id}.csv"


def error_part_key(tenant_id: str, import_id: str, chunk: int) -> str:
    return f"{tenant_id}/imports/{import_id}/errors/{chunk:06d}.csv"


def link_error_part_key(tenant_id: str, import_id: str, chunk: int) -> str:
    return f"{tenant_id}/imports/{import_id}/errors/L{chunk:06d}.csv"


def error_parts_prefix(tenant_id: str, import_id: str) -> str:
    return f"{tenant_id}/imports/{import_id}/errors/"


def error_report_key(tenant_id: str, import_id: str) -> str:
    return f"{tenant_id}/imports/{import_id}.errors.csv"


def export_part_key(tenant_id: str, export_id: str, part: int) -> str:
    return f"{tenant_id}/exports/{export_id}/{part:06d}.csv"


def export_key(tenant_id: str, export_id: str) -> str:
    return f"{tenant_id}/exports/{export_id}.csv"
