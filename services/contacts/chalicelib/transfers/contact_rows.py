"""CSV rows as contacts: the mapping, and row values as the contact API's own payloads.

Each row becomes a `ContactCreate` (new) or `ContactFields` (upsert hit) payload and goes
through the same pydantic models, normalization and custom-property checks as
`POST /contacts` and `PATCH /contacts/{id}`, so an import accepts exactly what the API does.
"""

from __future__ import annotations

from typing import Any

from chalicelib.properties import store
from crm_shared.errors import ValidationFailed

FIELDS = ("first_name", "last_name", "email", "phone", "title", "lifecycle_stage", "tags",
          "owner_id", "team_id", "company_id", "source", "birthday", "external_id")
UPSERT_KEYS = ("email", "phone", "external_id")
LIST_SEPARATOR = ";"
TRUE, FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


def mapped_targets(tenant_id: str, object_type: str, fields: tuple[str, ...],
                   mapping: dict[str, str]) -> dict[str, str]:
    """target -> its column; a 422 naming `mapping.<column>` for a target the object type
    does not have (a field or one of its custom properties) or one mapped twice."""
    definitions = store.definitions(tenant_id, object_type, fresh=True)
    targets: dict[str, str] = {}
    for column, target in mapping.items():
        field = f"mapping.{column}"
        if target.startswith("properties."):
            if target.removeprefix("properties.") not in definitions:
                raise ValidationFailed.for_field(field, f"{target}: no such custom property")
        elif target not in fields:
            raise ValidationFailed.for_field(
                field, f"{target!r} is not a {object_type} field; one of {', '.join(fields)} "
                "or properties.<name>")
        if target in targets:
            raise ValidationFailed.for_field(field, f"{target} is mapped from "
                                             f"{targets[target]!r} already")
        targets[target] = column
    return targets


def check_upsert_key(upsert_key: str | None, keys: tuple[str, ...], targets: dict[str, str],
                     records: str) -> None:
    """A 422 naming `upsert_key` unless it is one of `keys` and a column is mapped to it."""
    if upsert_key is not None and upsert_key not in keys:
        raise ValidationFailed.for_field(
            "upsert_key", f"{records} are matched by one of {', '.join(keys)}")
    if upsert_key is not None and upsert_key not in targets:
        raise ValidationFailed.for_field("upsert_key", f"no column is mapped to {upsert_key}")


def check_mapping(tenant_id: str, mapping: dict[str, str], upsert_key: str | None) -> None:
    """A 422 naming `mapping.<column>` for a target contacts do not have."""
    targets = mapped_targets(tenant_id, "contact", FIELDS, mapping)
    check_upsert_key(upsert_key, UPSERT_KEYS, targets, "contacts")


def _typed(definition: store.PropertyItem | None, raw: str) -> Any:
    """A cell as the property's type; what does not convert stays text and fails validation."""
    kind = definition.type if definition else "string"
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() and "." not in raw else number
    if kind == "bool":
        lowered = raw.lower()
        return True if lowered in TRUE else False if lowered in FALSE else raw
    if kind == "multi_enum":
        return [v.strip() for v in raw.split(LIST_SEPARATOR) if v.strip()]
    return raw


def payload(tenant_id: str, values: dict[str, str]) -> dict[str, Any]:
    """The JSON a client would send for these mapped, non-empty cells."""
    definitions = store.definitions(tenant_id, "contact")
    out: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for target, raw in values.items():
        if target.startswith("properties."):
            name = target.removeprefix("properties.")
            properties[name] = _typed(definitions.get(name), raw)
        elif target == "email":
            out["emails"] = [{"address": raw}]
        elif target == "phone":
            out["phones"] = [{"number": raw}]
        elif target == "tags":
            out["tags"] = [t.strip() for t in raw.split(LIST_SEPARATOR) if t.strip()]
        else:
            out[target] = raw
    if properties:
        out["properties"] = properties
    return out


def merged(update: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """An upsert adds to lists rather than replacing them: a row names one email or phone."""
    out = dict(update)
    for name, key in (("emails", "address"), ("phones", "number")):
        if name in out:
            known = list(current.get(name) or [])
            have = {e[key] for e in known}
            out[name] = known + [e for e in out[name] if e[key] not in have]
            out[name] = [{k: v for k, v in e.items() if v is not None} for e in out[name]]
    if "tags" in out:
        out["tags"] = sorted(set(current.get("tags") or []) | set(out["tags"]))
    return out


def column_of(field: str, mapping: dict[str, str]) -> str:
    """The CSV column an error about `field` (e.g. `emails[0].address`) comes from."""
    target = field.split("[", 1)[0].split(".", 1)[0]
    target = {"emails": "email", "phones": "phone"}.get(target, target)
    if target == "properties":
        target = ".".join(field.split(".", 2)[:2])
    by_target = {t: c for c, t in mapping.items()}
    return by_target.get(target, "")
