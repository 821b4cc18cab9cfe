"""Helpers to move events through the real moto bus and queues in tests."""

from __future__ import annotations

import json
from typing import Any

from infra.local.lambda_runtime import ServiceRuntime
from tests.support.services import load_app


def settle(runtimes: dict[str, ServiceRuntime], rounds: int = 1000) -> int:
    """Pump every stream and queue until nothing moves; returns how much moved."""
    moved_total = 0
    for _ in range(rounds):
        moved = 0
        for name, runtime in runtimes.items():
            load_app(name)
            moved += runtime.pump_stream()
            moved += runtime.pump_queue()
        moved_total += moved
        if not moved:
            break
    return moved_total


def put_bus_event(session: Any, source: str, detail_type: str, detail: Any) -> None:
    body = detail if isinstance(detail, str) else json.dumps(detail)
    response = session.client("events").put_events(Entries=[{
        "Source": source, "DetailType": detail_type, "Detail": body, "EventBusName": "crm-test",
    }])
    assert response["FailedEntryCount"] == 0


def queue_depth(session: Any, url: str) -> int:
    attrs = session.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                      "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"])
