"""The HTTP edge of every service: thin Chalice routes that authenticate, authorize, validate.

A route declares who may call it and what body it takes; the handler only sees a parsed
`ApiRequest` and returns data. Errors of any kind leave as problem+json, and the route
declarations double as the route table the gateway, the docs and the isolation tests use.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from chalice import Blueprint, Chalice, CORSConfig, IAMAuthorizer, Response
from chalice.app import Request
from pydantic import BaseModel

from crm_shared import context, observability
from crm_shared.auth import api_keys
from crm_shared.auth.api_key_store import find_api_key
from crm_shared.auth.roles import ALL_ROLES
from crm_shared.auth.tokens import verify_id_token
from crm_shared.context import Principal
from crm_shared.dynamo import SYSTEM_TENANT
from crm_shared.errors import (
    BadRequest,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    Problem,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)
from crm_shared.idempotency import IdempotencyKey, request_hash
from crm_shared.ids import new_id
from crm_shared.settings import get_settings
from crm_shared.validation import MAX_BODY_BYTES, parse_json, validate

PROBLEM_JSON = "application/problem+json"
JSON_TYPES = ["application/json", "application/merge-patch+json"]
CORS = CORSConfig(
    allow_origin="*",
    allow_headers=[
        "Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key",
        "X-Api-Key", "X-Correlation-Id", "X-Operator-Key",
    ],
    expose_headers=["ETag", "Location", "X-Correlation-Id", "Idempotent-Replayed"],
    max_age=600,
)

# Chalice admits IAM-authorized routes locally with a warning per request; the operator
# key stands in for IAM there (see `_operator`), so the warning says nothing new.
warnings.filterwarnings("ignore", message=r"IAMAuthorizer is not a supported in local mode")

AUTH_USER = "user"
AUTH_OPERATOR = "operator"
AUTH_PUBLIC = "public"


@dataclass(frozen=True)
class RouteSpec:
    """What a route promises: the source of the route table, docs and isolation tests."""

    service: str
    path: str
    method: str
    name: str
    auth: str
    roles: frozenset[str]
    api_keys: bool
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    summary: str
    #: the media type of a non-JSON answer (a RawReply: a pixel, a page), else None
    produces: str | None = None


@dataclass
class ApiRequest:
    """What a handler gets: the validated body and the caller, never raw HTTP."""

    spec: RouteSpec
    principal: Principal
    body: Any
    query: dict[str, str]
    headers: dict[str, str]
    correlation_id: str
    #: the body as sent, for the few routes that verify a signature over its exact bytes
    raw_body: bytes = b""

    @property
    def tenant_id(self) -> str:
        if not self.principal.tenant_id:
            raise Unauthorized("the caller is not bound to a tenant")
        return self.principal.tenant_id

    def if_match(self) -> int | None:
        """The version an `If-Match: "<n>"` header asks for, or None without the header."""
        raw = self.headers.get("if-match")
        if raw is None:
            return None
        match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,18})"?\s*', raw)
        if not match:
            raise PreconditionFailed.for_field("If-Match", "must be an ETag this API returned")
        return int(match.group(1))


@dataclass
class Reply:
    """A handler result with a status or headers other than the route's default."""

    body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RawReply:
    """A non-JSON answer (a tracking pixel, a redirect, a small HTML page): sent as is."""

    body: bytes | str
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def _too_large() -> PayloadTooLarge:
    """Inline CSV is the usual culprit: say where large files go instead."""
    return PayloadTooLarge(f"the body exceeds {MAX_BODY_BYTES} bytes; upload a large file "
                           "with POST /imports and `upload: true` (a presigned S3 URL) "
                           "instead of sending it inline")


def etag(version: int | None) -> str:
    return f'"{version or 0}"'


def dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value


Headers = dict[str, str | list[str]]


def problem_response(problem: Problem, correlation_id: str | None) -> Response:
    headers: Headers = {"Content-Type": PROBLEM_JSON, **problem.headers}
    if correlation_id:
        headers["X-Correlation-Id"] = correlation_id
    return Response(body=json.dumps(problem.body(correlation_id)), status_code=problem.status,
                    headers=headers)


#: AWS error codes that say "not now", not "never": throttling and service-side failures.
TRANSIENT_CODES = frozenset({
    "ThrottlingException", "Throttling", "ProvisionedThroughputExceededException",
    "RequestLimitExceeded", "TooManyRequestsException", "InternalServerError",
    "InternalFailure", "ServiceUnavailable", "TransactionInProgressException",
})


