"""RFC 9457 problem details: the one shape every 4xx and 5xx of the CRM takes."""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "https://crm.dev/problems/"


class Problem(Exception):
    """An error a client should see. Raise it anywhere; the HTTP edge renders it."""

    status = 400
    title = "Bad request"
    code = "bad_request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.code = code or self.code
        self.headers = headers or {}

    @classmethod
    def for_field(cls, field: str, message: str, **kwargs: Any) -> Problem:
        """A problem about one named input field."""
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}], **kwargs)

    def body(self, correlation_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "errors": self.errors,
        }
        if correlation_id:
            body["correlation_id"] = correlation_id
        return body


class BadRequest(Problem):
    pass


class ValidationFailed(Problem):
    status = 422
    title = "Validation failed"
    code = "validation_failed"


class Unauthorized(Problem):
    status = 401
    title = "Unauthorized"
    code = "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="crm"'})
        super().__init__(detail, **kwargs)


class Forbidden(Problem):
    status = 403
    title = "Forbidden"
    code = "forbidden"


class NotFound(Problem):
    status = 404
    title = "Not found"
    code = "not_found"


class MethodNotAllowed(Problem):
    status = 405
    title = "Method not allowed"
    code = "method_not_allowed"


class Conflict(Problem):
    status = 409
    title = "Conflict"
    code = "conflict"


class PreconditionFailed(Problem):
    status = 412
    title = "Precondition failed"
    code = "precondition_failed"


class PayloadTooLarge(Problem):
    status = 413
    title = "Payload too large"
    code = "payload_too_large"


class UnsupportedMediaType(Problem):
    status = 415
    title = "Unsupported media type"
    code = "unsupported_media_type"


class PreconditionRequired(Problem):
    status = 428
    title = "Precondition required"
    code = "precondition_required"


class TooManyRequests(Problem):
    status = 429
    title = "Too many requests"
    code = "too_many_requests"


class InternalError(Problem):
    status = 500
    title = "Internal error"
    code = "internal_error"


class Unavailable(Problem):
    status = 503
    title = "Service unavailable"
    code = "unavailable"
