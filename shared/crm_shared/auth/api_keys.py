"""Tenant API keys for integrations: shown once, stored as a hash, scoped per service.

A key reads `crmk.<tenant_id>.<key_id>.<secret>`: the tenant and key id let a service find
the stored hash with one GetItem; only the SHA-256 of the secret is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from crm_shared.errors import Forbidden, Unauthorized
from crm_shared.ids import new_id

PREFIX = "crmk"
_KEY = re.compile(r"^crmk\.(ten_[0-9A-Z]{26})\.(key_[0-9A-Z]{26})\.([A-Za-z0-9_-]{43})$")
SCOPE = re.compile(r"^(\*|[a-z]+):(read|write)$")


@dataclass(frozen=True)
class NewKey:
    key_id: str
    plaintext: str
    secret_hash: str


@dataclass(frozen=True)
class PresentedKey:
    tenant_id: str
    key_id: str
    secret: str


def generate(tenant_id: str) -> NewKey:
    key_id = new_id("key")
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id, f"{PREFIX}.{tenant_id}.{key_id}.{secret}", hash_secret(secret))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(plaintext: str) -> PresentedKey:
    match = _KEY.match(plaintext.strip())
    if not match:
        raise Unauthorized("the API key is malformed")
    return PresentedKey(*match.groups())


def verify(presented: PresentedKey, stored_hash: str) -> None:
    if not hmac.compare_digest(hash_secret(presented.secret), stored_hash):
        raise Unauthorized("the API key is not valid")


def require_scope(scopes: frozenset[str], service: str, method: str) -> None:
    """GET/HEAD need `<service>:read`; every other method `<service>:write` (or `*:`)."""
    action = "read" if method in {"GET", "HEAD"} else "write"
    wanted = {f"{service}:{action}", f"*:{action}"}
    if action == "read":
        wanted |= {f"{service}:write", "*:write"}
    if not scopes & wanted:
        raise Forbidden(f"the API key lacks the scope {service}:{action}", code="missing_scope")
