"""The sales service's jobs queue (opportunity and order import chunks), on crm_shared.jobs.

`register(app)` adds `handle_jobs` with the import's chunk handler loaded.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from crm_shared.jobs import JobQueue

queue = JobQueue(SERVICE)


def register(app: Any) -> Any:
    return queue.register(app, "chalicelib.imports.chunks", "chalicelib.order_imports.logic")