def transient(exc: BaseException) -> bool:
    """True when `exc` (or what caused it: PynamoDB wraps botocore's errors) is an AWS
    throttle, a service-side failure or a connection failure, after the SDK's retries."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionError | HTTPClientError):
            return True
        if isinstance(current, ClientError) and (
                current.response.get("Error", {}).get("Code") in TRANSIENT_CODES):
            return True
        pending += [current.__cause__, current.__context__, getattr(current, "cause", None)]
    return False


class ServiceApi:
    """A Chalice blueprint whose routes carry a `RouteSpec` and the shared request pipeline."""

    def __init__(self, service: str, feature: str = "api") -> None:
        self.service = service
        self.blueprint = Blueprint(f"crm_{service}_{feature}")
        self.routes: list[RouteSpec] = []
        self.handlers: dict[tuple[str, str], Callable[..., Any]] = {}

    def route(
        self,
        path: str,
        method: str = "GET",
        *,
        roles: frozenset[str] = ALL_ROLES,
        auth: str = AUTH_USER,
        api_keys: bool = True,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        summary: str = "",
        name: str | None = None,
        content_types: list[str] | None = None,
        produces: str | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            spec = RouteSpec(
                service=self.service, path=path, method=method, name=name or handler.__name__,
                auth=auth, roles=frozenset(roles), api_keys=api_keys, body=body,
                response=response, status=status,
                summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
                produces=produces,
            )
            self.routes.append(spec)
            self.handlers[(path, method)] = handler

            @functools.wraps(handler)
            def view(**params: str) -> Response:
                request = self.blueprint.current_request
                return self._dispatch(spec, handler, request, params)

            view.__name__ = f"{spec.name}_{method.lower()}"
            # operator routes are IAM-signed in the cloud: API Gateway checks the signature
            authorizer = IAMAuthorizer() if auth == AUTH_OPERATOR else None
            self.blueprint.route(
                path, methods=[method], cors=CORS, content_types=content_types or JSON_TYPES,
                authorizer=authorizer,
            )(view)
            return handler

        return decorator

    # -- the request pipeline -------------------------------------------------

    def _dispatch(
        self, spec: RouteSpec, handler: Callable[..., Any], request: Request,
        params: dict[str, str],
    ) -> Response:
        correlation_id = context.current().correlation_id or new_id("req")
        idem: IdempotencyKey | None = None
        try:
            raw = request.raw_body if request.method in {"POST", "PUT", "PATCH"} else b""
            if len(raw or b"") > MAX_BODY_BYTES:
                raise _too_large()
            headers = {k.lower(): v for k, v in request.headers.items()}
            principal = self._authenticate(spec, headers, request)
            context.current().principal = principal
            context.current().source_ip = ((request.context or {}).get("identity") or {}).get(
                "sourceIp")  # for the audit log: events carry both in their metadata
            context.current().user_agent = headers.get("user-agent")
            observability.bind(
                self.service, tenant_id=principal.tenant_id, correlation_id=correlation_id
            )
            self._authorize(spec, principal, request.method)
            body = validate(spec.body, parse_json(raw)) if spec.body else None
            key = headers.get("idempotency-key")
            if key is not None and spec.method == "POST":
                claim = IdempotencyKey(
                    self.service, principal.tenant_id or SYSTEM_TENANT, principal.actor, key
                )
                replay = claim.begin(request_hash(spec.method, request.path, raw))
                if replay is not None:
                    return _json(replay.body, replay.status,
                                 {**replay.headers, "Idempotent-Replayed": "true"},
                                 correlation_id)
                idem = claim  # ours only once claimed: a retry refused as in progress must
                # not abandon (delete) the claim of the request still running
            api_request = ApiRequest(
                spec=spec, principal=principal, body=body,
                query=dict(request.query_params or {}), headers=headers,
                correlation_id=correlation_id,
                raw_body=raw if isinstance(raw, bytes) else str(raw or "").encode(),
            )
            result = handler(api_request, **params)
            if isinstance(result, RawReply):
                if idem is not None:
                    idem.abandon()
                return Response(body=result.body, status_code=result.status, headers={
                    "X-Correlation-Id": correlation_id, "Content-Type": result.content_type,
                    **result.headers})
            reply = result if isinstance(result, Reply) else Reply(result)
            status = reply.status or spec.status
            payload = dump(reply.body)
            if spec.response is not None and principal.tenant_id:
                from crm_shared.audit import screen_response  # deferred: record routes only

                payload = screen_response(self.service, spec, principal, payload)
            if idem is not None:
                _remember(idem, status, payload, reply.headers, self.service)
            return _json(payload, status, reply.headers, correlation_id)
        except Problem as problem:
            if idem is not None:
                idem.abandon()
            return problem_response(problem, correlation_id)
        except Exception as exc:  # noqa: BLE001 - logged with its traceback, answered as a problem
            if idem is not None:
                idem.abandon()
            if transient(exc):  # nothing was committed: the client may retry as it is
                observability.logger(self.service).warning(
                    "AWS throttled or failed in %s: answered 503", spec.name, exc_info=True)
                return problem_response(Unavailable(
                    "a dependency is busy; retry the same request shortly",
                    headers={"Retry-After": "1"}), correlation_id)
            observability.logger(self.service).exception("unhandled error in %s", spec.name)
            return problem_response(InternalError("an unexpected error occurred"), correlation_id)

    def _authenticate(
        self, spec: RouteSpec, headers: dict[str, str], request: Request
    ) -> Principal:
        if spec.auth == AUTH_PUBLIC:
            return Principal(kind="public", tenant_id=None, subject="anonymous")
        if spec.auth == AUTH_OPERATOR:
            return _operator(headers, request)
        presented_key = headers.get("x-api-key")
        if presented_key is not None:
            return self._api_key_principal(spec, presented_key)
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send `Authorization: Bearer <ID token>` or `X-Api-Key`")
        claims = verify_id_token(token.strip())
        _refuse_offboarded(self.service, claims.tenant_id)
        return Principal(
            kind="user", tenant_id=claims.tenant_id, subject=claims.user_id,
            roles=claims.roles, team_ids=claims.team_ids, email=claims.email,
        )

    def _api_key_principal(self, spec: RouteSpec, plaintext: str) -> Principal:
        presented = api_keys.parse(plaintext)
        stored = find_api_key(self.service, presented.tenant_id, presented.key_id)
        if stored is None or stored.revoked:
            raise Unauthorized("the API key is not valid")
        api_keys.verify(presented, stored.secret_hash)
        _refuse_offboarded(self.service, stored.tenant_id)
        if not spec.api_keys:
            raise Forbidden("this route is for signed-in users, not API keys")
        return Principal(
            kind="api_key", tenant_id=stored.tenant_id, subject=stored.key_id,
            roles=frozenset({stored.role}), scopes=frozenset(stored.scopes or ()),
        )

    def _authorize(self, spec: RouteSpec, principal: Principal, method: str) -> None:
        if spec.auth != AUTH_USER:
            return
        if principal.kind == "api_key":
            api_keys.require_scope(principal.scopes, self.service, method)
        if not principal.roles & spec.roles:
            raise Forbidden(
                "your role may not do this; it needs one of: " + ", ".join(sorted(spec.roles)),
                code="role_forbidden",
            )


def _remember(idem: IdempotencyKey, status: int, payload: Any, headers: dict[str, str],
              service: str) -> None:
    """Store the response for replays. The work is committed by now, so a failure here must
    not turn the answer into an error (the client would retry and do it twice): the claim
    stays in progress and its lease runs out instead."""
    try:
        idem.complete(status, payload, headers)
    except Exception:  # noqa: BLE001 - logged; the committed result is still the answer
        observability.logger(service).warning("could not store an idempotent response",
                                              exc_info=True)


def _refuse_offboarded(service: str, tenant_id: str | None) -> None:
    """A token or API key of an offboarded tenant is refused (crm_shared.offboarding)."""
    from crm_shared.offboarding import refuse_offboarded  # deferred: consumer machinery

    refuse_offboarded(service, tenant_id)


def _operator(headers: dict[str, str], request: Request) -> Principal:
    """The SaaS operator: `X-Operator-Key` locally, an IAM-signed request in the cloud."""
    settings = get_settings()
    if settings.operator_key:
        import hmac

        presented = headers.get("x-operator-key", "")
        if not hmac.compare_digest(presented.encode(), settings.operator_key.encode()):
            raise Unauthorized("this route is for the operator: send X-Operator-Key")
        return Principal(kind="operator", tenant_id=None, subject="operator",
                         roles=frozenset({"operator"}))
    identity = (request.context or {}).get("identity") or {}
    arn = identity.get("userArn")
    if not arn:
        raise Unauthorized("this route is for the operator: sign the request with IAM")
    return Principal(kind="operator", tenant_id=None, subject=str(arn),
                     roles=frozenset({"operator"}))


def _json(body: Any, status: int, headers: dict[str, str], correlation_id: str) -> Response:
    out: Headers = {"X-Correlation-Id": correlation_id, **headers}
    if status == 204:
        return Response(body="", status_code=204, headers=out)
    out.setdefault("Content-Type", "application/json")
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status, headers=out)


_CHALICE_ERRORS: dict[int, type[Problem]] = {
    400: BadRequest, 403: NotFound, 404: NotFound, 405: MethodNotAllowed,
    415: UnsupportedMediaType,
}


def _middleware(service: str) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
        correlation_id = str(request.headers.get("x-correlation-id") or new_id("req"))
        if not re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", correlation_id):
            correlation_id = new_id("req")
        context.begin(correlation_id)
        observability.bind(service, tenant_id=None, correlation_id=correlation_id)
        started = time.perf_counter()
        response = get_response(request)
        response = _as_problem(response, correlation_id)
        elapsed_ms = (time.perf_counter() - started) * 1000
        observability.logger(service).info(
            "request", extra={"method": request.method, "path": request.path,
                              "status": response.status_code, "elapsed_ms": round(elapsed_ms, 1)},
        )
        principal = context.current().principal
        observability.record_request(
            service, route=f"{request.method} {request.context.get('resourcePath', '?')}",
            status=response.status_code, elapsed_ms=elapsed_ms,
            tenant_id=principal.tenant_id if principal else None, correlation_id=correlation_id,
        )
        return response

    return middleware


def _as_problem(response: Response, correlation_id: str) -> Response:
    """Chalice's own errors (405, 415, 500) leave in the same problem+json shape as ours."""
    content_type = str({k.lower(): v for k, v in (response.headers or {}).items()}.get(
        "content-type", ""
    ))
    if response.status_code < 400 or content_type.startswith(PROBLEM_JSON):
        return response
    message = "request failed"
    try:
        body = response.body
        parsed = json.loads(body) if isinstance(body, str | bytes) else body
        if isinstance(parsed, dict):
            message = parsed.get("Message") or parsed.get("message") or message
    except ValueError:
        pass
    cls = _CHALICE_ERRORS.get(response.status_code, InternalError)
    problem = cls(message)
    if response.status_code == 405:
        problem.headers = {"Allow": (response.headers or {}).get("Allow", "")}
    return problem_response(problem, correlation_id)


