"""Signed tracking tokens: which send record, which link, for which tenant.

Signed and encoded like list cursors (crm_shared.pagination, HMAC with the stage's signing
secret), each kind under its own scope, so an open token cannot be replayed as a click or
an unsubscribe, and no field (tenant, record, link index) can be altered unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_shared.errors import BadRequest
from crm_shared.pagination import decode_cursor, encode_cursor

KINDS = ("o", "c", "u")  # open, click, unsubscribe


@dataclass(frozen=True)
class Ref:
    tenant_id: str
    send_pk: str  # the send record's key after its tenant prefix
    send_sk: str
    link: int | None = None


def make(kind: str, ref: Ref) -> str:
    position = {"t": ref.tenant_id, "p": ref.send_pk, "s": ref.send_sk}
    if ref.link is not None:
        position["i"] = ref.link  # type: ignore[assignment]
    token = encode_cursor(position, f"track:{kind}")
    assert token is not None
    return token


def read(kind: str, token: str) -> Ref | None:
    """The reference a genuine token of this kind holds; None for anything else."""
    if kind not in KINDS or not token or len(token) > 1000:
        return None
    try:
        position = decode_cursor(token, f"track:{kind}")
    except BadRequest:
        return None
    if not position:
        return None
    try:
        link = position.get("i")
        return Ref(str(position["t"]), str(position["p"]), str(position["s"]),
                   int(link) if link is not None else None)
    except (KeyError, TypeError, ValueError):
        return None
