"""Where a service finds API keys: one item per key in its own table.

The platform writes these items when a key is created; every other service keeps the
same items as a projection of `ApiKeyCreated` / `ApiKeyRevoked`, so checking a key is
one GetItem in the service's own table and no service reads another's.
"""

from __future__ import annotations

from functools import cache

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UnicodeSetAttribute

from crm_shared.dynamo import BaseItem, table_meta, tenant_key


class ApiKeyItem(BaseItem):
    key_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    scopes = UnicodeSetAttribute()
    secret_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)


@cache
def api_key_item_class(service: str) -> type[ApiKeyItem]:
    return type(f"{service.title()}ApiKeyItem", (ApiKeyItem,), {"Meta": table_meta(service)})


def api_key_keys(tenant_id: str, key_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "APIKEY", key_id), "APIKEY"


def find_api_key(service: str, tenant_id: str, key_id: str) -> ApiKeyItem | None:
    model = api_key_item_class(service)
    pk, sk = api_key_keys(tenant_id, key_id)
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None
