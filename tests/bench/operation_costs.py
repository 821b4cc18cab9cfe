"""What one API call costs in AWS requests, follow-ups included, for the cost model.

docs/benchmarks.md counts each request's own DynamoDB calls and items read; a bill also pays
for what the call sets moving: the write request units of its transaction (every index an
item sits on is another write), the event its outbox publishes, the SQS messages that carry
that event or a read's audit record to each consuming service, and those consumers' Lambda
invocations and DynamoDB work. Each operation here is called once through the real app in
a moto of its own, then every stream and queue is drained (tests/support/events.settle) with
the same counting on, so the follow-ups are measured too.

Write request units are estimated from each write's parameters (DynamoDB's own accounting
is not in moto): an item's size rounded up to 1 KB, x2 inside a transaction, plus one write
per index the item is put on (ALL projections: its size again; the keys-only TENANT index:
1); an update or a delete counts 1 KB, plus one write per index key it sets; a transaction's
ConditionCheck counts as a 1 KB transactional write. Local polling differs from Lambda's
(empty receives are not counted): SQS requests are counted as Lambda would make them, one
send per message delivered (EventBridge's or the audit's batch), and per batch one
ReceiveMessage and one DeleteMessageBatch.

    python -m tests.bench.operation_costs
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.aws import fresh_aws  # noqa: E402
from tests.support.services import load_app  # noqa: E402

INDEX_KEYS = (*(f"GSI{n}PK" for n in range(1, 6)), "DUEPK")


def item_kb(item: dict[str, Any]) -> int:
    """An item's size in whole KB as DynamoDB rounds a write (names + values, approximately)."""
    size = sum(len(name) + len(json.dumps(value)) for name, value in item.items())
    return max(1, math.ceil(size / 1024))


def put_units(item: dict[str, Any], transactional: bool) -> float:
    kb = item_kb(item)
    indexes = sum(1 for key in INDEX_KEYS if key in item)
    return kb * (2 if transactional else 1) + kb * indexes + (1 if "TENANTPK" in item else 0)


def update_units(params: dict[str, Any], transactional: bool) -> float:
    names = set((params.get("ExpressionAttributeNames") or {}).values())
    expression = params.get("UpdateExpression", "")
    touched = sum(1 for key in (*INDEX_KEYS, "TENANTPK") if key in names or key in expression)
    return (2 if transactional else 1) + touched


def write_units(operation: str, params: dict[str, Any]) -> float:
    """Estimated write request units of one DynamoDB call (0 for reads)."""
    if operation == "PutItem":
        return put_units(params["Item"], False)
    if operation == "UpdateItem":
        return update_units(params, False)
    if operation == "DeleteItem":
        return 1.0
    if operation == "BatchWriteItem":
        return sum(put_units(r["PutRequest"]["Item"], False) if "PutRequest" in r else 1.0
                   for requests in params["RequestItems"].values() for r in requests)
    if operation == "TransactWriteItems":
        total = 0.0
        for entry in params["TransactItems"]:
            kind, body = next(iter(entry.items()))
            total += put_units(body["Item"], True) if kind == "Put" else (
                update_units(body, True) if kind == "Update" else 2.0)
        return total
    return 0.0


@dataclass
class Measured:
    """One operation's requests, its follow-ups included."""

    name: str
    service: str
    dynamodb_calls: int = 0
    items_read: int = 0
    write_units: float = 0.0
    events: int = 0
    messages: int = 0
    batches: int = 0
    stream_batches: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def sqs_requests(self) -> int:
        """As on AWS: a send per message delivered, a receive and a delete per batch."""
        return self.messages + 2 * self.batches



