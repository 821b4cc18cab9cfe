"""Sign and verify CRM webhook deliveries (the receiver's half ships here too).

Every delivery carries:

    X-CRM-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]
    X-CRM-Key-Id:    <key id>[,<key id>]
    X-CRM-Event-Id:  evt_...   (the same on every retry and replay: deduplicate on it)

where each `v1` is HMAC-SHA256(secret, f"{t}.{raw body}") in hex, one per live secret (two
for 24 hours after `POST /webhooks/{id}/rotate-secret`, newest first, in the order of
X-CRM-Key-Id). A receiver checks the raw body bytes, before parsing:

    from crm_shared.webhook_signature import verify
    if not verify(request.headers["X-CRM-Signature"], raw_body, [my_secret]):
        return 401

`verify` refuses signatures older (or further in the future) than 5 minutes, so a captured
request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

TOLERANCE_SECONDS = 300


def digest(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Iterable[str], body: bytes, timestamp: int) -> str:
    """`t=<timestamp>,v1=<hex>` with one `v1` per secret, in the order given."""
    parts = [f"t={timestamp}"] + [f"v1={digest(s, timestamp, body)}" for s in secrets]
    return ",".join(parts)


def parse(header: str) -> tuple[int | None, list[str]]:
    """The timestamp and the v1 signatures of a header (None when `t` is absent or bad)."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def verify(header: str, body: bytes, secrets: Iterable[str],
           tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """True when one `v1` of `header` is the signature of `body` under one of `secrets`
    and its timestamp is within `tolerance` seconds of `now` (default: the wall clock)."""
    timestamp, signatures = parse(header)
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = [digest(secret, timestamp, body) for secret in secrets]
    return any(hmac.compare_digest(sig, exp) for sig in signatures for exp in expected)
