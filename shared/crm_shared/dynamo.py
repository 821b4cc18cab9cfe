"""PynamoDB conventions: one table per service, generic keys, tenant-first partition keys.

Services subclass `table_model(service)`; their repository is the only code that builds keys,
always through `tenant_key`, so no item is reachable without its tenant.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from crm_shared.settings import get_settings

SYSTEM_TENANT = "_system"
"""Operator-level records (provisioning claims, cross-tenant due work) live under this tenant."""


def tenant_key(tenant_id: str, *parts: str) -> str:
    """`T#<tenant>#part#part`: the only way a partition key is spelled."""
    if not tenant_id or "#" in tenant_id:
        raise ValueError(f"invalid tenant id for a key: {tenant_id!r}")
    return "#".join(("T", tenant_id, *parts))




def index_class(name: str) -> type[GlobalSecondaryIndex[Any]]:
    """A GSI keyed on string attributes `<name>PK`/`<name>SK`, projecting every attribute."""
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    return type(f"{name}Index", (GlobalSecondaryIndex,), {
        "Meta": meta,
        f"{name}PK": UnicodeAttribute(hash_key=True),
        f"{name}SK": UnicodeAttribute(range_key=True),
    })


GSI1 = index_class("GSI1")
GSI2 = index_class("GSI2")
GSI3 = index_class("GSI3")
DueIndex = index_class("DUE")  # sparse: only items with work due at `DUESK` (an ISO time)


def table_meta(service: str) -> type:
    """A PynamoDB `Meta` for the service's table, from the validated settings."""
    settings = get_settings()

    class Meta:
        table_name = settings.table_name(service)
        region = settings.region
        host = settings.aws_endpoint_url
        max_retry_attempts = 3

    return Meta


class BaseItem(Model):
    """Attributes every item of every service table has. Subclass through `table_model`."""

    class Meta:
        table_name = "unset"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    DUEPK = UnicodeAttribute(null=True)
    DUESK = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()
    due = DueIndex()


class WideItem(BaseItem):
    """BaseItem plus two more list indexes (GSI4, GSI5), for tables that list one kind of
    record along more than three dimensions (contacts, opportunities)."""

    class Meta:
        table_name = "unset"

    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    GSI5PK = UnicodeAttribute(null=True)
    GSI5SK = UnicodeAttribute(null=True)
    gsi4 = index_class("GSI4")()
    gsi5 = index_class("GSI5")()
