"""The contacts service's jobs queue (CSV imports and exports), on crm_shared.jobs.

`register(app)` adds `handle_jobs` with the importer's and exporter's handlers loaded.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from crm_shared.jobs import JobQueue, Message, principal_of, stored_principal

__all__ = ["Message", "handler", "principal_of", "queue", "register", "send",
           "stored_principal"]

queue = JobQueue(SERVICE)
handler = queue.handler
send = queue.send


def register(app: Any) -> Any:
    return queue.register(app, "chalicelib.transfers.importer", "chalicelib.transfers.exporter")