MANIFEST = "routes.json"  # in the service's chalicelib: its lazy features' route table
Feature = ServiceApi | str


class ServiceApp(Chalice):
    """A service's Chalice app whose features may load on their first request.

    A feature given as a module path ("chalicelib.companies.api") is registered from the
    route manifest `chalicelib/routes.json`, so importing app.py (the Lambda cold start)
    costs the route table, not every feature's schemas, rules and models; the first request
    to one of its routes imports that feature only. `python -m infra.edge` writes the
    manifest from the features themselves and tests/infra/test_edge.py keeps it current.
    """

    def __init__(self, service: str) -> None:
        super().__init__(app_name=f"crm-{service}", configure_logs=False)
        self.crm_service = service
        self.crm_features: list[Feature] = []
        self.crm_consumer_ref: Any = None
        self.crm_openapi: dict[str, Any] | None = None

    @property
    def crm_routes(self) -> list[RouteSpec]:
        """Every route's spec, importing every feature (the gateway, docs and tests)."""
        return [spec for feature in self.crm_features for spec in feature_api(feature).routes]

    @property
    def crm_consumer(self) -> Any:
        """The service's event consumer (a module path is imported on first use)."""
        ref = self.crm_consumer_ref
        if isinstance(ref, str):
            module, _, name = ref.partition(":")
            ref = self.crm_consumer_ref = getattr(importlib.import_module(module),
                                                  name or "consumer")
        return ref


