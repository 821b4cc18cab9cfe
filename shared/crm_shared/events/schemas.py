"""JSON Schemas of the event catalog, committed beside it: `make events` writes them.

A schema file `<DetailType>.v<N>.json` is a published contract. Regenerating refuses to
overwrite one with a schema that drops or retypes a field: bump `schema_version` instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from crm_shared.events.catalog import CATALOG
from crm_shared.events.envelope import Event, EventMetadata

SCHEMA_DIR = Path(__file__).parent / "schemas"


def file_name(event: type[Event]) -> str:
    return f"{event.detail_type()}.v{event.schema_version}.json"


def schema_of(event: type[Event]) -> dict[str, Any]:
    """The EventBridge `detail` of this event: the envelope with its data schema inlined."""
    data = event.model_json_schema(mode="serialization")
    defs = data.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": event.detail_type(),
        "description": (event.__doc__ or "").strip() or None,
        "x-source": event.source,
        "x-detail-type": event.detail_type(),
        "x-schema-version": event.schema_version,
        "type": "object",
        "required": ["metadata", "data"],
        "properties": {
            "metadata": EventMetadata.model_json_schema(),
            "data": data,
        },
        "additionalProperties": False,
    }
    if defs:
        schema["$defs"] = defs
    if schema["description"] is None:
        del schema["description"]
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def breaking_changes(published: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Fields a consumer of `published` relies on that `current` removed or retyped."""
    old = published["properties"]["data"]
    new = current["properties"]["data"]
    problems = []
    new_props = new.get("properties", {})
    for name, spec in old.get("properties", {}).items():
        if name not in new_props:
            problems.append(f"data.{name} was removed")
            continue
        if _type_of(spec) != _type_of(new_props[name]):
            problems.append(f"data.{name} changed type {_type_of(spec)} -> "
                            f"{_type_of(new_props[name])}")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    problems += [f"data.{name} became required" for name in sorted(newly_required)
                 if name in old.get("properties", {})]
    return problems


def _type_of(spec: dict[str, Any]) -> Any:
    if "anyOf" in spec:
        return sorted(json.dumps(_type_of(s), sort_keys=True) for s in spec["anyOf"])
    if "$ref" in spec:
        return spec["$ref"]
    if spec.get("type") == "array":
        return ["array", _type_of(spec.get("items", {}))]
    return spec.get("type")


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    refused = []
    for event in CATALOG.values():
        path = SCHEMA_DIR / file_name(event)
        schema = schema_of(event)
        if path.exists():
            problems = breaking_changes(json.loads(path.read_text()), schema)
            if problems:
                refused.append(f"{path.name}: {'; '.join(problems)} "
                               f"(bump {event.__name__}.schema_version)")
                continue
        path.write_text(render(schema))
        print(f"wrote {path.relative_to(SCHEMA_DIR.parent.parent.parent)}")
    for line in refused:
        print(f"refused {line}", file=sys.stderr)
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
