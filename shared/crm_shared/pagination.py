"""Opaque, tamper-evident list cursors: the DynamoDB position, signed and bound to its list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from crm_shared.errors import BadRequest
from crm_shared.settings import get_settings

MAX_LIMIT = 100
DEFAULT_LIMIT = 25


def _sign(payload: bytes, scope: str) -> bytes:
    key = get_settings().signing_secret.encode()
    return hmac.new(key, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]


def encode_cursor(position: dict[str, Any] | None, scope: str) -> str | None:
    """Wrap a LastEvaluatedKey. `scope` (tenant + list) makes a cursor useless elsewhere."""
    if not position:
        return None
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    token = _sign(payload, scope) + payload
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: str) -> dict[str, Any] | None:
    """The position a cursor holds; a 400 naming `cursor` if it was forged or altered."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        signature, payload = raw[:16], raw[16:]
        if not hmac.compare_digest(signature, _sign(payload, scope)):
            raise ValueError("bad signature")
        position = json.loads(payload)
        if not isinstance(position, dict):
            raise ValueError("not an object")
        return position
    except (ValueError, TypeError):
        raise BadRequest.for_field("cursor", "is not a cursor this list issued") from None


def parse_limit(raw: str | None) -> int:
    """`?limit=` as an int in 1..100; a 400 naming `limit` otherwise."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest.for_field("limit", "must be an integer") from None
    if not 1 <= value <= MAX_LIMIT:
        raise BadRequest.for_field("limit", f"must be between 1 and {MAX_LIMIT}")
    return value


def query_page(query: Any, scope: str, cursor: str | None,
               limit: int) -> tuple[list[Any], str | None]:
    """One page of a PynamoDB query: `limit` items read, and a signed cursor to the next.

    `query(**kwargs)` runs the repository's Query with the paging arguments added; the cursor
    is bound to `scope` (tenant and list), so it cannot page another list.
    """
    result = query(limit=limit, page_size=limit, last_evaluated_key=decode_cursor(cursor, scope))
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key, scope)


def change_page(index: Any, partition: str, sort_attr: Any, scope: str, since: str | None,
                limit: int, position_of: Any) -> tuple[list[Any], str | None, bool]:
    """Delta sync: records after the `since` position on an index sorted by change time.

    Returns the records (oldest first, tombstones included), the next `since` and whether
    more are waiting. `position_of(record)` is the record's sort key on the index.
    """
    position = decode_cursor(since, scope)
    after = position.get("after") if position else None
    condition = sort_attr > after if after else None
    result = index.query(partition, condition, limit=limit, page_size=limit,
                         scan_index_forward=True)
    items = list(result)
    last = position_of(items[-1]) if items else after
    token = encode_cursor({"after": last}, scope) if last else since
    return items, token, result.last_evaluated_key is not None
