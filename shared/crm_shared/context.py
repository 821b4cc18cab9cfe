"""Who is calling: the tenant and principal of the current request or event, in a contextvar."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from crm_shared.errors import Unauthorized


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. `kind` is "user", "api_key", "operator" or "system"."""

    kind: str
    tenant_id: str | None
    subject: str
    roles: frozenset[str] = frozenset()
    team_ids: frozenset[str] = frozenset()
    email: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How audit logs and event metadata name this caller."""
        return f"{self.kind}:{self.subject}"


@dataclass
class RequestContext:
    principal: Principal | None = None
    correlation_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # where the request came from, for the audit log (events carry them in their metadata)
    source_ip: str | None = None
    user_agent: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("crm_request_context", default=None)


def begin(correlation_id: str | None = None) -> RequestContext:
    """Start a fresh context for one request or one event."""
    ctx = RequestContext(correlation_id=correlation_id)
    _current.set(ctx)
    return ctx


def current() -> RequestContext:
    ctx = _current.get()
    return ctx if ctx is not None else begin()


def principal() -> Principal:
    """The authenticated caller; a 401 if the route forgot to authenticate."""
    found = current().principal
    if found is None:
        raise Unauthorized("no authenticated principal")
    return found


def tenant_id() -> str:
    """The caller's tenant: every key this request touches starts with it."""
    tid = principal().tenant_id
    if not tid:
        raise Unauthorized("the caller is not bound to a tenant")
    return tid
