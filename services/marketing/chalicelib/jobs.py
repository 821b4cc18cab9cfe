"""The marketing jobs queue (segment evaluations, campaign planning), on crm_shared.jobs."""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from crm_shared.jobs import JobQueue

queue = JobQueue(SERVICE)
handler = queue.handler
send = queue.send


def register(app: Any) -> Any:
    return queue.register(app, "chalicelib.segments.evaluation", "chalicelib.campaigns.planner")
