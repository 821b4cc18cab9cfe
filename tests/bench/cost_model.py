"""A tenant's monthly AWS bill, from the measured requests per operation: docs/cost.md.

cost = usage profile (calls per seat per working day, and what a tenant stores and sends
per month) x measured AWS requests per call (docs/benchmarks.md's rows, plus the follow-ups
tests/bench/operation_costs.py measures: write units, events, SQS messages, consumer
invocations) x public on-demand prices (us-east-1).

`render_cost_model(rows, extras, profile, prices)` returns the Markdown; every argument has
a default (the current docs/benchmarks.md counts, the follow-ups measured when this file
was written, a 50-seat tenant, the prices below), so `make bench` can pass its own measured
rows and a reader can change the profile:

    python -m tests.bench.cost_model          # writes docs/cost.md from the defaults
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
Row = tuple[str, str, str, str]
SERVICES = ("platform", "contacts", "sales", "service", "marketing")
#: First path segment -> the service that owns it (docs/architecture.md §1).
OWNERS = {"me": "platform", "teams": "platform", "users": "platform", "tenants": "platform",
          "contacts": "contacts", "companies": "contacts", "leads": "sales",
          "opportunities": "sales", "tickets": "service", "segments": "marketing"}


@dataclass(frozen=True)
class Prices:
    """Public on-demand prices, us-east-1, USD, without free tiers (they are per account,
    not per tenant): see `PRICES_AS_OF` and `SOURCES`."""

    dynamodb_read_per_million: float = 0.125    # read request units
    dynamodb_write_per_million: float = 0.625   # write request units
    dynamodb_storage_gb_month: float = 0.25     # Standard table class, after 25 GB free
    dynamodb_pitr_gb_month: float = 0.20        # continuous backups (PITR is on)
    lambda_request_per_million: float = 0.20
    lambda_gb_second: float = 0.0000166667      # x86_64 (what the templates declare)
    rest_api_per_million: float = 3.50          # each service's Chalice REST API
    http_api_per_million: float = 1.00          # the edge HTTP API in front of them
    eventbridge_per_million: float = 1.00       # custom events published (64 KB chunks)
    sqs_per_million: float = 0.40               # standard queue requests (64 KB chunks)
    ses_per_thousand: float = 0.10              # outbound email
    cognito_mau: float = 0.015                  # Essentials tier (the default since Nov 2024)
    s3_storage_gb_month: float = 0.023          # Standard
    s3_put_per_thousand: float = 0.005
    s3_get_per_thousand: float = 0.0004
    logs_ingest_gb: float = 0.50                # CloudWatch Logs ingestion


PRICES_AS_OF = ("Public list prices for us-east-1 as published on the AWS pricing pages in"
                " 2025 (DynamoDB on-demand after AWS's 1 November 2024 cut), typed"
                " in by hand, not fetched: check them before quoting a customer.")
SOURCES = (
    "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "https://aws.amazon.com/lambda/pricing/",
    "https://aws.amazon.com/api-gateway/pricing/",
    "https://aws.amazon.com/eventbridge/pricing/",
    "https://aws.amazon.com/sqs/pricing/",
    "https://aws.amazon.com/ses/pricing/",
    "https://aws.amazon.com/cognito/pricing/",
    "https://aws.amazon.com/s3/pricing/",
    "https://aws.amazon.com/cloudwatch/pricing/",
)


@dataclass(frozen=True)
class Extra:
    """What a docs/benchmarks.md row does not hold, measured by tests/bench/operation_costs.py:
    the call's own items read (for operations with no row), what its follow-ups read, its
    write request units (estimated from the writes' items, indexes included), the events it
    publishes, the SQS requests that carry them (a send per message, a receive and a delete
    per batch) and the Lambda invocations (the API handler's and each consumer batch's)."""

    request_items_read: float = 0
    follow_up_items_read: float = 0
    write_units: float = 0
    events: float = 0
    sqs_requests: float = 0
    invocations: float = 1


@dataclass(frozen=True)
class Operation:
    """Everything one call costs, in AWS requests."""

    name: str
    service: str
    read_units: float
    write_units: float
    events: float
    sqs_requests: float
    invocations: float
    api_requests: float = 1  # through the edge HTTP API and the service's REST API
    source: str = ""


@dataclass(frozen=True)
class Profile:
    """A tenant's usage. Calls are per seat per working day, by operation name (a prefix of
    a benchmark row's label, or a key of the extras)."""

    name: str = "a 50-seat tenant"
    seats: int = 50
    working_days: float = 22
    calls_per_seat_day: Mapping[str, float] = field(default_factory=lambda: {
        "GET /me": 10, "GET /contacts?limit=25": 30, "GET /contacts/{id}": 40,
        "POST /contacts/search": 15, "PATCH /contacts/{id}": 10, "POST /contacts": 3,
        "GET /companies?limit=25": 5, "GET /leads?limit=25": 10, "POST /leads": 2,
        "GET /opportunities?limit=25": 10, "POST /opportunities": 1,
        "GET /opportunities/stats?group_by=owner": 1,
        "GET /opportunities/forecast?period=quarter&group_by=owner": 0.5,
        "GET /tickets?limit=25": 15, "POST /tickets": 3,
        "GET /segments/{id}/members?limit=25": 1, "GET /teams?limit=25": 1,
        "GET /users?limit=25": 1,
    })
    #: Read units per item read: 1 = strongly consistent items of <= 4 KB, each rounded up
    #: on its own (exact for GetItem; an upper bound for a Query, which rounds its total).
    read_units_per_item: float = 1.0
    #: Billed duration of an invocation (API handler or consumer batch), warm, in ms.
    invocation_ms: float = 120
    #: Lambda memory (MB) by service; None = the service's .chalice/config.json prod stage.
    memory_mb: Mapping[str, int] | None = None
    log_kb_per_invocation: float = 1.0
    emails_per_month: float = 20_000
    dynamodb_gb: Mapping[str, float] = field(default_factory=lambda: {
        "platform": 1.0, "contacts": 2.0, "sales": 0.5, "service": 0.5, "marketing": 1.0})
    s3_gb: float = 5.0
    s3_puts_per_month: float = 1_000
    s3_gets_per_month: float = 10_000


#: docs/benchmarks.md's rows when this was written, and the list-page rows of
#: tests/bench/list_pages.py (100,000 entities): what `make bench` passes in instead.
DEFAULT_ROWS: tuple[Row, ...] = (
    ("GET /me", "1", "1", "dynamodb:GetItem x1"),
    ("POST /teams", "1", "0", "dynamodb:TransactWriteItems x1"),
    ("GET /teams?limit=25", "1", "1", "dynamodb:Query x1"),
    ("GET /users?limit=25", "1", "1", "dynamodb:Query x1"),
    ("POST /contacts (2 claims, 2 tags)", "4", "1",
     "dynamodb:GetItem x3, dynamodb:TransactWriteItems x1"),
    ("GET /contacts/{id}", "1", "1",
     "dynamodb:GetItem x1, sqs:GetQueueUrl x1, sqs:SendMessageBatch x1"),
    ("PATCH /contacts/{id}", "2", "1", "dynamodb:GetItem x1, dynamodb:TransactWriteItems x1"),
    ("POST /contacts/search (email)", "1", "1", "dynamodb:Query x1, sqs:SendMessageBatch x1"),
    ("GET /contacts?limit=25 with 10,000 contacts", "4", "25",
     "dynamodb:GetItem x3, dynamodb:Query x1, sqs:SendMessageBatch x1"),
    ("GET /opportunities/stats?group_by=owner with 100,000 deals (1,025 aggregates)", "15",
     "724", "dynamodb:Query x15"),
    ("GET /opportunities/forecast?period=quarter&group_by=owner with 100,000 deals"
     " (1,025 aggregates)", "35", "724", "dynamodb:Query x35"),
    ("GET /contacts?limit=25 with 100,000 contacts", "1", "25",
     "dynamodb:Query x1, sqs:SendMessageBatch x1"),
    ("GET /companies?limit=25 with 100,000 companies", "1", "25", "dynamodb:Query x1"),
    ("GET /leads?limit=25 with 100,000 leads", "1", "25",
     "dynamodb:Query x1, sqs:SendMessageBatch x1"),
    ("GET /opportunities?limit=25 with 100,000 deals", "1", "25", "dynamodb:Query x1"),
    ("GET /tickets?limit=25 with 100,000 tickets", "1", "25",
     "dynamodb:Query x1, sqs:SendMessageBatch x1"),
    ("GET /segments/{id}/members?limit=25 with 100,000 members", "3", "51",
     "dynamodb:BatchGetItem x1, dynamodb:GetItem x1, dynamodb:Query x1,"
     " sqs:SendMessageBatch x1"),
)

#: tests/bench/operation_costs.py's figures when this was written (`python -m
#: tests.bench.operation_costs` prints them in this form).
DEFAULT_EXTRAS: dict[str, Extra] = {
    "POST /contacts": Extra(request_items_read=1, follow_up_items_read=1, write_units=71.0,
                            events=1, sqs_requests=12, invocations=11),
    "PATCH /contacts/{id}": Extra(request_items_read=1, follow_up_items_read=3,
                                  write_units=55.0, events=1, sqs_requests=12, invocations=11),
    "GET /contacts/{id}": Extra(request_items_read=1, follow_up_items_read=0, write_units=16.0,
                                events=0, sqs_requests=3, invocations=3),
    "GET /contacts?limit=25": Extra(request_items_read=2, follow_up_items_read=0,
                                    write_units=25.0, events=0, sqs_requests=3, invocations=3),
    "POST /contacts/search": Extra(request_items_read=1, follow_up_items_read=0,
                                   write_units=16.0, events=0, sqs_requests=3, invocations=3),
    "POST /leads": Extra(request_items_read=0, follow_up_items_read=2, write_units=92.0,
                         events=3, sqs_requests=13, invocations=12),
    "POST /opportunities": Extra(request_items_read=1, follow_up_items_read=1, write_units=95.0,
                                 events=2, sqs_requests=8, invocations=7),
    "POST /tickets": Extra(request_items_read=1, follow_up_items_read=2, write_units=72.0,
                           events=1, sqs_requests=6, invocations=7),
    "GET /leads?limit=25": Extra(request_items_read=1, follow_up_items_read=0, write_units=16.0,
                                 events=0, sqs_requests=3, invocations=3),
    "GET /tickets?limit=25": Extra(request_items_read=1, follow_up_items_read=0,
                                   write_units=16.0, events=0, sqs_requests=3, invocations=3),
}


def lambda_memory_mb(service: str, stage: str = "prod") -> int:
    """The memory a service's functions get in `stage`, from its .chalice/config.json."""
    config = json.loads((ROOT / "services" / service / ".chalice" / "config.json").read_text())
    return int(config.get("stages", {}).get(stage, {}).get(
        "lambda_memory_size", config.get("lambda_memory_size", 128)))


def owner(name: str) -> str:
    segment = name.split(" ", 1)[-1].lstrip("/").split("/", 1)[0].split("?", 1)[0]
    return OWNERS.get(segment, "platform")


def _calls(summary: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r"([a-z0-9]+:[A-Za-z]+) x(\d+)", summary)}


