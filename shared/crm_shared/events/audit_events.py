"""Compliance events: field rules (on the bus) and reads/exports (to the audit queue).

`FieldPermissionsChanged` travels the bus like every event (source crm.platform) and is in
the catalog. `RecordsRead` and `RecordsExported` never touch the bus: a service sends them
straight to the platform's audit queue (crm_shared.audit) in the same envelope, so a read
costs one SQS call and no DynamoDB write; they are not in the catalog for that reason.
"""

from __future__ import annotations

from pydantic import Field

from crm_shared.events.envelope import Event


class FieldPermissionsChanged(Event):
    """A tenant's field rules (role -> entity type -> hidden fields), whole, at `version`."""

    source = "crm.platform"

    rules: dict[str, dict[str, list[str]]]
    version: int = Field(ge=1)
    updated_at: str


class RecordsRead(Event):
    """Records with personal data left the CRM in an API response to `actor`."""

    source = "crm.audit"

    service: str
    route: str
    entity_type: str
    entity_ids: list[str]


class RecordsExported(Event):
    """A file of records was produced for `actor` (an export's rows, not its ids)."""

    source = "crm.audit"

    service: str
    export_id: str
    entity_type: str
    rows: int
    fields: list[str] = Field(default_factory=list)
    filter: list[dict[str, object]] = Field(default_factory=list)
