"""The tenant's settings as the contacts service knows them (seeded from TenantProvisioned)."""

from __future__ import annotations

import time
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.models import ContactsItem
from crm_shared.dynamo import tenant_key

CACHE_SECONDS = 60.0
DEFAULTS: dict[str, Any] = {"default_phone_region": "US", "record_visibility": "team"}


class TenantSettingsItem(ContactsItem):
    tenant_id = UnicodeAttribute()
    settings = JSONAttribute(default=dict)


def settings_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "SETTINGS"), "SETTINGS"


def settings_item(tenant_id: str, settings: dict[str, Any]) -> TenantSettingsItem:
    pk, sk = settings_keys(tenant_id)
    return TenantSettingsItem(PK=pk, SK=sk, tenant_id=tenant_id,
                              settings={**DEFAULTS, **settings})


_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def settings_of(tenant_id: str) -> dict[str, Any]:
    """The tenant's settings, read at most once a minute per container (they rarely change)."""
    cached = _cache.get(tenant_id)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    pk, sk = settings_keys(tenant_id)
    try:
        found = {**DEFAULTS, **TenantSettingsItem.get(pk, sk).settings}
    except TenantSettingsItem.DoesNotExist:
        found = dict(DEFAULTS)
    _cache[tenant_id] = (time.monotonic(), found)
    return found
