"""Request bodies: JSON parsing and pydantic validation that end as a 4xx naming the field."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from crm_shared.errors import BadRequest, PayloadTooLarge, ValidationFailed

MAX_BODY_BYTES = 1_048_576
if TYPE_CHECKING:
    from crm_shared.filters import SearchRequest

M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    # defer_build: a model's validator is built on first use, not at import (cold starts)
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def field_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as the dotted/bracketed path a client recognises."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def problem_from(exc: ValidationError) -> ValidationFailed:
    errors = []
    for error in exc.errors(include_url=False):
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "is not a field of this resource"
        elif error["type"] == "missing":
            message = "is required"
        errors.append({"field": field_path(tuple(error["loc"])), "message": message})
    fields = ", ".join(e["field"] for e in errors)
    return ValidationFailed(f"invalid fields: {fields}", errors=errors)


def parse_json(raw: bytes | None) -> Any:
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body exceeds {MAX_BODY_BYTES} bytes")
    if not raw or not raw.strip():
        raise BadRequest.for_field("body", "a JSON body is required")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest.for_field(
            "body", f"is not valid JSON: {exc}", code="malformed_json"
        ) from None


def validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadRequest.for_field("body", "must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise problem_from(exc) from None


def search_request(payload: Any, allowed_fields: set[str]) -> SearchRequest:
    """A `SearchRequest` over `allowed_fields`; a 422 naming each bad filter if not."""
    from crm_shared.filters import FilterError, parse_search

    try:
        return parse_search(payload, allowed_fields=allowed_fields)
    except FilterError as exc:
        raise ValidationFailed("invalid search: " + str(exc), errors=exc.errors) from None
