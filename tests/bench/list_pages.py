"""Items read for a list page of 25 at 1,000 and at 100,000 entities, for `make bench`.

The budget (docs/architecture.md §4): every list is a Query whose cost grows with the page,
not with the tenant, so a page of 25 reads at most 25 items (per row: a member's person is
a second) plus a small constant, at both sizes. Each page is measured warm: one uncounted
call first, as a warm Lambda has its caches (tenant settings) filled.

Creating 100,000 entities through the API takes hours on moto (one transaction each), so
each list is filled the way tests/bench/sales_reports.py fills aggregates: a few entities
are created through the API, and the rest are written with BatchWriteItem as items the
feature's own repository builds (its `new_record` and index functions), from the document
of an API-created one with a new id and time. Before seeding, the item the repository builds
for an API-created entity's own id and time must carry exactly the keys the API wrote
(PK/SK, every GSI, DUE, TENANT): the seeded items sit on the same indexes in the same shape.

Each route is measured in a moto of its own (moto's GSI Query walks the whole table, and
100,000 items of several kinds in one moto cost memory and minutes per Query). Items read
are DynamoDB's ScannedCount of each Query, a GetItem's item, and (added here, CallCounter
does not count them) the items a BatchGetItem returned.

    python -m tests.bench.list_pages                    # every route, both sizes
    python -m tests.bench.list_pages contacts tickets   # some routes
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import tests.conftest  # noqa: E402,F401  (the test stage's environment, moto imported first)
from tests.bench.aws import FreshAws, fresh_aws  # noqa: E402
from tests.support.services import load_app  # noqa: E402

Row = tuple[str, str, str, str]
SIZES = (1_000, 100_000)
PAGE = 25
#: Beyond its rows (and what each row joins), a page may read a few items: settings, the
#: parent (a segment), the next page's probe.
PAGE_CONSTANT = 10
API_CREATED = 3
KEY_ATTRIBUTES = ("PK", "SK", *(f"GSI{n}{k}" for n in range(1, 6) for k in ("PK", "SK")),
                  "DUEPK", "DUESK", "TENANTPK", "TENANTSK")
START = datetime(2025, 1, 1, tzinfo=UTC)


def stamp(n: int) -> str:
    """The n-th seeded entity's time: a second apart, all older than the API-created ones."""
    moment = START + timedelta(seconds=n)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seeded_id(template_id: str, n: int) -> str:
    """An id of the template's type (`con_`, `lea_`, ...): 26 Crockford digits, as a ULID."""
    return f"{template_id.split('_', 1)[0]}_{n:026d}"


def renamed(value: Any, old: str, new: str) -> Any:
    """A deep copy of a document with one id replaced by another (an entity names itself)."""
    return json.loads(json.dumps(value).replace(old, new))


def key_shape(item: Any) -> dict[str, Any]:
    """The key attributes an item is written with (serialize() fills the TENANT keys)."""
    written = item.serialize()
    return {name: written.get(name) for name in KEY_ATTRIBUTES if name in written}


@dataclass
class Seeder:
    """One list route and how to fill it: `build(id, time)` returns the items of one
    entity as the feature's repository builds them."""

    key: str
    label: str
    noun: str
    service: str
    path: str
    template_id: str
    stored: list[Any]
    build: Callable[[str, str], list[Any]]
    created: int = API_CREATED
    #: Items read per row: 1, or 2 for a row joined to another item (a member's person).
    reads_per_row: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def budget(self) -> int:
        return self.reads_per_row * PAGE + PAGE_CONSTANT


def _created(reply: Any, id_field: str) -> str:
    assert reply.status == 201, reply.json
    return str(reply.json[id_field])


# ---------------------------------------------------------------- the routes


def contacts(env: FreshAws, tenant: Any) -> Seeder:
    client = env.clients["contacts"]
    ids = [_created(client.post("/contacts", {
        "first_name": f"Api{n}", "last_name": "Bench",
        "emails": [{"address": f"api{n}@example.com"}],
        "phones": [{"number": f"+1415555010{n}"}], "tags": ["bench"], "lifecycle_stage": "lead",
    }, token=tenant.admin_token), "contact_id") for n in range(API_CREATED)]
    from chalicelib.contacts import repository

    template = repository.get(tenant.tenant_id, ids[0])
    assert template is not None

    def build(contact_id: str, now: str) -> list[Any]:
        item = repository.new_record(tenant.tenant_id, contact_id,
                                     renamed(template.doc, ids[0], contact_id), now)
        item.version = template.version
        return [item]

    return Seeder("contacts", "GET /contacts?limit=25", "contacts", "contacts",
                  "/contacts?limit=25", ids[0], [template], build)


def companies(env: FreshAws, tenant: Any) -> Seeder:
    client = env.clients["contacts"]
    ids = [_created(client.post("/companies", {
        "name": f"Api {n} Ltd", "domain": f"api{n}.example.com", "industry": "Software",
    }, token=tenant.admin_token), "company_id") for n in range(API_CREATED)]
    from chalicelib.companies import repository

    template = repository.get(tenant.tenant_id, ids[0])
    assert template is not None

    def build(company_id: str, now: str) -> list[Any]:
        item = repository.new_record(tenant.tenant_id, company_id,
                                     renamed(template.doc, ids[0], company_id), now)
        item.version = template.version
        return [item]

    return Seeder("companies", "GET /companies?limit=25", "companies", "contacts",
                  "/companies?limit=25", ids[0], [template], build)