@contextmanager
def spying(found: Measured) -> Iterator[None]:
    import botocore.client

    original = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        result = original(client, operation, params)
        found.calls[f"{service}:{operation}"] += 1
        if service == "dynamodb":
            found.dynamodb_calls += 1
            found.write_units += write_units(operation, params)
            if operation in {"Query", "Scan"}:
                found.items_read += int(result.get("ScannedCount", result.get("Count", 0)))
            elif operation == "GetItem":
                found.items_read += 1 if result.get("Item") else 0
            elif operation == "BatchGetItem":
                found.items_read += sum(len(v) for v in result.get("Responses", {}).values())
        elif service == "events" and operation == "PutEvents":
            found.events += len(params["Entries"])
        elif service == "sqs" and operation == "ReceiveMessage" and result.get("Messages"):
            found.messages += len(result["Messages"])
            found.batches += 1
        elif service == "dynamodbstreams" and operation == "GetRecords" and result.get(
                "Records"):
            found.stream_batches += 1
        return result

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def measure_operations() -> list[tuple[Measured, Measured]]:
    """(the request, its follow-ups) for each write of the cost model's profile and for the
    reads whose audit record follows them."""
    out: list[tuple[Measured, Measured]] = []
    with fresh_aws() as env:
        tenant = env.tenants.create()
        env.settle()
        token = tenant.admin_token
        contacts, sales, service = (env.clients[s] for s in ("contacts", "sales", "service"))
        made = contacts.post("/contacts", {"first_name": "Seed", "emails": [
            {"address": "seed@example.com"}]}, token=token).json
        env.settle()
        contact_id = made["contact_id"]
        cases: list[tuple[str, str, Any, str, str, Any]] = [
            ("POST /contacts", "contacts", contacts, "POST", "/contacts", {
                "first_name": "Bench", "last_name": "Cost", "tags": ["cost"],
                "emails": [{"address": "bench-cost@example.com"}],
                "phones": [{"number": "+14155550123"}]}),
            ("PATCH /contacts/{id}", "contacts", contacts, "PATCH", f"/contacts/{contact_id}",
             {"title": "CTO"}),
            ("GET /contacts/{id}", "contacts", contacts, "GET", f"/contacts/{contact_id}", None),
            ("GET /contacts?limit=25", "contacts", contacts, "GET", "/contacts?limit=25", None),
            ("POST /contacts/search", "contacts", contacts, "POST", "/contacts/search",
             {"filter_groups": [{"filters": [{"field": "email", "operator": "eq",
                                              "value": "seed@example.com"}]}]}),
            ("POST /leads", "sales", sales, "POST", "/leads",
             {"name": "Cost Lead", "email": "lead-cost@example.com"}),
            ("POST /opportunities", "sales", sales, "POST", "/opportunities",
             {"name": "Cost deal", "amount": {"amount": 500_000, "currency": "USD"}}),
            ("POST /tickets", "service", service, "POST", "/tickets",
             {"subject": "Cost ticket", "contact_id": contact_id}),
            ("GET /leads?limit=25", "sales", sales, "GET", "/leads?limit=25", None),
            ("GET /tickets?limit=25", "service", service, "GET", "/tickets?limit=25", None),
        ]
        for label, svc, client, method, path, body in cases:
            request, follow = Measured(label, svc), Measured(f"{label}: follow-ups", svc)
            with spying(request):
                reply = client.request(method, path, body, token=token)
            assert reply.status < 300, (label, reply.json)
            with spying(follow):
                env.settle()
            out.append((request, follow))
            load_app(svc)
    return out


def follow_ups(measured: list[tuple[Measured, Measured]]) -> dict[str, Any]:
    """The cost model's input: per operation, what docs/benchmarks.md's row does not hold."""
    from tests.bench.cost_model import Extra

    return {request.name: Extra(
        request_items_read=request.items_read, follow_up_items_read=follow.items_read,
        write_units=request.write_units + follow.write_units,
        events=request.events + follow.events, sqs_requests=follow.sqs_requests,
        invocations=1 + follow.batches + follow.stream_batches)
        for request, follow in measured}


def render(measured: list[tuple[Measured, Measured]]) -> str:
    lines = ["| operation | DynamoDB calls | items read | write units (est.) | events |"
             " SQS requests | Lambda invocations |", "|---|---|---|---|---|---|---|"]
    for pair in measured:
        lines += [f"| {m.name} | {m.dynamodb_calls} | {m.items_read} | {m.write_units:g} |"
                  f" {m.events} | {m.sqs_requests} | {m.batches + m.stream_batches} |"
                  for m in pair]
    return "\n".join(lines)


if __name__ == "__main__":
    results = measure_operations()
    print(render(results))
    for key, extra in follow_ups(results).items():
        print(f"    {key!r}: {extra!r},")
