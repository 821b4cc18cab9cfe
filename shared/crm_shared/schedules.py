"""Due work for `@app.schedule` jobs: a sparse index queried by time, never a Scan.

An item with work due sets `DUEPK`/`DUESK` (see `due_fields`); the job queries each shard
of its partition for `DUESK <= now` and clears the fields once the work is done, which
also drops the item from the index. Shards spread a busy job's writes over partitions.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from crm_shared import clock
from crm_shared.dynamo import SYSTEM_TENANT, BaseItem, tenant_key

SHARDS = 4


def _shard(tenant_id: str, entity_id: str) -> int:
    return hashlib.sha256(f"{tenant_id}#{entity_id}".encode()).digest()[0] % SHARDS


def due_fields(job: str, due_at: datetime, tenant_id: str, entity_id: str) -> dict[str, str]:
    """Index attributes that make the item come up for `job` at `due_at`."""
    return {
        "DUEPK": tenant_key(SYSTEM_TENANT, "DUE", job, str(_shard(tenant_id, entity_id))),
        "DUESK": f"{clock.iso(due_at)}#{tenant_id}#{entity_id}",
    }


def due_items(model: type[BaseItem], job: str, limit: int = 100,
              now: datetime | None = None) -> list[Any]:
    """Up to `limit` items whose work for `job` is due, oldest first within each shard."""
    cutoff = f"{clock.iso(now)}~"  # '~' sorts after '#': everything due at or before now
    found: list[Any] = []
    for shard in range(SHARDS):
        if len(found) >= limit:
            break
        partition = tenant_key(SYSTEM_TENANT, "DUE", job, str(shard))
        found.extend(model.due.query(partition, cutoff >= model.DUESK,
                                     limit=limit - len(found), page_size=limit - len(found)))
    return found
