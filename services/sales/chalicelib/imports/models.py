"""Items of the sales imports (every kind): the import, its chunks of rows, and the row
keys."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.models import SalesItem


class ImportJobItem(SalesItem):
    """What was asked, who asked, and counters the chunks ADD to (never read-modify-write,
    so chunks running in parallel cannot lose each other's counts)."""

    import_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    status = UnicodeAttribute()  # running | completed
    request = JSONAttribute(default=dict)  # mapping, currency, pipeline_id
    header = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    principal = JSONAttribute(default=dict)  # who asked: the chunks act as them
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    total = NumberAttribute(default=0)
    processed = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    updated = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    chunks_total = NumberAttribute(default=0)
    chunks_done = NumberAttribute(default=0)


class ImportChunkItem(SalesItem):
    """A chunk's rows until it is written; then its outcome. `done` is set in the same
    transaction as the job's counters, so a redelivered chunk finds it and counts nothing."""

    import_id = UnicodeAttribute()
    chunk = NumberAttribute()
    rows = JSONAttribute(null=True)  # [[record number, [cells]], ...]; removed once done
    done = BooleanAttribute(null=True)
    errors = JSONAttribute(null=True)  # [{row, column, field, message}, ...]


class ImportKeyItem(SalesItem):
    """The opportunity an imported row became, by its external id (or, without one, by
    (import, row)): written with the deal, so a redelivery or a second import of the same
    file finds it; for an order import, the order (`opportunity_id` holds its id) by
    (source, external id). `fingerprint` tells an unchanged row (skipped) from a changed
    one."""

    opportunity_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