def find_row(rows: Iterable[Row], name: str) -> Row | None:
    """The last row whose label is `name` or starts with `name` and a space (the largest
    size measured, as rows go from small to large)."""
    found = None
    for row in rows:
        if (row[0] == name or row[0].startswith(name + " ")) and row[2].isdigit():
            found = row
    return found


def operation(name: str, rows: Sequence[Row], extras: Mapping[str, Extra],
              read_units_per_item: float) -> Operation:
    """One call's AWS requests: the row's items read and SQS sends, the extra's rest. A name
    the given rows lack is looked up in DEFAULT_ROWS (marked "default")."""
    row, extra, fallback = find_row(rows, name), extras.get(name), ""
    if row is None and rows is not DEFAULT_ROWS:
        row, fallback = find_row(DEFAULT_ROWS, name), " (default)"
    if row is None and extra is None:
        raise KeyError(f"no measured row or extra for {name!r}")
    if row is not None:
        calls = _calls(row[3])
        items = float(row[2])
        sqs = float(sum(n for call, n in calls.items()
                        if call.startswith("sqs:Send")))  # a GetQueueUrl is cached
        source = row[0] + fallback
    else:
        assert extra is not None
        items, sqs, source = extra.request_items_read, 0.0, "operation_costs.py"
    if extra is not None:
        items += extra.follow_up_items_read
        sqs = extra.sqs_requests  # the row's sends are among the messages it counts
        source += " + follow-ups (operation_costs.py)" if row is not None else ""
    return Operation(name, owner(name), items * read_units_per_item,
                     extra.write_units if extra else 0.0, extra.events if extra else 0.0,
                     sqs, extra.invocations if extra else 1.0, source=source)


