"""Property definitions: one item each, all of an object type in one partition."""

from __future__ import annotations

import time

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute

from chalicelib.models import ContactsItem
from crm_shared.dynamo import tenant_key

CACHE_SECONDS = 30.0
MAX_PROPERTIES = 200


class PropertyItem(ContactsItem):
    object_type = UnicodeAttribute()
    name = UnicodeAttribute()
    label = UnicodeAttribute()
    type = UnicodeAttribute()
    required = BooleanAttribute(default=False)
    options = ListAttribute(of=UnicodeAttribute, default=list)
    description = UnicodeAttribute(null=True)


def keys(tenant_id: str, object_type: str, name: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "PROPERTIES", object_type), name


def new_item(tenant_id: str, object_type: str, **fields: object) -> PropertyItem:
    pk, sk = keys(tenant_id, object_type, str(fields["name"]))
    return PropertyItem(PK=pk, SK=sk, object_type=object_type, **fields)


_cache: dict[tuple[str, str], tuple[float, dict[str, PropertyItem]]] = {}


def definitions(tenant_id: str, object_type: str, fresh: bool = False) -> dict[str, PropertyItem]:
    """All definitions of the type: one Query, cached briefly per container."""
    key = (tenant_id, object_type)
    cached = _cache.get(key)
    if not fresh and cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    pk = tenant_key(tenant_id, "PROPERTIES", object_type)
    found = {item.name: item for item in PropertyItem.query(pk, limit=MAX_PROPERTIES)}
    _cache[key] = (time.monotonic(), found)
    return found


def forget(tenant_id: str, object_type: str) -> None:
    _cache.pop((tenant_id, object_type), None)
