"""`Idempotency-Key` for POSTs: a retried request returns the first response, once.

The first request claims the key with a conditional put; a retry with the same body gets
the stored response, one with another body a 422, one racing the first a 409.

A stored response may hold a person's data for its 24 hours. So that GDPR erasure can reach
it without a scan, completing a key also writes one link item per record id the response
names (`T#<t>#IDEMPOTENCY_SUBJECT#<id>` / the key's PK), in the same transaction; `forget`
Queries a subject's links and replaces each stored response with a 410 problem (the key
stays claimed, so a replay neither returns the data nor runs the request again).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from crm_shared import clock
from crm_shared.dynamo import BaseItem, table_meta, tenant_key
from crm_shared.errors import BadRequest, Conflict, ValidationFailed

KEY_TTL = timedelta(hours=24)
#: How long an unfinished claim holds its key: past the Lambda timeout (30 s), so a request
#: that crashed (or whose release failed) frees its key for the client's retry.
CLAIM_LEASE = timedelta(minutes=2)
MAX_KEY_LENGTH = 255


class IdempotencyItem(BaseItem):
    request_hash = UnicodeAttribute()
    state = UnicodeAttribute()  # in_progress | completed
    status = NumberAttribute(null=True)
    body = UnicodeAttribute(null=True)
    headers = UnicodeAttribute(null=True)


class IdempotencySubjectItem(BaseItem):
    """Links a record id to a stored response that names it (see the module docstring)."""

    key_pk = UnicodeAttribute()


MAX_SUBJECTS = 25  # links per stored response: one transaction with the response itself
_ID = re.compile(r"^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$")
ERASED_BODY = {
    "type": "about:blank", "title": "Gone", "status": 410, "code": "erased",
    "detail": "the response to this Idempotency-Key named personal data that was erased",
}


@cache
def _model(service: str) -> type[IdempotencyItem]:
    return type(
        f"{service.title()}IdempotencyItem", (IdempotencyItem,), {"Meta": table_meta(service)}
    )


@cache
def _subject_model(service: str) -> type[IdempotencySubjectItem]:
    return type(f"{service.title()}IdempotencySubjectItem", (IdempotencySubjectItem,),
                {"Meta": table_meta(service)})


def subjects_of(body: Any) -> list[str]:
    """The record ids a response names: every id-shaped value under a key ending in `_id`
    or `_ids`, at any depth (the first MAX_SUBJECTS)."""
    found: dict[str, None] = {}

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                walk(inner, str(name))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, key)
        elif isinstance(value, str) and key.endswith(("_id", "_ids")) and _ID.match(value):
            found.setdefault(value)

    walk(body)
    return list(found)[:MAX_SUBJECTS]


def _subject_pk(tenant_id: str, subject_id: str) -> str:
    return tenant_key(tenant_id, "IDEMPOTENCY_SUBJECT", subject_id)


def forget(service: str, tenant_id: str, subject_id: str) -> int:
    """Blank every stored response that names `subject_id` (GDPR erasure): one Query of its
    links, then per response an UpdateItem (only if it still exists) and the link's delete.
    Returns how many responses were blanked."""
    model, links = _model(service), _subject_model(service)
    blanked = 0
    for link in links.query(_subject_pk(tenant_id, subject_id), consistent_read=True,
                            page_size=100):
        stored = model(PK=link.key_pk, SK="IDEMPOTENCY", request_hash="", state="")
        try:
            stored.update(actions=[
                model.state.set("completed"), model.status.set(410),
                model.body.set(json.dumps(ERASED_BODY, separators=(",", ":"))),
                model.headers.set(json.dumps({"Content-Type": "application/problem+json"})),
            ], condition=model.PK.exists())
            blanked += 1
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        link.delete()
    return blanked


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
        self.service, self.tenant_id = service, tenant_id
        self.pk = tenant_key(tenant_id, "IDEMPOTENCY", caller, key)

    def begin(self, fingerprint: str) -> StoredResponse | None:
        now = clock.now()
        item = self.model(
            PK=self.pk, SK="IDEMPOTENCY", request_hash=fingerprint, state="in_progress",
            expires_at=now + CLAIM_LEASE,
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
        """Store the response, linked to the record ids it names in the same transaction."""
        from crm_shared.unit_of_work import UnitOfWork  # deferred: http imports this module

        stored = self.model(PK=self.pk, SK="IDEMPOTENCY", request_hash="", state="completed")
        actions = [
            self.model.expires_at.set(clock.now() + KEY_TTL),
            self.model.state.set("completed"),
            self.model.status.set(status),
            self.model.body.set(json.dumps(body, separators=(",", ":"))),
            self.model.headers.set(json.dumps(headers)),
        ]
        subjects = subjects_of(body)
        if not subjects:
            stored.update(actions=actions)
            return
        links = _subject_model(self.service)
        expires = clock.now() + KEY_TTL
        with UnitOfWork(self.service) as uow:
            uow.update(stored, actions)
            for subject in subjects:
                uow.put(links(PK=_subject_pk(self.tenant_id, subject), SK=self.pk,
                              key_pk=self.pk, expires_at=expires))

    def abandon(self) -> None:
        """The request failed: free the key so the client can retry it. Best effort: if
        the delete fails too (a throttle), the claim's short lease frees the key."""
        try:
            self.model(PK=self.pk, SK="IDEMPOTENCY", request_hash="", state="").delete(
                condition=self.model.state == "in_progress")
        except Exception:  # noqa: BLE001 - the lease is the fallback; the answer stands
            from crm_shared import observability

            observability.logger(self.service).warning(
                "could not release an Idempotency-Key; its lease will", exc_info=True)
