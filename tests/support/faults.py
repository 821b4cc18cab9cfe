"""AWS faults on demand: chosen operations fail at random, as throttles do after the SDK's
own retries are spent. Deterministic for a given seed, so a failure always reproduces."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

#: What product code calls. The harness's own polling (GetRecords, ReceiveMessage,
#: DeleteMessage...) stands for the Lambda service itself and is never faulted.
PRODUCT_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem",
    "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
    "PutEvents", "SendMessage", "SendMessageBatch", "SendEmail", "SendRawEmail", "Publish",
})


@contextmanager
def injected(rate: float, seed: int,
             operations: frozenset[str] = PRODUCT_OPERATIONS) -> Iterator[Counter[str]]:
    """While open, each call of `operations` fails with a ThrottlingException at `rate`."""
    rng = random.Random(seed)
    original = BaseClient._make_api_call
    faults: Counter[str] = Counter()

    def call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name in operations and rng.random() < rate:
            faults[operation_name] += 1
            raise ClientError({"Error": {"Code": "ThrottlingException",
                                         "Message": "injected by tests/support/faults.py"}},
                              operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = call  # type: ignore[method-assign]
    try:
        yield faults
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