def feature_api(feature: Feature) -> ServiceApi:
    """The ServiceApi of a feature; a module path is imported (once) for its `api`."""
    if isinstance(feature, ServiceApi):
        return feature
    api = getattr(importlib.import_module(feature), "api", None)
    if not isinstance(api, ServiceApi):
        raise RuntimeError(f"{feature} defines no ServiceApi named `api`")
    return api


def manifest_entries(app: ServiceApp) -> list[dict[str, str]]:
    """The manifest of the app's lazy features, from their real routes, in app order."""
    return [{"module": feature, "path": spec.path, "method": spec.method, "name": spec.name,
             "auth": spec.auth}
            for feature in app.crm_features if isinstance(feature, str)
            for spec in feature_api(feature).routes]


def _read_manifest() -> list[dict[str, str]]:
    try:
        text = resources.files("chalicelib").joinpath(MANIFEST).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return []
    entries: list[dict[str, str]] = json.loads(text)
    return entries


def _lazy_view(app: ServiceApp, entry: dict[str, str]) -> Callable[..., Response]:
    path, method = entry["path"], entry["method"]

    def view(**params: str) -> Response:
        api = feature_api(entry["module"])
        handler = api.handlers.get((path, method))
        if handler is None:  # the manifest is stale: the feature no longer has this route
            return problem_response(NotFound(f"no route {method} {path}", code="no_route"),
                                    None)
        spec = next(s for s in api.routes if (s.path, s.method) == (path, method))
        request = app.current_request
        assert request is not None, "Chalice sets current_request before calling a view"
        return api._dispatch(spec, handler, request, params)

    view.__name__ = f"{entry['name']}_{method.lower()}"
    return view


