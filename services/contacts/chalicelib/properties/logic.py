"""Checking custom property values against the tenant's definitions, on every write."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from chalicelib.properties import store
from chalicelib.properties.schemas import PropertyIn
from crm_shared.errors import Conflict, NotFound, ValidationFailed


def _check(definition: store.PropertyItem, value: Any, field: str) -> Any:
    kind = definition.type
    if kind == "string":
        if not isinstance(value, str) or len(value) > 10_000:
            raise ValidationFailed.for_field(field, "must be a string of at most 10000 characters")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value
        ):
            raise ValidationFailed.for_field(field, "must be a number")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValidationFailed.for_field(field, "must be true or false")
        return value
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise ValidationFailed.for_field(field, "must be a date YYYY-MM-DD") from None
    if kind == "enum":
        if value not in definition.options:
            raise ValidationFailed.for_field(field, f"must be one of {definition.options}")
        return value
    if not isinstance(value, list) or any(v not in definition.options for v in value):
        raise ValidationFailed.for_field(field, f"must be a list of {definition.options}")
    return sorted(set(value))


def validate(tenant_id: str, object_type: str, values: dict[str, Any],
             existing: dict[str, Any] | None = None, field: str = "properties") -> dict[str, Any]:
    """The merged, checked property values; a 422 naming `properties.<name>` if not."""
    definitions = store.definitions(tenant_id, object_type)
    merged = dict(existing or {})
    for name, value in values.items():
        path = f"{field}.{name}"
        definition = definitions.get(name) or store.definitions(
            tenant_id, object_type, fresh=True).get(name)
        if definition is None:
            raise ValidationFailed.for_field(path, "is not a property of this tenant")
        if value is None:
            if definition.required:
                raise ValidationFailed.for_field(path, "is required")
            merged.pop(name, None)
            continue
        merged[name] = _check(definition, value, path)
    for name, definition in definitions.items():
        if definition.required and name not in merged:
            raise ValidationFailed.for_field(f"{field}.{name}", "is required")
    return merged


def create(tenant_id: str, object_type: str, cmd: PropertyIn) -> store.PropertyItem:
    if len(store.definitions(tenant_id, object_type, fresh=True)) >= store.MAX_PROPERTIES:
        raise ValidationFailed.for_field("name", f"at most {store.MAX_PROPERTIES} properties")
    item = store.new_item(tenant_id, object_type, **cmd.model_dump())
    from pynamodb.exceptions import PutError

    try:
        item.save(condition=store.PropertyItem.PK.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict.for_field("name", "a property with this name exists") from None
        raise
    store.forget(tenant_id, object_type)
    return item


def delete(tenant_id: str, object_type: str, name: str) -> None:
    pk, sk = store.keys(tenant_id, object_type, name)
    try:
        store.PropertyItem.get(pk, sk).delete()
    except store.PropertyItem.DoesNotExist:
        raise NotFound(f"no property {name}") from None
    store.forget(tenant_id, object_type)
