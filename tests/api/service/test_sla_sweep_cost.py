"""The SLA sweep's cost follows the due tickets, not the open ones (issue 6's budget, the
bench's load in small): of 300 open tickets, 100 are due (50 to breach, 50 at risk) and
the sweep reads those 100 index entries, the tenant's configuration once and the team's
lead once; a second sweep reads nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client

from tests.bench import service_rows
from tests.support.client import ApiClient, Tenants
from tests.support.events import settle
from tests.support.services import load_app


@contextmanager
def dynamo_reads() -> Iterator[Counter[str]]:
    """DynamoDB operations, and items read by Query (`Query items`), while the block runs."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        result = original(client, operation, params)
        if client.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
            if operation == "Query":
                calls["Query items"] += int(result.get("ScannedCount", 0))
        return result

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def test_the_sweep_reads_the_due_tickets_not_the_open_ones(
        platform: ApiClient, service: ApiClient, tenants: Tenants,
        runtimes: dict[str, Any]) -> None:
    from crm_shared import clock

    desk = service_rows.make_desk(platform, service, tenants, lambda: settle(runtimes))
    load_app("service")
    from chalicelib.sla import sweep

    service_rows.seed(desk, 300, clock.now())
    with dynamo_reads() as calls:
        breached = sweep.run()
    assert breached == service_rows.DUE // 2
    assert calls["Query items"] == service_rows.DUE, calls
    assert calls["GetItem"] == 2, calls  # the configuration, the team (its lead)
    assert calls["TransactWriteItems"] == service_rows.DUE, calls  # one per ticket
    with dynamo_reads() as calls:
        assert sweep.run() == 0
    assert calls["Query items"] == 0 and calls["GetItem"] == 0, calls
