"""The marketing jobs queue (segment evaluations, campaign planning), on crm_shared.jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import SERVICE
from crm_shared.jobs import JobHandler, JobQueue

queue = JobQueue(SERVICE)
send = queue.send
MODULES = ("chalicelib.segments.evaluation", "chalicelib.campaigns.planner")


def handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the handler of `kind`. A module imported again (the job function imports
    its modules lazily; tests swap modules in and out) replaces its own handler: one
    kind, one handler, always the current module's."""
    def register(fn: JobHandler) -> JobHandler:
        queue.handlers[kind] = fn
        return fn
    return register


def register(app: Any) -> Any:
    return queue.register(app, *MODULES)
