"""Workflow items: the definition, its runs, the per-entity rate counters and the round-robin
positions of team assignments. Key shapes live in repository.py."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import PlatformItem


class WorkflowItem(PlatformItem):
    workflow_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)  # name, description, enabled, trigger, conditions, ...
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class RunItem(PlatformItem):
    run_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)  # the run log (RunOut) plus what the next steps need
    version = VersionAttribute()


class CounterItem(PlatformItem):
    """Runs of one workflow for one entity in one hour (expires after it)."""

    count = NumberAttribute(default=0)


class PointerItem(PlatformItem):
    """The next position of a team round robin of one workflow action."""

    position = NumberAttribute(default=0)