@dataclass(frozen=True)
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    price: float
    per: float

    @property
    def cost(self) -> float:
        return self.quantity / self.per * self.price


def bill(profile: Profile, operations: Sequence[Operation], prices: Prices) -> list[Line]:
    """The month's lines per service: quantity x price / the price's unit."""
    lines: list[Line] = []
    month = profile.seats * profile.working_days
    for service in SERVICES:
        mine = [op for op in operations if op.service == service]
        calls = {op.name: profile.calls_per_seat_day[op.name] * month for op in mine}
        memory = (profile.memory_mb or {}).get(service) or lambda_memory_mb(service)
        api = sum(calls[op.name] * op.api_requests for op in mine)
        invocations = sum(calls[op.name] * op.invocations for op in mine)
        gb_seconds = invocations * profile.invocation_ms / 1000 * memory / 1024
        reads = sum(calls[op.name] * op.read_units for op in mine)
        writes = sum(calls[op.name] * op.write_units for op in mine)
        events = sum(calls[op.name] * op.events for op in mine)
        sqs = sum(calls[op.name] * op.sqs_requests for op in mine)
        stored = profile.dynamodb_gb.get(service, 0.0)
        lines += [
            Line(service, "edge HTTP API requests", api, "requests", prices.http_api_per_million,
                 1e6),
            Line(service, "REST API requests", api, "requests", prices.rest_api_per_million, 1e6),
            Line(service, "Lambda requests", invocations, "invocations",
                 prices.lambda_request_per_million, 1e6),
            Line(service, f"Lambda compute ({memory} MB x {profile.invocation_ms:g} ms)",
                 gb_seconds, "GB-s", prices.lambda_gb_second, 1),
            Line(service, "CloudWatch Logs", invocations * profile.log_kb_per_invocation
                 / 1024 / 1024, "GB", prices.logs_ingest_gb, 1),
            Line(service, "DynamoDB reads", reads, "RRU", prices.dynamodb_read_per_million,
                 1e6),
            Line(service, "DynamoDB writes", writes, "WRU", prices.dynamodb_write_per_million,
                 1e6),
            Line(service, "DynamoDB storage", stored, "GB-month",
                 prices.dynamodb_storage_gb_month, 1),
            Line(service, "DynamoDB PITR", stored, "GB-month", prices.dynamodb_pitr_gb_month, 1),
            Line(service, "EventBridge events", events, "events",
                 prices.eventbridge_per_million, 1e6),
            Line(service, "SQS requests", sqs, "requests", prices.sqs_per_million, 1e6),
        ]
        if service == "platform":
            lines.append(Line(service, "Cognito MAU", profile.seats, "MAU", prices.cognito_mau,
                              1))
        if service == "contacts":
            lines += [
                Line(service, "S3 storage (files)", profile.s3_gb, "GB-month",
                     prices.s3_storage_gb_month, 1),
                Line(service, "S3 PUT", profile.s3_puts_per_month, "requests",
                     prices.s3_put_per_thousand, 1e3),
                Line(service, "S3 GET", profile.s3_gets_per_month, "requests",
                     prices.s3_get_per_thousand, 1e3),
            ]
        if service == "marketing":
            lines.append(Line(service, "SES emails", profile.emails_per_month, "emails",
                              prices.ses_per_thousand, 1e3))
    return lines


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def _price(value: float) -> str:
    return f"${value:.10f}".rstrip("0").rstrip(".")


