"""The cost model's arithmetic, on a profile small enough to add up by hand."""

from __future__ import annotations

from dataclasses import fields

import pytest

from tests.bench.cost_model import (
    DEFAULT_EXTRAS,
    DEFAULT_ROWS,
    Extra,
    Prices,
    Profile,
    bill,
    find_row,
    lambda_memory_mb,
    operation,
    render_cost_model,
)

#: Every price 1.0 (per million requests, per GB, per 1,000 emails ...): a line costs its
#: quantity over its unit.
ONES = Prices(**{f.name: 1.0 for f in fields(Prices)})
ROWS = [("GET /me", "1", "1", "dynamodb:GetItem x1"),
        ("GET /x?limit=25 with 10 xs", "1", "9", "dynamodb:Query x1"),
        ("GET /x?limit=25 with 1,000 xs", "1", "25", "dynamodb:Query x1, sqs:SendMessageBatch x1"),
        ("GET /x?limit=25: 1,000 vs 10 xs", "", "x2.78 items", "")]
EXTRAS = {"POST /companies": Extra(request_items_read=2, follow_up_items_read=1, write_units=10,
                                   events=1, sqs_requests=4, invocations=3)}
SMALL = Profile(name="a tiny tenant", seats=2, working_days=10,
                calls_per_seat_day={"GET /me": 3, "POST /companies": 1},
                read_units_per_item=1.0, invocation_ms=500,
                memory_mb={s: 2048 for s in ("platform", "contacts", "sales", "service",
                                             "marketing")},
                log_kb_per_invocation=0.0, emails_per_month=1_000,
                dynamodb_gb={"platform": 2.0}, s3_gb=0.0, s3_puts_per_month=0,
                s3_gets_per_month=0)


def small_bill() -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    ops = [operation(name, ROWS, EXTRAS, 1.0) for name in SMALL.calls_per_seat_day]
    totals: dict[str, float] = {}
    quantities: dict[tuple[str, str], float] = {}
    for line in bill(SMALL, ops, ONES):
        totals[line.service] = totals.get(line.service, 0.0) + line.cost
        quantities[line.service, line.item.split(" (", 1)[0]] = line.quantity
    return totals, quantities


def test_a_tiny_tenant_adds_up_by_hand() -> None:
    totals, quantities = small_bill()
    assert quantities["contacts", "DynamoDB reads"] == 60  # 20 calls x (2 + 1) items
    assert quantities["contacts", "DynamoDB writes"] == 200
    assert quantities["contacts", "Lambda requests"] == 60
    assert quantities["contacts", "Lambda compute"] == 60  # GB-s
    assert quantities["contacts", "SQS requests"] == 80
    assert quantities["contacts", "EventBridge events"] == 20
    assert quantities["platform", "REST API requests"] == 60
    assert quantities["platform", "Lambda compute"] == 60
    # GET /me: 3 x 2 seats x 10 days = 60 calls, each 1 invocation of 2 GB for 0.5 s.
    # Requests (HTTP API, REST API, Lambda, RRU) are per million: 4 x 60 / 1e6.
    # 60 GB-s; 2 GB stored, PITR on the same 2 GB; 2 MAU.
    assert totals["platform"] == pytest.approx(4 * 60 / 1e6 + 60 + 2 + 2 + 2, rel=1e-12)
    # POST /companies: 20 calls; gateways 2 x 20; 3 invocations each = 60 (60 GB-s);
    # (2 + 1) items read x 20 = 60 RRU; 200 WRU; 20 events; 80 SQS requests.
    assert totals["contacts"] == pytest.approx((2 * 20 + 60 + 60 + 200 + 20 + 80) / 1e6 + 60,
                                               rel=1e-12)
    assert totals["marketing"] == pytest.approx(1.0)  # 1,000 emails at 1.0 per 1,000
    assert totals["sales"] == totals["service"] == 0
    assert sum(totals.values()) == pytest.approx(127.0007, rel=1e-12)


def test_the_document_states_the_total_and_the_formula() -> None:
    text = render_cost_model(ROWS, EXTRAS, SMALL, ONES)
    assert "**a tiny tenant: $127.00 per month** ($63.50 per seat)" in text
    assert "## Formula" in text and "## Assumptions" in text
    assert "| POST /companies | contacts | 1 | 20 | 3 | 10 | 1 | 4 | 3 |" in text


def test_a_list_uses_its_largest_measured_size_and_its_audit_send() -> None:
    assert find_row(ROWS, "GET /x?limit=25") == ROWS[2]
    op = operation("GET /x?limit=25", ROWS, {}, 0.5)
    assert (op.read_units, op.sqs_requests, op.invocations) == (12.5, 1, 1)
    with pytest.raises(KeyError):
        operation("GET /nothing", ROWS, {}, 1.0)
    # a name the caller's rows lack comes from docs/benchmarks.md's defaults, and says so
    assert operation("GET /me", [], {}, 1.0).source == "GET /me (default)"


def test_memory_comes_from_the_service_config() -> None:
    assert lambda_memory_mb("contacts", "prod") == 1024
    assert lambda_memory_mb("contacts", "dev") == 512


def test_the_defaults_render() -> None:
    text = render_cost_model(DEFAULT_ROWS, DEFAULT_EXTRAS)
    assert "Total per tenant per month" in text
