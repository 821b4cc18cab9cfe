"""Cognito ID token verification against the pool's JWKS, the same locally and in the cloud.

Chalice's local Cognito authorizer does not check signatures, so every service verifies here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from crm_shared.errors import Unauthorized, Unavailable
from crm_shared.settings import get_settings

MIN_REFRESH_INTERVAL = 30.0
LEEWAY_SECONDS = 5


@dataclass(frozen=True)
class IdentityClaims:
    subject: str
    tenant_id: str
    user_id: str
    email: str | None
    roles: frozenset[str]
    team_ids: frozenset[str]


class JwksCache:
    """Signing keys by `kid`, fetched once and refreshed only when an unknown `kid` shows up."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str) -> Any:
        found = self._keys.get(kid)
        if found is not None:
            return found
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= (
                MIN_REFRESH_INTERVAL if self._keys else 0
            ):
                self._refresh()
        found = self._keys.get(kid)
        if found is None:
            raise Unauthorized("the token was signed by an unknown key")
        return found

    def _refresh(self) -> None:
        import jwt
        import requests  # deferred: only a cold container pays for it, once

        try:
            response = requests.get(self.url, timeout=5)
            response.raise_for_status()
            jwk_set = jwt.PyJWKSet.from_dict(response.json())
        except (requests.RequestException, ValueError, jwt.PyJWKError) as exc:
            raise Unavailable(f"the identity provider's keys are unavailable: {exc}") from exc
        self._keys = {k.key_id: k.key for k in jwk_set.keys if k.key_id}
        self._fetched_at = time.monotonic()
        self.fetches += 1


_caches: dict[str, JwksCache] = {}


def jwks_cache() -> JwksCache:
    url = get_settings().jwks_url
    cache = _caches.get(url)
    if cache is None:
        cache = _caches[url] = JwksCache(url)
    return cache


def verify_id_token(token: str) -> IdentityClaims:
    """Claims of a valid Cognito ID token of this pool; 401 for anything else.

    Only RS256 is accepted (so `alg=none` and HS256-with-the-public-key tricks fail), and
    issuer, audience, expiry and `token_use` are all checked.
    """
    import jwt  # deferred: event handlers never verify tokens, so they skip its import

    settings = get_settings()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("the bearer token is not a JWT") from None
    if header.get("alg") != "RS256":
        raise Unauthorized("the token's algorithm is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Unauthorized("the token names no signing key")
    key = jwks_cache().key(kid)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            audience=settings.user_pool_client_id,
            issuer=settings.cognito_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired", code="token_expired") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the token is not valid: {exc}") from None
    if claims.get("token_use") != "id":
        raise Unauthorized("send the ID token, not the access token")
    tenant_id = claims.get("custom:tenant_id")
    user_id = claims.get("custom:user_id")
    if not tenant_id or not user_id:
        raise Unauthorized("the token belongs to no tenant user")
    teams = claims.get("custom:team_ids") or ""
    return IdentityClaims(
        subject=str(claims["sub"]),
        tenant_id=str(tenant_id),
        user_id=str(user_id),
        email=claims.get("email"),
        roles=frozenset(claims.get("cognito:groups") or ()),
        team_ids=frozenset(t for t in str(teams).split(",") if t),
    )
