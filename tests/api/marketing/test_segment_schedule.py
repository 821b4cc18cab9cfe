"""The daily re-evaluation of dynamic segments whose filters are time-relative: only those
are indexed (DUE) and re-evaluated, chunked over the jobs queue."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared import clock
from tests.api.marketing.helpers import contact, dynamic, member_ids
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Segment Schedule Co")
    settle(runtimes)
    return made


def evaluation(marketing: ApiClient, tenant: Tenant, segment_id: str) -> dict[str, Any]:
    reply = marketing.get(f"/segments/{segment_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json["evaluation"])


def tick(runtimes: dict[str, Any]) -> None:
    load_app("marketing")
    runtimes["marketing"].tick()
    settle(runtimes)


def test_time_relative_segments_are_reevaluated_daily_and_only_they(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    person = contact(contacts, tenant, lifecycle_stage="lead")
    settle(runtimes)
    aged = dynamic(marketing, tenant, [{"field": "created_days_ago", "operator": "gte",
                                        "value": 3}], runtimes)
    leads = dynamic(marketing, tenant, [{"field": "lifecycle_stage", "operator": "eq",
                                         "value": "lead"}], runtimes)
    assert aged["member_count"] == 0 and person["contact_id"] in member_ids(
        marketing, tenant, leads["segment_id"])
    first = {s: evaluation(marketing, tenant, s)["evaluation_id"]
             for s in (aged["segment_id"], leads["segment_id"])}

    tick(runtimes)  # not a day yet: nothing is re-evaluated
    assert evaluation(marketing, tenant, aged["segment_id"])["evaluation_id"] == first[
        aged["segment_id"]]

    clock.advance(4 * 86400)
    try:
        tick(runtimes)
        after = evaluation(marketing, tenant, aged["segment_id"])
        assert after["evaluation_id"] != first[aged["segment_id"]]
        assert after["status"] == "complete"
        assert person["contact_id"] in member_ids(marketing, tenant, aged["segment_id"])
        assert evaluation(marketing, tenant, leads["segment_id"])["evaluation_id"] == first[
            leads["segment_id"]]
        again = evaluation(marketing, tenant, aged["segment_id"])["evaluation_id"]
        tick(runtimes)  # once a day: the same day's second tick starts nothing
        assert evaluation(marketing, tenant, aged["segment_id"])["evaluation_id"] == again
    finally:
        clock.advance(-4 * 86400)

    # a filter that no longer depends on time leaves the schedule
    changed = marketing.patch(f"/segments/{aged['segment_id']}", {"filter": {"filter_groups": [
        {"filters": [{"field": "lifecycle_stage", "operator": "eq", "value": "customer"}]}]}},
        token=tenant.admin_token)
    assert changed.status == 200, changed.json
    settle(runtimes)
    moved = evaluation(marketing, tenant, aged["segment_id"])["evaluation_id"]
    clock.advance(3 * 86400)
    try:
        tick(runtimes)
    finally:
        clock.advance(-3 * 86400)
    assert evaluation(marketing, tenant, aged["segment_id"])["evaluation_id"] == moved