def _per(value: float) -> str:
    return "" if value == 1 else f"{value:,.0f} "


def _qty(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"


def render_cost_model(rows: Sequence[Row] = DEFAULT_ROWS,
                      extras: Mapping[str, Extra] | None = None,
                      profile: Profile | None = None, prices: Prices | None = None,
                      generated: str = "") -> str:
    """docs/cost.md: the profile, each operation's measured requests, a table per service,
    the total per tenant per month, the formula and the assumptions."""
    extras = DEFAULT_EXTRAS if extras is None else extras
    profile, prices = profile or Profile(), prices or Prices()
    operations = [operation(name, rows, extras, profile.read_units_per_item)
                  for name in profile.calls_per_seat_day]
    lines = bill(profile, operations, prices)
    month = profile.seats * profile.working_days
    total = sum(line.cost for line in lines)
    out = [
        "# Cost model: one tenant's month on AWS",
        "",
        "Generated by `tests/bench/cost_model.py` (`render_cost_model`, for `make bench` to"
        " call with its measured rows; `python -m tests.bench.cost_model` for the defaults)."
        " Do not edit: change the profile or the prices there."
        + (f" {generated}" if generated else ""),
        "",
        f"**{profile.name}: {_money(total)} per month**"
        f" ({_money(total / profile.seats)} per seat), on-demand prices, us-east-1,"
        " free tiers left out. Fixed costs of a stage shared by every tenant are listed"
        " apart at the end.",
        "",
        "## Formula",
        "",
        "For each operation `op` of the profile and each service `s`:",
        "",
        "```",
        "calls(op)      = calls per seat per working day x seats x working days",
        "RRU(s)         = sum calls(op) x items read(op) x read units per item",
        "WRU(s)         = sum calls(op) x write units(op)",
        "invocations(s) = sum calls(op) x invocations(op)   (API handler + consumer batches)",
        "GB-s(s)        = invocations(s) x billed ms / 1000 x memory MB / 1024",
        "API requests   = calls(op) x 2 gateways (edge HTTP API -> service REST API)",
        "cost           = sum quantity x unit price; storage, MAU, emails, S3 from the profile",
        "```",
        "",
        "## Usage profile",
        "",
        f"{profile.seats} seats, {profile.working_days:g} working days a month;"
        f" {profile.emails_per_month:,.0f} emails a month; DynamoDB storage"
        f" {sum(profile.dynamodb_gb.values()):g} GB ("
        + ", ".join(f"{s} {g:g}" for s, g in profile.dynamodb_gb.items())
        + f"); S3 files {profile.s3_gb:g} GB, {profile.s3_puts_per_month:,.0f} PUT and"
        f" {profile.s3_gets_per_month:,.0f} GET a month; every seat active"
        f" (MAU = {profile.seats}); {profile.invocation_ms:g} ms billed per invocation;"
        f" {profile.log_kb_per_invocation:g} KB of logs per invocation; read units per item"
        f" read {profile.read_units_per_item:g}.",
        "",
        "| operation | service | per seat per day | calls a month | items read | write units"
        " | events | SQS requests | Lambda invocations | measured by |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for op in operations:
        per_day = profile.calls_per_seat_day[op.name]
        out.append(f"| {op.name} | {op.service} | {per_day:g} | {per_day * month:,.0f} |"
                   f" {op.read_units / profile.read_units_per_item:g} | {op.write_units:g} |"
                   f" {op.events:g} | {op.sqs_requests:g} | {op.invocations:g} |"
                   f" {op.source} |")
    for service in SERVICES:
        mine = [line for line in lines if line.service == service]
        out += ["", f"## {service}: {_money(sum(line.cost for line in mine))} a month", "",
                "| item | quantity | unit | unit price | per month |", "|---|---|---|---|---|"]
        out += [f"| {line.item} | {_qty(line.quantity)} | {line.unit} |"
                f" {_price(line.price)} per {_per(line.per)}{line.unit} | {_money(line.cost)} |"
                for line in mine]
    by_item: dict[str, float] = {}
    for line in lines:
        key = line.item.split(" (", 1)[0]
        by_item[key] = by_item.get(key, 0.0) + line.cost
    out += ["", "## Total per tenant per month", "",
            "| service | per month |", "|---|---|"]
    out += [f"| {s} | {_money(sum(x.cost for x in lines if x.service == s))} |"
            for s in SERVICES]
    out += [f"| **total** | **{_money(total)}** |", "",
            "| by AWS item (all services) | per month | share |", "|---|---|---|"]
    out += [f"| {item} | {_money(cost)} | {cost / total:.0%} |"
            for item, cost in sorted(by_item.items(), key=lambda kv: -kv[1])]
    out += ["", "## Prices (us-east-1, on demand, USD)", "",
            "| price | value |", "|---|---|"]
    out += [f"| {name} | {_price(value)} |" for name, value in vars(prices).items()]
    out += ["", f"{PRICES_AS_OF} Sources: " + ", ".join(SOURCES) + ".", "",
            "## Assumptions", "", *ASSUMPTIONS, "", "## Fixed per stage (shared by every tenant)",
            "", *fixed_costs(prices, profile), ""]
    return "\n".join(out)


ASSUMPTIONS = (
    "- Items read and DynamoDB calls are docs/benchmarks.md's (list pages at their largest"
    " measured size); write units, events, SQS messages, consumer invocations and what the"
    " consumers read are measured by `tests/bench/operation_costs.py` (one call, then every"
    " stream and queue drained). Write units are estimated from each write's item (size"
    " rounded up to 1 KB, x2 in a transaction, +1 write per index it sits on): moto does not"
    " report consumed capacity.",
    "- Every API call passes two gateways: the edge HTTP API (`infra/edge.yaml`, ApiGatewayV2)"
    " proxies to the service's REST API (Chalice's `AWS::Serverless::Api`). Both bill it.",
    "- Lambda: x86_64, the prod stage's memory from each service's `.chalice/config.json`,"
    " one billed duration for every invocation, cold starts left out. Consumers at a"
    " small tenant's rate get batches of one message (the worst case for requests).",
    "- SQS: per message a send (EventBridge's delivery or the audit's SendMessageBatch), and"
    " per batch a ReceiveMessage and a DeleteMessageBatch. Lambda's empty long polls are a"
    " fixed cost of the stage (below), not the tenant's.",
    "- EventBridge bills each published event once; delivering it to the rules' SQS targets"
    " is free. The archive is left out (about $0.10 per GB archived).",
    "- DynamoDB storage is the profile's guess (items with their ALL-projection index copies);"
    " PITR bills the same GB again. Streams read by Lambda triggers are free.",
    "- A call's follow-ups (the consumers in other services, the platform's audit of a"
    " read) are billed under the service that was called, so each service's table says"
    " what its API costs in all; storage, MAU, emails and files stay with their owner.",
    "- Not modelled: data transfer out, KMS, X-Ray, CloudWatch metrics and alarms, CSV"
    " imports and exports, webhooks' outbound calls, SES attachments.",
)

#: Scheduled functions per service (`@app.schedule` in each app.py), invocations a month.
SCHEDULES = {"platform": 43_200 + 2_880 + 720 + 720, "contacts": 0,
             "sales": 43_200 + 2_880 + 720 + 720 + 2_880, "service": 43_200 + 720,
             "marketing": 43_200 + 43_200 + 30}
#: SQS queues Lambda polls (event and job queues, not DLQs), from the resources.yaml files.
POLLED_QUEUES = 14


def fixed_costs(prices: Prices, profile: Profile) -> list[str]:
    """What a stage costs with no tenant at all: schedules and Lambda's SQS long polls."""
    lines = []
    total = 0.0
    for service, runs in SCHEDULES.items():
        memory = (profile.memory_mb or {}).get(service) or lambda_memory_mb(service)
        cost = runs * (prices.lambda_request_per_million / 1e6 + profile.invocation_ms / 1000
                       * memory / 1024 * prices.lambda_gb_second)
        total += cost
        if runs:
            lines.append(f"- {service}: {runs:,} scheduled invocations a month,"
                         f" {_money(cost)}")
    polls = POLLED_QUEUES * 5 * 3 * 60 * 24 * 30  # 5 pollers, a 20 s long poll each
    cost = polls * prices.sqs_per_million / 1e6
    total += cost
    lines.append(f"- SQS: Lambda's pollers on {POLLED_QUEUES} queues, about {polls:,} empty"
                 f" receives a month (5 pollers, 20 s long polls), {_money(cost)}")
    lines.append(f"- about {_money(total)} a month per stage, to divide by the tenants.")
    return lines


if __name__ == "__main__":
    text = render_cost_model()
    (ROOT / "docs" / "cost.md").write_text(text)
    print(text)
