"""Signed survey links: tenant, survey, expiry and (one-click links) the score.

Signed like list cursors (crm_shared.pagination: HMAC with the stage's signing secret)
under their own scope, so no other token of the CRM passes as one, and no field can be
changed unnoticed. A token is good once: the response claims its survey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_shared import clock
from crm_shared.errors import BadRequest
from crm_shared.pagination import decode_cursor, encode_cursor

SCOPE = "survey"


@dataclass(frozen=True)
class Claims:
    tenant_id: str
    survey_id: str
    expires_at: int  # epoch seconds
    score: int | None = None


def make(claims: Claims) -> str:
    position: dict[str, object] = {"t": claims.tenant_id, "s": claims.survey_id,
                                   "x": claims.expires_at}
    if claims.score is not None:
        position["v"] = claims.score
    token = encode_cursor(position, SCOPE)
    assert token is not None
    return token


def read(token: str, now: datetime | None = None) -> Claims:
    """The claims of a genuine, unexpired token; a 400 naming `token` otherwise."""
    if not token or len(token) > 1000:
        raise BadRequest.for_field("token", "is not a survey link this CRM sent")
    try:
        position = decode_cursor(token, SCOPE) or {}
        score = position.get("v")
        claims = Claims(str(position["t"]), str(position["s"]), int(position["x"]),
                        int(score) if score is not None else None)
    except (BadRequest, KeyError, TypeError, ValueError):
        raise BadRequest.for_field("token", "is not a survey link this CRM sent") from None
    if claims.expires_at < (now or clock.now()).timestamp():
        raise BadRequest.for_field("token", "has expired", code="token_expired")
    return claims
