"""Retrying a transaction that DynamoDB cancelled for a concurrent one on the same item."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import TransactWriteError

CONFLICT_RETRIES = 4
T = TypeVar("T")


def retrying(write: Callable[[], T], attempts: int = CONFLICT_RETRIES) -> T:
    """Run `write` again when DynamoDB cancelled its transaction for a concurrent one on the
    same item (TransactionConflict: no condition failed, nothing was written), after a
    jittered, growing pause; any other failure, or the last conflict, is raised."""
    for attempt in range(attempts):
        try:
            return write()
        except TransactWriteError as exc:
            reasons = [r.code for r in exc.cancellation_reasons or [] if r is not None]
            if "TransactionConflict" not in reasons or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.02, 0.1) * 2 ** attempt)  # jitter
    raise AssertionError("unreachable")
