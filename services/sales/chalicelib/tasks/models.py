"""Task items: the record, on lists by assignee and due time and by what it links."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class TaskItem(SalesItem):
    task_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    # the reminder time already announced (TaskDue), so an edit does not announce it again
    reminded_for = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
