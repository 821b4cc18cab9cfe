"""One DynamoDB transaction per business write, with its events in the same commit.

A repository adds the item writes; the domain's events become outbox items in the same
`TransactWriteItems`, so an acknowledged write can never lose its event.
"""

from __future__ import annotations

import json
from functools import lru_cache
from types import TracebackType
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from crm_shared.dynamo import BaseItem, tenant_index_actions
from crm_shared.errors import Conflict, PreconditionFailed
from crm_shared.events.envelope import Event, envelope_for
from crm_shared.events.outbox import outbox_item_class
from crm_shared.settings import get_settings

MAX_ITEMS = 100


@lru_cache(maxsize=1)
def _connection() -> Connection:
    settings = get_settings()
    return Connection(region=settings.region, host=settings.aws_endpoint_url)


class TransactionConflict(Conflict):
    """A condition in the transaction failed; `reasons` names which labelled write."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__("a conflicting write exists: " + ", ".join(labels), code="conflict")
        self.labels = labels


class UnitOfWork:
    """Collects writes and events, then commits them in one transaction on `commit()`.

    Each write carries a label; when a condition fails the error says which label, so the
    caller can turn "email claim taken" into a 409 naming `email` and nothing is half-written.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self._ops: dict[str, list[tuple[str, Any]]] = {
            "check": [], "delete": [], "put": [], "update": []
        }
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()

    def put(self, item: Model, condition: Condition | None = None, label: str = "item") -> None:
        self._ops["put"].append((label, (item, condition)))

    def update(
        self, item: Model, actions: list[Action], condition: Condition | None = None,
        label: str = "item",
    ) -> None:
        if isinstance(item, BaseItem):  # an update may create the item: index it (TENANT)
            actions = [*actions, *tenant_index_actions(item, actions)]
        self._ops["update"].append((label, (item, actions, condition)))

    def delete(self, item: Model, condition: Condition | None = None, label: str = "item") -> None:
        self._ops["delete"].append((label, (item, condition)))

    def check(
        self, model: type[Model], hash_key: str, range_key: str, condition: Condition,
        label: str = "check",
    ) -> None:
        self._ops["check"].append((label, (model, hash_key, range_key, condition)))

    def emit(self, event: Event, tenant_id: str, actor: str | None = None) -> dict[str, Any]:
        """Record `event` in the outbox, committed with the writes; returns its envelope."""
        envelope = envelope_for(event, tenant_id, actor)
        outbox = outbox_item_class(self.service)
        item = outbox(
            PK=f"T#{tenant_id}#OUTBOX#{envelope.metadata.event_id}",
            SK="OUTBOX",
            source=type(event).source,
            detail_type=type(event).detail_type(),
            detail=json.dumps(envelope.model_dump(mode="json"), separators=(",", ":")),
        )
        self.put(item, label="outbox")
        detail = envelope.model_dump(mode="json")
        self.events.append(detail)
        return detail

    @property
    def size(self) -> int:
        return sum(len(ops) for ops in self._ops.values())

    def commit(self) -> None:
        if self.size == 0:
            return
        if self.size > MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items, not {self.size}")
        labels: list[str] = []
        try:
            with TransactWrite(connection=_connection()) as tx:
                for label, (model, hash_key, range_key, condition) in self._ops["check"]:
                    tx.condition_check(model, hash_key, range_key, condition=condition)
                    labels.append(label)
                for label, (item, condition) in self._ops["delete"]:
                    tx.delete(item, condition=condition)
                    labels.append(label)
                for label, (item, condition) in self._ops["put"]:
                    tx.save(item, condition=condition)
                    labels.append(label)
                for label, (item, actions, condition) in self._ops["update"]:
                    tx.update(item, actions, condition=condition)
                    labels.append(label)
        except TransactWriteError as exc:
            failed = _failed_labels(exc, labels)
            if failed:
                if any(label.startswith("version") for label in failed):
                    raise PreconditionFailed(
                        "the resource changed since it was read; fetch it and retry",
                        code="version_mismatch",
                    ) from exc
                raise TransactionConflict(failed) from exc
            raise


def _failed_labels(exc: TransactWriteError, labels: list[str]) -> list[str]:
    reasons = exc.cancellation_reasons or []
    return [
        labels[i]
        for i, reason in enumerate(reasons)
        if reason is not None and reason.code == "ConditionalCheckFailed" and i < len(labels)
    ]
