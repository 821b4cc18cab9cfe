"""moto patches the embedded AWS needs, in `make run` and in the tests alike.

One backup per table per transaction in moto, instead of one per item.

moto 5.2 deep-copies a table for EVERY item of a TransactWriteItems (its rollback backup),
so a 40-item transaction on a large table copies it 40 times, and the suite's time and
memory grow with its data. One copy per table, taken before the first write, restores
exactly the same state on a cancelled transaction: the semantics are moto's own.
"""

from __future__ import annotations

import copy
from typing import Any


class _CopyOnce:
    def __init__(self) -> None:
        self.copies: dict[int, Any] = {}

    def deepcopy(self, value: Any) -> Any:
        if id(value) not in self.copies:
            self.copies[id(value)] = copy.deepcopy(value)
        return self.copies[id(value)]


def copy_tables_once_per_transaction() -> None:
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "crm_patched", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        models.copy = _CopyOnce()  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    transact_write_items.crm_patched = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def serialize_dynamodb() -> None:
    """Serve moto's DynamoDB calls one at a time, as infra/local/aws_server.py does.

    moto checks a condition and applies the write as two steps, so two threads can both
    pass a condition: a lost update real DynamoDB never allows. Concurrency tests race our
    code, not moto's, so DynamoDB is made atomic per call (and the backup above, a module
    global, is then never shared by two transactions).
    """
    import threading

    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "crm_patched", False):
        return
    lock = threading.RLock()

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    call_action.crm_patched = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
