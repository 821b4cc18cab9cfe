"""A test client that speaks HTTP to one service the way the gateway does, and tenant helpers."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from chalice.config import Config
from chalice.local import LocalGateway

from crm_shared.http import handle_local
from tests.support.services import load_app

OPERATOR = {"X-Operator-Key": "test-operator-key"}
NEW_PASSWORD = "Correct-Horse-9-Battery!"
_seq = itertools.count(1)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    def header(self, name: str) -> str | None:
        lower = {k.lower(): v for k, v in self.headers.items()}
        return lower.get(name.lower())


class ApiClient:
    """Calls one service's routes through Chalice's LocalGateway, as the local runtime does."""

    def __init__(self, service: str, module: ModuleType, resources: dict[str, Any]) -> None:
        self.service = service
        self.module = module
        self.resources = resources
        self.gateway = LocalGateway(module.app, Config())

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None,
                headers: dict[str, str] | None = None, raw: bytes | None = None) -> Reply:
        load_app(self.service)  # this service's modules in sys.modules, as in its own Lambda
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        status, out_headers, out = handle_local(self.module.app, self.gateway, method, path,
                                                sent, payload)
        return Reply(status, out_headers, out)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)


@dataclass
class Tenant:
    tenant_id: str
    admin_email: str
    admin_user_id: str
    admin_token: str
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


class Tenants:
    """Provision tenants and sign users in through Cognito, as a real client would."""

    def __init__(self, platform: ApiClient, cognito: Any, resources: dict[str, Any]) -> None:
        self.platform = platform
        self.cognito = cognito
        self.client_id = resources["user_pool_client_id"]

    def login(self, email: str, password: str) -> str:
        """USER_PASSWORD_AUTH, answering NEW_PASSWORD_REQUIRED; returns the ID token."""
        result = self.cognito.initiate_auth(
            ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            result = self.cognito.respond_to_auth_challenge(
                ClientId=self.client_id, ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=result["Session"],
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": NEW_PASSWORD},
            )
        return str(result["AuthenticationResult"]["IdToken"])

    def create(self, name: str = "Acme") -> Tenant:
        ref = unique("ref-")
        email = f"{ref}@example.com"
        reply = self.platform.post("/tenants", {
            "name": name, "plan": "starter", "admin_email": email, "external_ref": ref,
        }, headers=OPERATOR)
        assert reply.status == 201, reply.json
        body = reply.json
        token = self.login(email, body["admin"]["temporary_password"])
        return Tenant(body["tenant"]["tenant_id"], email, body["admin"]["user_id"], token)

    def user(self, tenant: Tenant, role: str) -> str:
        """An ID token of a new user of `tenant` with `role` (cached per role)."""
        if role == "admin":
            return tenant.admin_token
        if role not in tenant.tokens:
            email = f"{unique(role + '-')}@example.com"
            reply = self.platform.post("/users", {"email": email, "roles": [role]},
                                       token=tenant.admin_token)
            assert reply.status == 201, reply.json
            tenant.user_ids[role] = reply.json["user_id"]
            tenant.tokens[role] = self.login(email, reply.json["temporary_password"])
        return tenant.tokens[role]