class ApiDocument(BaseModel):
    """An OpenAPI 3.1 document (crm_shared.openapi builds it from the route specs)."""

    model_config = {"extra": "allow", "defer_build": True}

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


def _docs_api(service: str, app: ServiceApp) -> ServiceApi:
    """`GET /<service>/openapi.json`: the service's contract, built on first request."""
    docs = ServiceApi(service, "docs")

    @docs.route(f"/{service}/openapi.json", "GET", auth=AUTH_PUBLIC, response=ApiDocument,
                name="openapi_document")
    def openapi_document(req: ApiRequest) -> dict[str, Any]:
        """The service's OpenAPI 3.1 document."""
        cached = getattr(app, "crm_openapi", None)
        if cached is None:
            from crm_shared.openapi import document  # deferred: imports every feature

            cached = app.crm_openapi = document(service, app.crm_routes)
        return dict(cached)

    return docs


def create_app(service: str, *features: Feature) -> ServiceApp:
    """A service's Chalice app with the shared middleware and its routes registered.

    A large service declares its routes in several features (one `ServiceApi` each). Give
    a feature as its module path to load it on its first request (see `ServiceApp`); a
    lazy feature missing from the manifest is imported at once, so it is never unserved.
    """
    app = ServiceApp(service)
    app.register_middleware(_middleware(service), "http")
    features = (_docs_api(service, app), *features)
    app.crm_features = list(features)
    manifest = _read_manifest()
    listed = {entry["module"] for entry in manifest}
    for feature in features:
        if isinstance(feature, str) and feature in listed:
            for entry in (e for e in manifest if e["module"] == feature):
                authorizer = IAMAuthorizer() if entry["auth"] == AUTH_OPERATOR else None
                app.route(entry["path"], methods=[entry["method"]], cors=CORS,
                          content_types=JSON_TYPES, authorizer=authorizer)(
                    _lazy_view(app, entry))
        else:
            app.register_blueprint(feature_api(feature).blueprint)
    return app


def handle_local(
    app: Chalice, gateway: Any, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """Serve one request through Chalice's LocalGateway the way API Gateway would answer.

    Used by the local runtime and the tests, so both see unknown routes and bodies over
    the limit as the cloud edge's gateway responses do: problem+json, never a bare 403.
    """
    from chalice.local import LocalGatewayException

    correlation_id = headers.get("x-correlation-id") or headers.get("X-Correlation-Id") or ""
    refusal: Problem | None = _too_large() if len(body) > MAX_BODY_BYTES else None
    if refusal is None:
        try:
            result = gateway.handle_request(method=method, path=path, headers=headers, body=body)
        except LocalGatewayException:
            refusal = NotFound(f"no route {method} {path}", code="no_route")
    if refusal is not None:
        response = problem_response(refusal, correlation_id or None)
        return response.status_code, {k: str(v) for k, v in response.headers.items()}, \
            str(response.body).encode()
    out_headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        out_headers[name] = ", ".join(map(str, values))
    raw = result.get("body") or b""
    if result.get("isBase64Encoded"):
        import base64

        raw = base64.b64decode(raw)
    payload = raw.encode() if isinstance(raw, str) else raw
    return int(result["statusCode"]), out_headers, payload
