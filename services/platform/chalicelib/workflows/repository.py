"""The only code that knows workflow keys.

- a workflow: `T#<t>#WORKFLOW#<wfl>` / `WORKFLOW`, listed on GSI1 (`T#<t>#WORKFLOWS`, by
  creation) and, while enabled, on GSI2 by trigger (`T#<t>#WORKFLOW_TRIGGER#<event type>`):
  the engine finds a tenant's workflows for an event with one Query;
- a run: `T#<t>#WFRUN#<wfr>` / `RUN`, listed per workflow on GSI1
  (`T#<t>#WORKFLOW#<wfl>#RUNS`, newest first), on the sparse DUE index while it waits;
- a rate counter: `T#<t>#WFRATE#<wfl>#<entity>` / `<hour>` (TTL after the hour);
- a round-robin position: `T#<t>#WFRR#<wfl>#<action index>` / `POINTER`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import SERVICE
from chalicelib.workflows.models import CounterItem, PointerItem, RunItem, WorkflowItem
from crm_shared import clock
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

WORKFLOW, RUN, POINTER = "WORKFLOW", "RUN", "POINTER"
RESUME_JOB = "workflow_resume"
RUN_TTL = timedelta(days=90)


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


# -- workflows ------------------------------------------------------------------------------

def _workflow_pk(tenant_id: str, workflow_id: str) -> str:
    return tenant_key(tenant_id, "WORKFLOW", workflow_id)


def index_workflow(item: WorkflowItem) -> None:
    item.GSI1PK = tenant_key(item.tenant_id, "WORKFLOWS")
    item.GSI1SK = f"{item.created_at}#{item.workflow_id}"
    enabled = bool(item.doc.get("enabled"))
    event_type = str(item.doc["trigger"]["event_type"])
    item.GSI2PK = tenant_key(item.tenant_id, "WORKFLOW_TRIGGER", event_type) if enabled else None
    item.GSI2SK = item.workflow_id if enabled else None


def new_workflow(tenant_id: str, workflow_id: str, doc: dict[str, Any], created_by: str | None,
                 now: str) -> WorkflowItem:
    item = WorkflowItem(PK=_workflow_pk(tenant_id, workflow_id), SK=WORKFLOW,
                        workflow_id=workflow_id, tenant_id=tenant_id, doc=doc,
                        created_by=created_by, created_at=now, updated_at=now)
    index_workflow(item)
    return item


def get_workflow(tenant_id: str, workflow_id: str, consistent: bool = False
                 ) -> WorkflowItem | None:
    try:
        return WorkflowItem.get(_workflow_pk(tenant_id, workflow_id), WORKFLOW,
                                consistent_read=consistent)
    except WorkflowItem.DoesNotExist:
        return None


def list_workflows(tenant_id: str, limit: int, cursor: str | None
                   ) -> tuple[list[WorkflowItem], str | None]:
    pk = tenant_key(tenant_id, "WORKFLOWS")
    return query_page(lambda **kw: WorkflowItem.gsi1.query(pk, **kw), f"{pk}:workflows",
                      cursor, limit)


def all_workflows(tenant_id: str, limit: int) -> list[WorkflowItem]:
    """Up to `limit` of the tenant's workflows (a bounded Query: tenants have few)."""
    return list(WorkflowItem.gsi1.query(tenant_key(tenant_id, "WORKFLOWS"), limit=limit))


def enabled_for(tenant_id: str, event_type: str, limit: int) -> list[WorkflowItem]:
    """The tenant's enabled workflows triggered by `event_type`: one Query."""
    pk = tenant_key(tenant_id, "WORKFLOW_TRIGGER", event_type)
    return list(WorkflowItem.gsi2.query(pk, limit=limit, page_size=limit))


# -- runs -----------------------------------------------------------------------------------

def new_run(tenant_id: str, run_id: str, workflow_id: str, doc: dict[str, Any]) -> RunItem:
    item = RunItem(PK=tenant_key(tenant_id, "WFRUN", run_id), SK=RUN, run_id=run_id,
                   tenant_id=tenant_id, workflow_id=workflow_id, doc=doc,
                   expires_at=clock.now() + RUN_TTL)
    item.GSI1PK = tenant_key(tenant_id, "WORKFLOW", workflow_id, "RUNS")
    item.GSI1SK = run_id
    return item


def set_resume(item: RunItem, at: datetime | None) -> None:
    """Put the run on the DUE index until `at` (None: take it off)."""
    fields = due_fields(RESUME_JOB, at, item.tenant_id, item.run_id) if at else {}
    item.DUEPK, item.DUESK = fields.get("DUEPK"), fields.get("DUESK")


def get_run(tenant_id: str, run_id: str, consistent: bool = False) -> RunItem | None:
    try:
        return RunItem.get(tenant_key(tenant_id, "WFRUN", run_id), RUN,
                           consistent_read=consistent)
    except RunItem.DoesNotExist:
        return None


def list_runs(tenant_id: str, workflow_id: str, limit: int, cursor: str | None
              ) -> tuple[list[RunItem], str | None]:
    pk = tenant_key(tenant_id, "WORKFLOW", workflow_id, "RUNS")
    return query_page(lambda **kw: RunItem.gsi1.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:runs", cursor, limit)


def due_runs(limit: int = 100) -> list[RunItem]:
    return due_items(RunItem, RESUME_JOB, limit)


def save_run(uow: UnitOfWork, item: RunItem, creating: bool = False) -> None:
    """A new run must not exist; a changed one must be the version read (else 412, retried)."""
    if creating:
        uow.put(item, RunItem.PK.does_not_exist(), label="run")
    else:
        uow.put(item, label="version_run")


# -- rate limits and round robins -------------------------------------------------------------

def _counter_keys(tenant_id: str, workflow_id: str, entity: str, hour: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "WFRATE", workflow_id, entity), hour


def runs_this_hour(tenant_id: str, workflow_id: str, entity: str, hour: str) -> int:
    try:
        found = CounterItem.get(*_counter_keys(tenant_id, workflow_id, entity, hour),
                                consistent_read=True)
        return int(found.count)
    except CounterItem.DoesNotExist:
        return 0


def count_run(uow: UnitOfWork, tenant_id: str, workflow_id: str, entity: str, hour: str,
              limit: int, expires_at: datetime) -> None:
    """Add one run to the hour's counter; a counter at `limit` fails the transaction."""
    pk, sk = _counter_keys(tenant_id, workflow_id, entity, hour)
    item = CounterItem(PK=pk, SK=sk)
    uow.update(item, [CounterItem.count.add(1), CounterItem.expires_at.set(expires_at)],
               condition=CounterItem.count.does_not_exist() | (CounterItem.count < limit),
               label="rate")


def pointer(tenant_id: str, workflow_id: str, index: int) -> int | None:
    try:
        return int(PointerItem.get(tenant_key(tenant_id, "WFRR", workflow_id, str(index)),
                                   POINTER, consistent_read=True).position)
    except PointerItem.DoesNotExist:
        return None


def move_pointer(uow: UnitOfWork, tenant_id: str, workflow_id: str, index: int,
                 seen: int | None, position: int) -> None:
    """Store the next position, provided nobody moved it since it was read."""
    item = PointerItem(PK=tenant_key(tenant_id, "WFRR", workflow_id, str(index)), SK=POINTER)
    condition = PointerItem.position.does_not_exist() if seen is None \
        else PointerItem.position == seen
    uow.update(item, [PointerItem.position.set(position)], condition=condition,
               label="pointer")