def leads(env: FreshAws, tenant: Any) -> Seeder:
    client = env.clients["sales"]
    ids = [_created(client.post("/leads", {
        "name": f"Api Lead {n}", "email": f"lead{n}@example.com", "company_name": "Api Co",
        "source": "web",
    }, token=tenant.admin_token), "lead_id") for n in range(API_CREATED)]
    env.settle()  # assignment rules run on LeadCreated
    load_app("sales")
    from chalicelib.leads import repository

    template = repository.get(tenant.tenant_id, ids[0])
    assert template is not None

    def build(lead_id: str, now: str) -> list[Any]:
        item = repository.new_record(tenant.tenant_id, lead_id,
                                     renamed(template.doc, ids[0], lead_id), now)
        item.version = template.version
        return [item]

    return Seeder("leads", "GET /leads?limit=25", "leads", "sales", "/leads?limit=25", ids[0],
                  [template], build)


def opportunities(env: FreshAws, tenant: Any) -> Seeder:
    client = env.clients["sales"]
    ids = [_created(client.post("/opportunities", {
        "name": f"Api Deal {n}", "amount": {"amount": 100_000 + n, "currency": "USD"},
        "expected_close_date": "2026-12-15",
    }, token=tenant.admin_token), "opportunity_id") for n in range(API_CREATED)]
    from chalicelib.opportunities import repository

    template = repository.get(tenant.tenant_id, ids[0])
    assert template is not None

    def build(opportunity_id: str, now: str) -> list[Any]:
        item = repository.new_record(tenant.tenant_id, opportunity_id, now)
        item.doc = renamed(template.doc, ids[0], opportunity_id)
        item.stage_entered_at, item.stage_seq = now, template.stage_seq
        item.version = template.version
        repository.index_record(item)
        return [item]

    return Seeder("opportunities", "GET /opportunities?limit=25", "deals", "sales",
                  "/opportunities?limit=25", ids[0], [template], build)


def tickets(env: FreshAws, tenant: Any) -> Seeder:
    client = env.clients["service"]
    ids = [_created(client.post("/tickets", {
        "subject": f"Api ticket {n}", "priority": "high",
    }, token=tenant.admin_token), "ticket_id") for n in range(API_CREATED)]
    from chalicelib.sla import clock
    from chalicelib.tickets import repository
    from chalicelib.tickets.models import TicketShadowItem

    template = repository.get(tenant.tenant_id, ids[0])
    assert template is not None
    shadow = TicketShadowItem.get(template.PK, repository.SHADOW)

    def build(ticket_id: str, now: str) -> list[Any]:
        doc = renamed(template.doc, ids[0], ticket_id)
        item = repository.new_record(tenant.tenant_id, ticket_id, doc, now)
        shadow = repository.index(item, clock.next_due(doc.get("sla_state") or {}))
        item.version = template.version  # the API's save counted it up from none
        return [item, shadow]

    return Seeder("tickets", "GET /tickets?limit=25", "tickets", "service",
                  "/tickets?limit=25", ids[0], [template, shadow], build)


def segment_members(env: FreshAws, tenant: Any) -> Seeder:
    """A static segment's members; each page also reads its members' people (BatchGetItem)."""
    people = [_created(env.clients["contacts"].post("/contacts", {
        "first_name": f"Api{n}", "emails": [{"address": f"member{n}@example.com"}],
    }, token=tenant.admin_token), "contact_id") for n in range(API_CREATED)]
    env.settle()  # marketing learns of the contacts (ContactCreated)
    client = env.clients["marketing"]
    segment_id = _created(client.post("/segments", {"name": "Bench list", "kind": "static"},
                                      token=tenant.admin_token), "segment_id")
    added = client.post(f"/segments/{segment_id}/members", {"contact_ids": people},
                        token=tenant.admin_token)
    assert added.status == 200 and added.json["added"] == API_CREATED, added.json
    load_app("marketing")
    from chalicelib.audience import repository as audience
    from chalicelib.segments import repository
    from chalicelib.segments.models import MemberItem

    person = audience.get_person(tenant.tenant_id, people[0])
    member = MemberItem.get(repository.members_pk(tenant.tenant_id, segment_id), people[0])
    assert person is not None

    def build(contact_id: str, now: str) -> list[Any]:
        twin = audience.new_person(tenant.tenant_id, contact_id)
        for name in ("doc", "email", "phone", "contact_updated_at"):
            setattr(twin, name, renamed(getattr(person, name), people[0], contact_id))
        twin.version = person.version
        audience.index_person(twin)
        return [repository.new_member(tenant.tenant_id, segment_id, contact_id, now), twin]

    return Seeder("members", "GET /segments/{id}/members?limit=25", "members", "marketing",
                  f"/segments/{segment_id}/members?limit=25", people[0], [member, person],
                  build, reads_per_row=2,
                  notes=["each member is joined to its person (one BatchGetItem of 25)"])


