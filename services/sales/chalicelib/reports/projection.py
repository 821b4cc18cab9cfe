"""Keeps the report aggregates in step with opportunity and lead events (consumer side).

Each event recomputes the record's contribution from the newest version seen and ADDs the
difference to what the record contributed before; the applied state and the ADDs commit in
the event's transaction with its idempotency marker, so each event counts exactly once.
"""

from __future__ import annotations

from typing import Any

from chalicelib.pipelines import logic as pipelines
from chalicelib.pipelines import repository as pipeline_store
from chalicelib.reports import domain, repository
from crm_shared.unit_of_work import UnitOfWork


def _version(record: dict[str, Any]) -> int:
    version = record.get("version")
    return version if isinstance(version, int) else 0


def _positions(tenant_id: str, pipeline_ids: set[str]) -> dict[str, dict[str, int]]:
    """Stage order per pipeline; a pipeline created a moment ago is read fresh."""
    known = pipelines.pipelines(tenant_id)
    if not pipeline_ids <= set(known):
        pipeline_store.forget(tenant_id)
        known = pipelines.pipelines(tenant_id)
    return {pid: {s.name.lower(): s.position for s in p.stages} for pid, p in known.items()
            if pid in pipeline_ids}


def apply_opportunity(uow: UnitOfWork, tenant_id: str, opportunity_id: str,
                      records: list[dict[str, Any]], deleted: bool = False) -> None:
    """Bring the deal's contribution to its newest known version (or to nothing once
    deleted: a deletion is final, later-arriving older events change nothing)."""
    state = repository.applied(tenant_id, "opportunity", opportunity_id)
    if state.deleted:
        return
    old_stats, old_funnel = state.contribution or {}, state.funnel or {}
    records = [r for r in records if isinstance(r, dict) and r]
    if deleted:
        state.deleted = True
        state.entries, state.contribution, state.funnel = {}, {}, {}
    else:
        newest = max(records, key=_version, default=None)
        if newest is not None and _version(newest) > (state.record_version or 0):
            state.record_version = _version(newest)
            state.contribution = domain.contribution(newest)
        entries = state.entries or {}
        for record in records:
            entries = domain.enter(entries, record)
        state.entries = entries
        pipeline_ids = {key.split("#", 1)[0] for key in entries}
        state.funnel = domain.funnel_contribution(entries, _positions(tenant_id, pipeline_ids))
    changes = {**domain.difference(old_stats, state.contribution),
               **domain.difference(old_funnel, state.funnel)}
    repository.save_applied(uow, state)
    repository.add(uow, tenant_id, changes)


def apply_lead(uow: UnitOfWork, tenant_id: str, lead_id: str, lead: dict[str, Any],
               converted: bool) -> None:
    """Count the lead under its source and creation month (from its newest version seen);
    a conversion, once seen, stays."""
    state = repository.applied(tenant_id, "lead", lead_id)
    old = state.contribution or {}
    if not state.entries or _version(lead) > (state.record_version or 0):
        state.entries = {"source": lead.get("source"), "created_at": lead.get("created_at")}
        state.record_version = _version(lead)
    state.converted = bool(state.converted) or converted
    state.contribution = domain.lead_contribution(state.entries, state.converted)
    repository.save_applied(uow, state)
    repository.add(uow, tenant_id, domain.difference(old, state.contribution))
