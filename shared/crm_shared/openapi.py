"""OpenAPI 3.1 documents built from the route specs and the pydantic models they validate.

The same `RouteSpec` that authenticates, authorizes and validates a request describes it
here, so the document cannot drift from what the service does. Each service serves its own
at `/<service>/openapi.json`; the local gateway merges them at `/openapi.json`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from crm_shared.http import AUTH_OPERATOR, AUTH_PUBLIC, RouteSpec

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{([^}/]+)}")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each offending field.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "correlation_id": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        }},
    },
}
SECURITY_SCHEMES: dict[str, Any] = {
    "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A Cognito ID token of the tenant's user pool."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
               "description": "A tenant API key (crmk.<tenant>.<key id>.<secret>), scoped."},
    "operator": {"type": "apiKey", "in": "header", "name": "X-Operator-Key",
                 "description": "Operator routes: IAM (SigV4) in the cloud; this header on the "
                                "local stage."},
}
#: What every authenticated route may answer besides its own status.
COMMON_PROBLEMS = {"400": "Bad request", "401": "Missing or invalid credentials",
                   "403": "The caller's role may not do this", "404": "Not found",
                   "422": "A field failed validation"}


def _security(spec: RouteSpec) -> list[dict[str, list[str]]]:
    if spec.auth == AUTH_PUBLIC:
        return []
    if spec.auth == AUTH_OPERATOR:
        return [{"operator": []}]
    schemes: list[dict[str, list[str]]] = [{"cognito": []}]
    if spec.api_keys:
        schemes.append({"apiKey": []})
    return schemes


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}}


def _operation(spec: RouteSpec, names: dict[tuple[Any, str], str]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{spec.service}_{spec.name}",
        "summary": spec.summary or spec.name.replace("_", " "),
        "tags": [spec.path.strip("/").split("/", 1)[0]],
        "security": _security(spec),
        "x-crm-roles": sorted(spec.roles),
    }
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in _PARAM.findall(spec.path)]
    if spec.method in {"POST", "PUT", "PATCH"}:
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": {"type": "string", "maxLength": 200}}
                      if spec.method == "POST" else
                      {"name": "If-Match", "in": "header", "required": False,
                       "schema": {"type": "string"}})
    if params:
        operation["parameters"] = params
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": REF.format(model=names[(spec.body, "validation")])}}}}
    ok: dict[str, Any] = {"description": "Success"}
    if spec.produces is not None:
        media = spec.produces.split(";")[0].strip()
        binary = not media.startswith("text/")
        ok["content"] = {media: {"schema": {"type": "string",
                                            **({"format": "binary"} if binary else {})}}}
    elif spec.response is not None and spec.status != 204:
        ok["content"] = {"application/json": {"schema": {
            "$ref": REF.format(model=names[(spec.response, "serialization")])}}}
    responses: dict[str, Any] = {str(spec.status): ok}
    for status, description in COMMON_PROBLEMS.items():
        if status == "401" and spec.auth == AUTH_PUBLIC:
            continue
        responses[status] = _problem_response(description)
    if spec.method in {"POST", "PUT", "PATCH", "DELETE"}:
        responses["409"] = _problem_response("Conflicts with the current state")
    if spec.method in {"PUT", "PATCH"}:
        responses["412"] = _problem_response("If-Match names a version that is not current")
    operation["responses"] = responses
    return operation


def document(service: str, specs: Sequence[RouteSpec], version: str = "1") -> dict[str, Any]:
    """The service's OpenAPI 3.1 document; component names are the models' class names."""
    wanted: list[tuple[type[BaseModel], Any]] = []
    for spec in specs:
        if spec.body is not None:
            wanted.append((spec.body, "validation"))
        if spec.response is not None:
            wanted.append((spec.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    keys, defs = models_json_schema(unique, ref_template=REF) if unique else ({}, {})
    names: dict[tuple[Any, str], str] = {
        key: str(value["$ref"]).rsplit("/", 1)[-1] for key, value in keys.items()}
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, names)
    schemas = {**defs.get("$defs", {}), "Problem": PROBLEM_SCHEMA}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": f"CRM {service} API", "version": version,
                 "description": f"The {service} service of the CRM. Errors are "
                                "application/problem+json."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())),
                       "securitySchemes": SECURITY_SCHEMES},
    }


def merge(documents: Iterable[dict[str, Any]], title: str = "CRM API") -> dict[str, Any]:
    """One document for the whole edge. Services own disjoint paths; a component two
    services define differently keeps both, the second prefixed with its service name."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for doc in documents:
        service = doc["info"]["title"].removeprefix("CRM ").removesuffix(" API")
        renames: dict[str, str] = {}
        for name, schema in doc["components"]["schemas"].items():
            if name in schemas and schemas[name] != schema:
                renames[name] = f"{service}_{name}"
        text_doc = _rename_refs(doc, renames)
        for name, schema in text_doc["components"]["schemas"].items():
            schemas[renames.get(name, name)] = schema
        paths.update(text_doc["paths"])
    return {"openapi": OPENAPI_VERSION,
            "info": {"title": title, "version": "1",
                     "description": "Every CRM service behind one edge."},
            "paths": dict(sorted(paths.items())),
            "components": {"schemas": dict(sorted(schemas.items())),
                           "securitySchemes": SECURITY_SCHEMES}}


def _rename_refs(doc: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    if not renames:
        return doc

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name in renames:
                    out["$ref"] = REF.format(model=renames[name])
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    renamed: dict[str, Any] = walk(doc)
    return renamed
