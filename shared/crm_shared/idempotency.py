"""`Idempotency-Key` for POSTs: a retried request returns the first response, once.

The first request claims the key with a conditional put; a retry with the same body gets
the stored response, one with another body a 422, one racing the first a 409.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from crm_shared import clock
from crm_shared.dynamo import BaseItem, table_meta, tenant_key
from crm_shared.errors import BadRequest, Conflict, ValidationFailed

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyItem(BaseItem):
    request_hash = UnicodeAttribute()
    state = UnicodeAttribute()  # in_progress | completed
    status = NumberAttribute(null=True)
    body = UnicodeAttribute(null=True)
    headers = UnicodeAttribute(null=True)


@cache
def _model(service: str) -> type[IdempotencyItem]:
    return type(
        f"{service.title()}IdempotencyItem", (IdempotencyItem,), {"Meta": table_meta(service)}
    )


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any
    headers: dict[str, str]


def request_hash(method: str, path: str, body: bytes | None) -> str:
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(body or b"")
    return digest.hexdigest()


class IdempotencyKey:
    """One claimed key. `begin` returns a stored response when this is a replay."""

    def __init__(self, service: str, tenant_id: str, caller: str, key: str) -> None:
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise BadRequest.for_field("Idempotency-Key", "must be 1-255 printable characters")
        self.model = _model(service)
        self.pk = tenant_key(tenant_id, "IDEMPOTENCY", caller, key)

    def begin(self, fingerprint: str) -> StoredResponse | None:
        now = clock.now()
        item = self.model(
            PK=self.pk, SK="IDEMPOTENCY", request_hash=fingerprint, state="in_progress",
            expires_at=now + KEY_TTL,
        )
        try:
            item.save(
                condition=self.model.PK.does_not_exist() | (self.model.expires_at < now)
            )
            return None
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        existing = self.model.get(self.pk, "IDEMPOTENCY", consistent_read=True)
        if existing.request_hash != fingerprint:
            raise ValidationFailed.for_field(
                "Idempotency-Key", "was already used for a different request",
                code="idempotency_key_reused",
            )
        if existing.state != "completed":
            raise Conflict(
                "a request with this Idempotency-Key is still in progress; retry shortly",
                code="idempotency_in_progress", headers={"Retry-After": "1"},
            )
        return StoredResponse(
            status=int(existing.status or 200),
            body=json.loads(existing.body) if existing.body else None,
            headers=json.loads(existing.headers or "{}"),
        )

    def complete(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self.model(
            PK=self.pk, SK="IDEMPOTENCY", request_hash="", state="completed",
        ).update(actions=[
            self.model.state.set("completed"),
            self.model.status.set(status),
            self.model.body.set(json.dumps(body, separators=(",", ":"))),
            self.model.headers.set(json.dumps(headers)),
        ])

    def abandon(self) -> None:
        """The request failed: free the key so the client can retry it."""
        self.model(PK=self.pk, SK="IDEMPOTENCY", request_hash="", state="").delete()
