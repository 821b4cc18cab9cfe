"""The customer service's budgets for `make bench`: the SLA sweep and GET /tickets/stats as
the open tickets grow from 1,000 to 100,000, each in a moto of its own.

Creating 100,000 tickets through the API takes hours on moto, so they are written with
BatchWriteItem, built by the tickets feature's own code: a ticket is the document
`logic.stage_create` makes (its defaults and `sla.start`'s clock), answered by an agent as
`comments.stage_comment` records a first response and `logic.stage_change` applies it, and
`repository.index` sets its list and DUE keys and makes its shadow. A few tickets made
through the API first are the reference: the seeded ones must have their shape.

Each tenant has a desk made through the API: a team with a lead and four agents, a 24/7
calendar and the default policy on it, with a resolution target of 60 days so a month of
open tickets still runs toward it. The tickets were created over the last 30 days; all but
100 were answered and run toward their resolution (due in 30 to 60 days), 100 are new:
50 fell due for their first response in the last 50 minutes (to breach), 50 fall due in
11 to 60 minutes (at risk: less than a fifth of the 8 h target is left). The sweep must read
those 100, not the open tickets, and a second sweep nothing.

The stats are measured where only their aggregates are: each seeded ticket's contribution
is the stats feature's `projection.contributions` of the ticket as its events carry it
(what its consumer ADDs), summed per aggregate. moto's Query walks the whole table, which
DynamoDB does not, so a table holding the tickets too would time moto, not the report.

    python -m tests.bench.service_rows
"""

from __future__ import annotations

import copy
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.bench.run import CallCounter, Row
    from tests.support.client import ApiClient, Tenant, Tenants

SIZES = (1_000, 100_000)
DUE = 100  # tickets the sweep must handle: half past their first-response due time (to
# breach), half within its at-risk window (to warn of)
DAYS = 30  # the tickets were created over the last 30 days (the stats' default window)
AGENTS = 4
CHANNELS = ("email", "web", "phone", "chat")
TYPES = ("question", "request", "return")  # all normal priority by the type defaults
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
TARGETS = {"urgent": (60, 86_400), "high": (240, 86_400), "normal": (480, 86_400),
           "low": (960, 86_400)}  # first response, resolution (minutes)
STATS = (("GET /tickets/stats", ""), ("GET /tickets/stats?group_by=agent", "&group_by=agent"))
STATS_RUNS = 7


@dataclass
class Desk:
    """A tenant with a team (a lead, agents) and the SLA configuration the tickets use."""

    tenant: Tenant
    team_id: str
    lead_id: str
    agent_ids: list[str]
    config: dict[str, Any] = field(default_factory=dict)


def make_desk(platform: ApiClient, service: ApiClient, tenants: Tenants,
              settle: Any) -> Desk:
    from tests.support.client import unique

    tenant = tenants.create()
    settle()
    token = tenant.admin_token
    lead = platform.post("/users", {"email": f"{unique('lead-')}@example.com",
                                    "roles": ["manager"]}, token=token)
    assert lead.status == 201, lead.json
    agents = []
    for _ in range(AGENTS):
        agent = platform.post("/users", {"email": f"{unique('agent-')}@example.com",
                                         "roles": ["support_agent"]}, token=token)
        assert agent.status == 201, agent.json
        agents.append(agent.json["user_id"])
    settle()
    team = platform.post("/teams", {"name": unique("Desk "), "manager_id": lead.json["user_id"],
                                    "member_ids": agents}, token=token)
    assert team.status == 201, team.json
    settle()
    always = service.post("/business-hours", {"name": "24/7", "time_zone": "UTC",
                                              "hours": ALWAYS}, token=token)
    assert always.status == 201, always.json
    policy = service.get("/sla-policies", token=token).json["items"][0]
    targets = {p: {"first_response_minutes": f, "resolution_minutes": r}
               for p, (f, r) in TARGETS.items()}
    patched = service.patch(f"/sla-policies/{policy['policy_id']}",
                            {"business_hours_id": always.json["business_hours_id"],
                             "targets": targets}, token=token)
    assert patched.status == 200, patched.json
    from chalicelib.config import logic as config_logic

    return Desk(tenant, team.json["team_id"], lead.json["user_id"], agents,
                config_logic.read(tenant.tenant_id))


