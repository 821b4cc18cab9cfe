"""Workflow commands addressed to contacts, each carried out once per (run, action)."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.automation import logic
from chalicelib.consumers import consumer
from crm_shared.automation import carry_out
from crm_shared.events.automation_events import WorkflowActionRequested
from crm_shared.events.consumer import EventContext
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(WorkflowActionRequested)
def workflow_action(event: WorkflowActionRequested, ctx: EventContext, uow: UnitOfWork) -> None:
    carry_out(SERVICE, event, ctx, uow, logic.perform)
