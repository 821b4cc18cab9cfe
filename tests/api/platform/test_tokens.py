"""Bearer tokens: only a valid Cognito ID token of this pool gets through, on every service.

Forged tokens are signed with moto's own Cognito key (the key the JWKS publishes), so the
only thing wrong with each one is the claim under test.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from pathlib import Path
from typing import Any

import jwt
import moto
import pytest

from crm_shared.auth import tokens
from tests.support.client import ApiClient, Tenants

MOTO_KEY = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"


@pytest.fixture(scope="module")
def signing_key() -> Any:
    jwk = json.loads(gzip.decompress(MOTO_KEY.read_bytes()))
    return jwt.PyJWK.from_dict(jwk).key


def forge(real: str, key: Any, *, headers: dict[str, Any] | None = None, **changes: Any) -> str:
    claims = jwt.decode(real, options={"verify_signature": False})
    claims.update(changes)
    for name, value in list(claims.items()):
        if value is None:
            del claims[name]
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy", **(headers or {})})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_valid_token_passes_and_jwks_is_fetched_once(platform: ApiClient, tenants: Tenants,
                                                      signing_key: Any) -> None:
    tenant = tenants.create()
    assert platform.get("/me", token=tenant.admin_token).status == 200
    fetches = tokens.jwks_cache().fetches
    assert platform.get("/me", token=tenant.admin_token).status == 200
    assert tokens.jwks_cache().fetches == fetches
    # a token re-signed with the same key and untouched claims passes: the forger is sound
    assert platform.get("/me", token=forge(tenant.admin_token, signing_key)).status == 200


@pytest.mark.parametrize("change", [
    {"exp": int(time.time()) - 60},
    {"aud": "some-other-client"},
    {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},
    {"token_use": "access"},
    {"custom:tenant_id": None},
    {"exp": None},
])
def test_bad_claims_are_401(platform: ApiClient, tenants: Tenants, signing_key: Any,
                            change: dict[str, Any]) -> None:
    tenant = tenants.create()
    reply = platform.get("/me", token=forge(tenant.admin_token, signing_key, **change))
    assert reply.status == 401, reply.json
    assert reply.header("Content-Type") == "application/problem+json"


def test_tampered_none_and_hmac_tokens_are_401(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    header, payload, signature = tenant.admin_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["custom:tenant_id"] = "ten_01JD0000000000000000000000"
    tampered = ".".join([header, b64(claims), signature])
    alg_none = ".".join([b64({"alg": "none", "typ": "JWT"}), b64(claims), ""])
    hmac_token = jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": "dummy"})
    unknown_kid = jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": "zzz"})
    for token in (tampered, alg_none, hmac_token, unknown_kid, "not-a-jwt", "a.b.c"):
        assert platform.get("/me", token=token).status == 401, token
    assert platform.get("/me", headers={"Authorization": "Basic abc"}).status == 401
    assert platform.get("/me").status == 401


def test_unknown_kid_refreshes_the_key_set_once(tenants: Tenants, signing_key: Any) -> None:
    tenant = tenants.create()
    cache = tokens.jwks_cache()
    before = cache.fetches
    with pytest.raises(Exception, match="unknown key"):
        cache.key("rotated-key")
    assert cache.fetches in (before, before + 1)  # at most one refresh per interval
    with pytest.raises(Exception, match="unknown key"):
        cache.key("rotated-key")
    assert cache.fetches <= before + 1
    assert tenant.admin_token
