"""PynamoDB conventions: one table per service, generic keys, tenant-first partition keys.

Services subclass `table_model(service)`; their repository is the only code that builds keys,
always through `tenant_key`, so no item is reachable without its tenant.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
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


class TenantIndex(GlobalSecondaryIndex[Any]):
    """`TENANT`: every item of one tenant, one Query away (`TENANTPK` = the tenant id,
    `TENANTSK` = `PK#SK`), keys only. Sparse: set on every write by `BaseItem` (and by
    `tenant_index_actions` for updates), so offboarding purges a tenant without a Scan."""

    class Meta:
        index_name = "TENANT"
        projection = KeysOnlyProjection()

    TENANTPK = UnicodeAttribute(hash_key=True)
    TENANTSK = UnicodeAttribute(range_key=True)


def tenant_of_key(pk: str) -> str | None:
    """The tenant a `T#<tenant>#...` key belongs to (None for `_system` or a foreign shape)."""
    if not pk.startswith("T#"):
        return None
    tenant_id = pk[2:].split("#", 1)[0]
    return tenant_id if tenant_id and tenant_id != SYSTEM_TENANT else None


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
    TENANTPK = UnicodeAttribute(null=True)
    TENANTSK = UnicodeAttribute(null=True)

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()
    due = DueIndex()
    tenant_index = TenantIndex()

    #: False for records that outlive their tenant's offboarding (the operator's tenant
    #: record, offboarding reports): they never enter the TENANT index.
    tenant_indexed: ClassVar[bool] = True

    def index_tenant(self) -> str | None:
        """The tenant this item belongs to for offboarding: its key's tenant, or, for a
        `_system` item that points at a tenant (claims, form/site/connector keys, provider
        references), the `tenant_id` it carries."""
        if not type(self).tenant_indexed or not isinstance(self.PK, str):
            return None
        owner = tenant_of_key(self.PK)
        if owner is None and self.PK.startswith(f"T#{SYSTEM_TENANT}#"):
            pointed = getattr(self, "tenant_id", None) if "tenant_id" in self.get_attributes() \
                else None
            if isinstance(pointed, str) and pointed and pointed != SYSTEM_TENANT:
                owner = pointed
        return owner

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        """Every put (save, transactions, batch writes) goes through here: fill the TENANT
        index attributes first."""
        owner = self.index_tenant()
        if owner is not None:
            self.TENANTPK, self.TENANTSK = owner, f"{self.PK}#{self.SK}"
        return super().serialize(null_check=null_check)

    def update(self, actions: list[Action], condition: Any = None, *,
               add_version_condition: bool = True) -> Any:
        """An UpdateItem may create the item (ADD counters): it sets the index too."""
        return super().update([*actions, *tenant_index_actions(self, actions)], condition,
                              add_version_condition=add_version_condition)


def tenant_index_actions(item: BaseItem, actions: list[Action]) -> list[Action]:
    """The SET actions that put an updated (possibly created) item in the TENANT index;
    none when the item has no tenant or the actions set those attributes already."""
    owner = item.index_tenant()
    if owner is None:
        return []
    if any(str(action.values[0]) == "TENANTPK" for action in actions):
        return []
    return [type(item).TENANTPK.set(owner), type(item).TENANTSK.set(f"{item.PK}#{item.SK}")]


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
