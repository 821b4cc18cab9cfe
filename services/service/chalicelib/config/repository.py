"""The only code that knows the config key: `T#<t>#CONFIG` / `CONFIG`."""

from __future__ import annotations

from chalicelib.config.models import ConfigItem
from crm_shared.dynamo import tenant_key

SK = "CONFIG"


def get(tenant_id: str, consistent: bool = False) -> ConfigItem | None:
    try:
        return ConfigItem.get(tenant_key(tenant_id, "CONFIG"), SK, consistent_read=consistent)
    except ConfigItem.DoesNotExist:
        return None


def new(tenant_id: str, doc: dict[str, object]) -> ConfigItem:
    return ConfigItem(PK=tenant_key(tenant_id, "CONFIG"), SK=SK, tenant_id=tenant_id, doc=doc)
