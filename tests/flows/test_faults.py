"""Throttles injected at random into DynamoDB, EventBridge and SQS during a workload.

Afterwards, once the dead-letter queues are redriven as an operator would, every
acknowledged write is there, every event took effect exactly once (the sales report
aggregates count each deal once), and nothing is left in a dead-letter queue.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.idempotency import CLAIM_LEASE
from infra.redrive import redrive
from tests.support.client import ApiClient, Reply, Tenant, Tenants, unique
from tests.support.events import queue_depth, settle
from tests.support.faults import injected

DEALS = 24
WON_EVERY = 3
RATE = 0.1


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def retried(call: Any, attempts: int = 30) -> Reply:
    """What a well-behaved client does with a 503, or a 409 saying its earlier attempt is
    still in progress: the same request again, after Retry-After. A claim whose release
    was throttled holds its key for its lease: the clock moves past it, as waiting would."""
    for _ in range(attempts):
        reply: Reply = call()
        if reply.status == 409 and reply.json["code"] == "idempotency_in_progress":
            clock.advance(CLAIM_LEASE.total_seconds() + 1)
            continue
        if reply.status != 503:
            return reply
        assert reply.json["code"] == "unavailable"
        time.sleep(0.01)
    raise AssertionError("still refused after all attempts")


def test_no_acknowledged_write_or_event_is_lost_or_doubled(
        sales: ApiClient, tenant: Tenant, runtimes: dict[str, Any], session: Any,
        aws: dict[str, Any]) -> None:
    token = tenant.admin_token
    made: list[str] = []
    with injected(RATE, seed=7) as faults:
        for n in range(DEALS):
            key = unique("deal-")
            body = {"name": f"Deal {n}", "amount": {"amount": 1000 + n, "currency": "USD"}}
            reply = retried(lambda b=body, k=key: sales.post(
                "/opportunities", b, token=token, headers={"Idempotency-Key": k}))
            assert reply.status == 201, reply.json
            made.append(reply.json["opportunity_id"])
        for deal_id in made[::WON_EVERY]:
            current = retried(lambda d=deal_id: sales.get(f"/opportunities/{d}", token=token))
            etag = str(current.header("ETag"))
            reply = retried(lambda d=deal_id, e=etag: sales.patch(
                f"/opportunities/{d}", {"stage": "Won"}, token=token, headers={"If-Match": e}))
            assert reply.status == 200, reply.json
        for _ in range(20):  # the pipeline runs while the faults go on
            settle(runtimes, rounds=5)
    assert sum(faults.values()) > 10, faults  # the workload really met faults
    # An event that failed five times under the throttles waits in its DLQ: the operator's
    # `make redrive` puts it back, and it must then apply exactly once like any other.
    sqs = session.client("sqs")
    settle(runtimes)
    for resources in aws["services"].values():
        for name, url in resources.items():
            if name.endswith("dlq_url"):
                redrive(sqs, url, wait_seconds=0)
    settle(runtimes)

    for deal_id in made:
        assert sales.get(f"/opportunities/{deal_id}", token=token).status == 200
    stats = sales.get("/opportunities/stats?group_by=owner", token=token)
    assert stats.status == 200, stats.json
    [group] = stats.json["groups"]
    assert group["count"] == DEALS
    assert group["won"] == len(made[::WON_EVERY])
    for service, resources in aws["services"].items():
        for name, url in resources.items():
            if name.endswith("dlq_url"):
                assert queue_depth(session, url) == 0, f"{service}: {name} holds messages"