CASES: dict[str, Callable[[FreshAws, Any], Seeder]] = {
    "contacts": contacts, "companies": companies, "leads": leads,
    "opportunities": opportunities, "tickets": tickets, "members": segment_members,
}


# ---------------------------------------------------------------- the measurement


def check_shapes(seeder: Seeder) -> None:
    """The repository's items for an API-created entity's own id and time carry exactly the
    keys the API wrote; otherwise the seeded list would not be the list the route reads."""
    times = (getattr(item, "created_at", None) or getattr(item, "added_at", None)
             for item in seeder.stored)
    now = min(str(moment) for moment in times if moment)
    built = seeder.build(seeder.template_id, now)
    for stored, made in zip(seeder.stored, built, strict=True):
        assert key_shape(stored) == key_shape(made), (seeder.key, key_shape(stored),
                                                      key_shape(made))


def seed(seeder: Seeder, start: int, stop: int) -> float:
    """Write entities start..stop-1 with BatchWriteItem; returns the seconds it took."""
    started = time.monotonic()
    with ExitStack() as stack:
        batches: dict[type, Any] = {}
        for n in range(start, stop):
            for item in seeder.build(seeded_id(seeder.template_id, n), stamp(n)):
                kind = type(item)
                if kind not in batches:
                    batches[kind] = stack.enter_context(kind.batch_write())
                batches[kind].save(item)
    return time.monotonic() - started


@contextmanager
def counting_batch_gets(counter: Any) -> Iterator[None]:
    """Inside counter.counting(): add the items each BatchGetItem returned to items_read."""
    import botocore.client

    inner = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        result = inner(client, operation, params)
        if operation == "BatchGetItem":
            counter.items_read += sum(len(v) for v in result.get("Responses", {}).values())
        return result

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = inner  # type: ignore[method-assign]


def measure(case: Callable[[FreshAws, Any], Seeder], counter: Any,
            sizes: tuple[int, ...] = SIZES) -> list[Row]:
    """One route in a moto of its own: the page's cost at each size, then a verdict."""
    rows: list[Row] = []
    with fresh_aws() as env:
        tenant = env.tenants.create()
        env.settle()  # every service's tenant defaults (pipelines, SLA policies, settings)
        seeder = case(env, tenant)
        env.settle()
        load_app(seeder.service)
        check_shapes(seeder)
        client, have, found = env.clients[seeder.service], seeder.created, []
        for size in sizes:
            load_app(seeder.service)
            seconds = seed(seeder, have, size) if size > have else 0.0
            have = max(have, size)
            client.get(seeder.path, token=tenant.admin_token)  # warm: caches filled, as a
            # warm Lambda's are (a settings cache that expired during a long seed is not
            # the page's cost)
            with counter.counting(), counting_batch_gets(counter):
                started = time.perf_counter()
                reply = client.get(seeder.path, token=tenant.admin_token)
                took = time.perf_counter() - started
            assert reply.status == 200, (seeder.label, reply.json)
            got = len(reply.json["items"])
            dynamo, items = counter.by_service("dynamodb:"), counter.items_read
            found.append(items)
            rows.append((f"{seeder.label} with {size:,} {seeder.noun}", str(dynamo), str(items),
                         f"{got} returned; {counter.summary()}; seeded {size - seeder.created:,}"
                         f" in {seconds:.0f} s, the page took {took:.1f} s on moto"))
            if got != PAGE:
                rows[-1] = (*rows[-1][:3], f"MISS: {got} items, not {PAGE}; {rows[-1][3]}")
    within = max(found) <= seeder.budget
    verdict = f"within budget (at most {seeder.budget} at every size): reads the page" \
        if within else (f"OVER BUDGET: reads {found[-1]} items at {sizes[-1]:,} and"
                        f" {found[0]} at {sizes[0]:,} (budget: at most {seeder.budget})")
    rows.append((f"{seeder.label}: {sizes[-1]:,} vs {sizes[0]:,} {seeder.noun}", "",
                 f"x{found[-1] / max(found[0], 1):.2f} items",
                 "; ".join([verdict, *seeder.notes])))
    return rows


def list_page_rows(counter: Any, routes: tuple[str, ...] = tuple(CASES),
                   sizes: tuple[int, ...] = SIZES) -> list[Row]:
    """The list-page rows of `make bench`: each route at each size, then its verdict."""
    rows: list[Row] = []
    for key in routes:
        rows += measure(CASES[key], counter, sizes)
    return rows


if __name__ == "__main__":
    from tests.bench.run import CallCounter

    wanted = tuple(a for a in sys.argv[1:] if not a.isdigit()) or tuple(CASES)
    chosen = tuple(int(a) for a in sys.argv[1:] if a.isdigit()) or SIZES
    began = time.monotonic()
    for key in wanted:
        for row in list_page_rows(CallCounter(), (key,), chosen):
            print("| " + " | ".join(row) + " |", flush=True)
    print(f"\n{len(wanted)} routes in {time.monotonic() - began:.0f} s")
