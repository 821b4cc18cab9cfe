"""Items of the transfers feature: a job (import or export) and its chunk markers."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models import ContactsItem


class JobItem(ContactsItem):
    """An import or export: what was asked, who asked, and counters the chunks ADD to.

    Counters are plain numbers updated with `ADD` (never read-modify-write), so chunks
    running in parallel cannot lose each other's counts.
    """

    job_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # import | export
    object_type = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | running | linking (companies) | completed | failed
    request = JSONAttribute(default=dict)  # the validated request (mapping, fields, filter ...)
    principal = JSONAttribute(default=dict)  # who asked: the chunks act as them
    source = UnicodeAttribute(null=True)  # inline | upload
    header = JSONAttribute(null=True)  # an import's column names, read once when planning
    reason = UnicodeAttribute(null=True)  # why it failed
    created_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    total = NumberAttribute(default=0)
    processed = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    chunks_total = NumberAttribute(null=True)
    chunks_done = NumberAttribute(default=0)
    links_done = NumberAttribute(default=0)  # a company import's second pass, per chunk
    linked = NumberAttribute(default=0)  # companies whose parent the second pass set
    error_report = UnicodeAttribute(null=True)  # S3 key of the merged error CSV
    result = UnicodeAttribute(null=True)  # S3 key of an export's CSV
    cursor = UnicodeAttribute(null=True)  # where an export's next part starts


class ChunkDoneItem(ContactsItem):
    """Written with the chunk's counters in one transaction: a redelivery finds it and stops."""

    job_id = UnicodeAttribute()
    chunk = NumberAttribute()
    # a company chunk's rows with `subsidiary_of`, for the second pass:
    # [[row, company_id, the cell, the company's parent_id after the first pass], ...]
    links = JSONAttribute(null=True)


class ExternalKeyItem(ContactsItem):
    """The record an imported row's external_id became (a company or a contact): written
    with the record, so a redelivery or a later import of the same file finds it."""

    record_id = UnicodeAttribute()
