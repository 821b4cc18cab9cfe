"""The customer service's jobs queue (crm_shared.jobs): the continuations of contact events
whose records do not fit one delivery (chalicelib.continuations).

`register(app)` adds `handle_jobs`; the modules holding the continued operations load with
its first batch, so the API function, which shares app.py, never pays for them.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from crm_shared.jobs import JobQueue

queue = JobQueue(SERVICE)
MODULES = ("chalicelib.tickets.handlers", "chalicelib.returns.handlers",
           "chalicelib.kb.handlers")


def register(app: Any) -> Any:
    return queue.register(app, *MODULES)
