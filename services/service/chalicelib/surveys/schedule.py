"""The NPS schedule (`@app.schedule`): contacts whose survey is due, from the DUE index.

Each contact gets one NPS survey per the tenant's interval (default 90 days since the last);
the survey, its event and the next due time are one transaction conditional on the due time
read, so two overlapping sweeps never both send.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.config import logic as config_logic
from chalicelib.surveys import domain, logic, repository
from chalicelib.surveys.models import NpsScheduleItem
from crm_shared import clock
from crm_shared.schedules import due_items
from crm_shared.unit_of_work import TransactionConflict


def run(limit: int = 100) -> int:
    """Send what is due now; returns how many surveys went out."""
    now = clock.now()
    configs: dict[str, dict[str, Any]] = {}
    sent = 0
    for item in due_items(NpsScheduleItem, repository.NPS_JOB, limit=limit, now=now):
        config = configs.setdefault(item.tenant_id, config_logic.read(item.tenant_id))
        settings = domain.settings(config)
        uow = repository.unit_of_work()
        if settings["nps_enabled"]:
            logic.stage_survey(uow, item.tenant_id, domain.NPS, contact_id=item.contact_id,
                               to_address=None, ticket_id=None, config=config)
            item.last_sent_at = clock.iso(now)
        seen = item.DUESK
        repository.stage_nps_due(uow, item, now + timedelta(days=settings["nps_interval_days"]),
                                 seen)
        try:
            uow.commit()
        except TransactionConflict:
            continue  # another sweep moved it: it sent this one
        sent += 1 if settings["nps_enabled"] else 0
    return sent