def fields_of(desk: Desk, n: int) -> dict[str, Any]:
    return {"subject": f"Ticket {n}", "channel": CHANNELS[n % len(CHANNELS)],
            "type": TYPES[n % len(TYPES)], "team_id": desk.team_id,
            "assignee_id": desk.agent_ids[(n // DAYS) % AGENTS]}


def build(desk: Desk, fields: dict[str, Any], created: datetime,
          answered: datetime | None) -> tuple[Any, Any]:
    """The ticket record and shadow the API would have written for a ticket created at
    `created` (and answered by its agent at `answered`): the same code, no transaction."""
    from chalicelib.sla import clock as sla
    from chalicelib.tickets import domain, logic, repository
    from crm_shared import clock
    from crm_shared.ids import new_id
    from crm_shared.unit_of_work import UnitOfWork

    config = desk.config
    # logic.stage_create's document
    doc = {k: v for k, v in fields.items() if v is not None}
    doc.setdefault("channel", "web")
    doc.setdefault("type", "question")
    doc.setdefault("status", domain.NEW)
    default = config.get("type_defaults", {}).get(doc["type"], {})
    doc.setdefault("priority", default.get("priority", "normal"))
    doc.setdefault("tags", [])
    doc.setdefault("properties", {})
    doc["tags"] = sorted(set(doc["tags"]))
    doc["created_by"] = desk.tenant.admin_user_id
    doc["sla_state"] = sla.start(config, doc, created)
    item = repository.new_record(desk.tenant.tenant_id, new_id("tkt"), doc, clock.iso(created))
    if answered is not None:
        # comments.stage_comment: an agent's first public reply, applied by stage_change
        item.version = 1
        state = copy.deepcopy(doc["sla_state"])
        state["first_response_met"] = True
        seconds = sla.elapsed(state, config, answered)
        sla.refresh(state, config)
        changes = {"public_reply_count": 1, "first_response_at": clock.iso(answered),
                   "metrics": {"first_response_seconds": seconds}, "sla_state": state,
                   "status": domain.OPEN, "last_comment_at": clock.iso(answered)}
        logic.stage_change(UnitOfWork("service"), item, changes, f"user:{fields['assignee_id']}",
                           config=config, now=answered)
    shadow = repository.index(item, sla.next_due(item.doc["sla_state"]))
    item.version = shadow.version  # what the write's version check sets
    return item, shadow


class Maker:
    """Seeded tickets: `build` once per distinct (created, answered), its document copied
    with each ticket's own fields (which the clock does not depend on: every type is of
    normal priority and the policy names no type), keyed and indexed by the repository."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.built: dict[tuple[datetime, datetime | None], tuple[dict[str, Any], str, int]] = {}

    def make(self, fields: dict[str, Any], created: datetime,
             answered: datetime | None) -> tuple[Any, Any]:
        from chalicelib.sla import clock as sla
        from chalicelib.tickets import repository
        from crm_shared import clock
        from crm_shared.ids import new_id

        key = (created, answered)
        if key not in self.built:
            item, _ = build(self.desk, fields, created, answered)
            self.built[key] = (item.doc, item.updated_at, int(item.version))
        doc, updated_at, version = self.built[key]
        # shallow: the nested parts are only ever serialized, never changed
        doc = {**doc, **{k: v for k, v in fields.items() if v is not None}}
        item = repository.new_record(self.desk.tenant.tenant_id, new_id("tkt"), doc,
                                     clock.iso(created))
        item.updated_at = updated_at
        if version > 1:  # the version it had when its last change was staged
            item.version = version - 1
        shadow = repository.index(item, sla.next_due(doc["sla_state"]))
        item.version = shadow.version
        return item, shadow


@contextmanager
def history(table_name: str) -> Iterator[None]:
    """Seed as history: writes that add no stream records (their events were handled long
    ago; moto keeps every record in memory) and skip moto's item size check (it re-measures
    every attribute as each is set, most of a put's time; a seeded ticket is a few KB)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(table_name)
    checked, shard = dynamo_type.LimitedSizeDict.__setitem__, table.stream_shard
    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment]
    table.stream_shard = None
    try:
        yield
    finally:
        dynamo_type.LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]
        table.stream_shard = shard


def seed(desk: Desk, size: int, now: datetime) -> dict[str, dict[str, int]]:
    """Write `size` open tickets, DUE of them due for their first response; returns the
    stats aggregates they add up to (`<group>|<day>|<value>` -> counts)."""
    from chalicelib.stats import projection
    from chalicelib.tickets import logic
    from chalicelib.tickets.models import TicketItem
    from crm_shared import clock

    maker = Maker(desk)
    first_response = timedelta(minutes=TARGETS["normal"][0])
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with history(TicketItem.Meta.table_name), TicketItem.batch_write() as batch:
        for n in range(size):
            fields = fields_of(desk, n)
            if n >= size - DUE:  # new, unanswered: due 1..50 minutes ago or in 11..60
                if n == size - DUE:
                    now = clock.now()  # the seed took a while: these are due from now
                late = size - n - DUE // 2
                created = now - first_response - timedelta(
                    minutes=late if late > 0 else late - 10)
                answered = None
            else:  # answered within an hour, resolution due in 30 to 60 days
                slot = 5 * ((n // DAYS) % 12)
                created = now - timedelta(days=n % DAYS, hours=2, minutes=slot)
                answered = created + timedelta(minutes=5 + slot)
            item, shadow = maker.make(fields, created, answered)
            batch.save(item)
            batch.save(shadow)
            day = item.created_at[:10]
            for key, counts in projection.contributions(logic.record(item)).items():
                group, value = key.split("|", 1)
                total = totals[f"{group}|{day}|{value}"]
                for name, count in counts.items():
                    total[name] += count
    return {key: dict(counts) for key, counts in totals.items()}


def check_shape(service: ApiClient, desk: Desk, session: Any, now: datetime) -> None:
    """A ticket made and answered through the API and a seeded one have the same items:
    the same attributes of the same types, the same document and clock fields."""
    token = desk.tenant.admin_token
    fields = fields_of(desk, 1)
    made = service.post("/tickets", fields, token=token)
    assert made.status == 201, made.json
    fresh = service.post("/tickets", fields_of(desk, 2), token=token)
    assert fresh.status == 201, fresh.json
    reply = service.post(f"/tickets/{made.json['ticket_id']}/comments",
                         {"body": "On it", "public": True}, token=token)
    assert reply.status == 201, reply.json
    table = session.client("dynamodb")
    name = "crm-test-service"

    def raw(ticket_id: str, sort_key: str) -> dict[str, Any]:
        key = {"PK": {"S": f"T#{desk.tenant.tenant_id}#TICKET#{ticket_id}"},
               "SK": {"S": sort_key}}
        return dict(table.get_item(TableName=name, Key=key)["Item"])

    def shape(item: dict[str, Any]) -> dict[str, Any]:
        import json

        out: dict[str, Any] = {k: next(iter(v)) for k, v in item.items()}
        doc = json.loads(item["doc"]["S"])
        out["doc"] = sorted(doc)
        out["sla_state"] = sorted(doc.get("sla_state") or {})
        return out

    maker = Maker(desk)
    maker.make(fields_of(desk, 0), now - timedelta(minutes=10), now)  # the templates
    maker.make(fields_of(desk, 0), now, None)
    answered_item, answered_shadow = maker.make(fields, now - timedelta(minutes=10), now)
    new_item, new_shadow = maker.make(fields_of(desk, 2), now, None)
    for api_id, seeded, sort_key in (
            (made.json["ticket_id"], answered_item, "TICKET"),
            (made.json["ticket_id"], answered_shadow, "SHADOW"),
            (fresh.json["ticket_id"], new_item, "TICKET"),
            (fresh.json["ticket_id"], new_shadow, "SHADOW")):
        api, ours = shape(raw(api_id, sort_key)), shape(seeded.serialize())
        assert api == ours, (sort_key, api, ours)


def sweep_cost(counter: CallCounter, label: str) -> tuple[Row, int, float]:
    """One sweep (as the schedule runs it): it breaches half the due tickets and warns of
    the other half; then a second one finds nothing left to read."""
    from chalicelib.sla import sweep

    with counter.counting():
        started = time.perf_counter()
        breached = sweep.run()
        elapsed = time.perf_counter() - started
    assert breached == DUE // 2, f"{label}: breached {breached}, expected {DUE // 2}"
    row = (label, str(counter.by_service("dynamodb:")), str(counter.items_read),
           f"{breached} breached, {DUE - breached} at risk, {elapsed:.1f} s on moto; "
           f"{counter.summary()}")
    items = counter.items_read
    with counter.counting():
        again = sweep.run()
    assert again == 0 and counter.items_read == 0, (label, again, counter.summary())
    return row, items, elapsed


def sla_rows(counter: CallCounter, sizes: tuple[int, ...] = SIZES
             ) -> tuple[list[Row], dict[int, dict[str, dict[str, int]]]]:
    """The sweep at each size, in a moto of its own; returns the rows and each size's
    stats aggregates."""
    from crm_shared import clock
    from tests.bench.aws import fresh_aws
    from tests.support.services import load_app

    rows: list[Row] = []
    aggregates: dict[int, dict[str, dict[str, int]]] = {}
    with fresh_aws(["platform", "service"]) as aws:
        platform, service, session = aws.clients["platform"], aws.clients["service"], aws.session
        tenants = aws.tenants
        desks = [make_desk(platform, service, tenants, aws.settle)
                 for _ in sizes]
        load_app("service")
        now = clock.now()
        check_shape(service, desks[0], session, now)
        measured = []
        for size, desk in zip(sizes, desks, strict=True):
            load_app("service")
            started = time.perf_counter()
            aggregates[size] = seed(desk, size, now)
            seeded = time.perf_counter() - started
            row, items, elapsed = sweep_cost(
                counter, f"SLA sweep: {DUE} due of {size:,} open tickets")
            rows.append((*row[:3], f"{row[3]} (seeded in {seeded:.0f} s)"))
            measured.append((items, elapsed))
    (small, small_time), (large, large_time) = measured[0], measured[-1]
    rows.append((f"SLA sweep: {sizes[-1]:,} vs {sizes[0]:,} open tickets", "",
                 f"x{large / max(small, 1):.2f} items",
                 f"x{large_time / small_time:.2f} time on moto (target: the due, not the open;"
                 " moto's index Query walks the table)"))
    return rows, aggregates


def write_aggregates(tenant_id: str, totals: dict[str, dict[str, int]]) -> int:
    from chalicelib.stats import repository
    from chalicelib.stats.models import AggregateItem

    with AggregateItem.batch_write() as batch:
        for key, counts in totals.items():
            group, day, value = key.split("|", 2)
            batch.save(repository.aggregate(tenant_id, group, day, value, counts))
    return len(totals)


def stats_rows(counter: CallCounter,
               aggregates: dict[int, dict[str, dict[str, int]]]) -> list[Row]:
    """GET /tickets/stats at each size, in a moto holding only the aggregates."""
    from crm_shared import clock
    from tests.bench.aws import fresh_aws
    from tests.support.services import load_app

    sizes = tuple(aggregates)
    rows: list[Row] = []
    measured: dict[str, list[tuple[int, float]]] = defaultdict(list)
    with fresh_aws(["platform", "service"], runtimes=False) as aws:
        service, tenants = aws.clients["service"], aws.tenants
        for size in sizes:
            tenant = tenants.create()
            load_app("service")
            written = write_aggregates(tenant.tenant_id, aggregates[size])
            today = clock.now().date()
            window = f"/tickets/stats?from={today - timedelta(days=DAYS + 1)}&to={today}"
            for label, query in STATS:
                times = []
                for _ in range(STATS_RUNS):
                    with counter.counting():
                        started = time.perf_counter()
                        reply = service.get(window + query, token=tenant.admin_token)
                        times.append(time.perf_counter() - started)
                    assert reply.status == 200, (label, reply.json)
                volume = sum(g["volume"] for g in reply.json["groups"])
                assert volume == size, (label, volume, size)
                latency = statistics.median(times)
                measured[label].append((counter.items_read, latency))
                rows.append((f"{label} with {size:,} tickets ({written:,} aggregates)",
                             str(counter.by_service("dynamodb:")), str(counter.items_read),
                             f"{latency * 1000:.0f} ms median; {counter.summary()}"))
    for label, found in measured.items():
        (items_small, time_small), (items_large, time_large) = found[0], found[-1]
        rows.append((f"{label}: {sizes[-1]:,} vs {sizes[0]:,} tickets", "",
                     f"x{items_large / max(items_small, 1):.2f} items",
                     f"x{time_large / time_small:.2f} latency (target: flat)"))
    return rows


def service_rows(counter: CallCounter, sizes: tuple[int, ...] = SIZES) -> list[Row]:
    """The service rows of `make bench`: the SLA sweep, then the stats, each in its moto."""
    rows, aggregates = sla_rows(counter, sizes)
    return rows + stats_rows(counter, aggregates)


if __name__ == "__main__":
    import sys

    from tests.bench.run import CallCounter as Counter

    chosen = tuple(int(n) for n in sys.argv[1:]) or SIZES
    for found in service_rows(Counter(), chosen):
        print(" | ".join(found))
