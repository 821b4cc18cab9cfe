"""A person with more tickets, returns and KB votes than one event delivery changes: the
rest goes on in continuation jobs on the service's jobs queue, not in redeliveries of the
event (the events queue sends an event to its DLQ after 5 receives, half done).

The per-delivery budget is patched down to one page of two records, so five records of a
kind need three rounds. Every record changes exactly once (its version moves by one), the
event is acknowledged on its first delivery, and a redelivered event or a duplicated job
message changes nothing and queues nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from crm_shared import observability
from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.events.envelope import Event, envelope_for
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, queue_depth, settle
from tests.support.services import load_app

TABLE = "crm-test-service"
LINE = {"sku": "MUG-1", "product_name": "Blue mug", "quantity": 1, "reason": "damaged"}
EACH = 5  # records of each kind: more than a page (2) of the budget (1 page) can hold
PAGE = 2


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(detail type, outcome) of every event the consumers handled, failed or ignored."""
    seen: list[tuple[str, str]] = []
    original = observability.record_event

    def spy(service: str, *, detail_type: str, outcome: str, **kw: Any) -> None:
        if service == "service":
            seen.append((detail_type, outcome))
        original(service, detail_type=detail_type, outcome=outcome, **kw)

    monkeypatch.setattr(observability, "record_event", spy)
    return seen


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """One page of two records a delivery; yields the job messages the service queued."""
    load_app("service")
    tickets = importlib.import_module("chalicelib.tickets.handlers")
    returns = importlib.import_module("chalicelib.returns.handlers")
    kb = importlib.import_module("chalicelib.kb.handlers")
    for module in (tickets, returns, kb):
        monkeypatch.setattr(module, "ROUNDS", 1)
    monkeypatch.setattr(kb, "CHUNK", PAGE)
    for repository in (tickets.repository, returns.repository):
        monkeypatch.setattr(repository, "by_contact", _paged(repository.by_contact))
    sent: list[dict[str, Any]] = []
    jobs = importlib.import_module("chalicelib.jobs")
    original = jobs.queue.send

    def spy(*messages: dict[str, Any]) -> None:
        sent.extend(messages)
        original(*messages)

    monkeypatch.setattr(jobs.queue, "send", spy)
    yield sent
    load_app("service")


def _paged(by_contact: Callable[..., Any]) -> Callable[..., Any]:
    def small(tenant_id: str, contact_id: str, limit: int = PAGE) -> Any:
        return by_contact(tenant_id, contact_id, PAGE)
    return small


def deliver(session: Any, envelope: dict[str, Any], event: Event) -> None:
    put_bus_event(session, event.source, event.detail_type(), envelope)


def ticket(service: ApiClient, tenant: Tenant, contact_id: str | None) -> str:
    body: dict[str, Any] = {"subject": "Ana Diaz cannot log in",
                            "description": "Ana's phone is +34 600 000 000"}
    if contact_id:
        body["contact_id"] = contact_id
    made = service.post("/tickets", body, token=tenant.admin_token)
    assert made.status == 201, made.json
    return str(made.json["ticket_id"])


def a_return(service: ApiClient, tenant: Tenant, case: str, contact_id: str) -> str:
    made = service.post("/returns", {"ticket_id": case, "order_id": new_id("ord"),
                                     "contact_id": contact_id, "notes": "Ana's flat 4B",
                                     "lines": [{**LINE, "comment": "Ana dropped it"}]},
                        token=tenant.admin_token)
    assert made.status == 201, made.json
    return str(made.json["return_id"])


def read(service: ApiClient, tenant: Tenant, path: str) -> tuple[dict[str, Any], str]:
    reply = service.get(path, token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json), str(reply.header("ETag"))


def bumped(before: str) -> str:
    return f'"{int(before.strip(chr(34))) + 1}"'


def votes_of(session: Any, tenant: Tenant, contact_id: str) -> int:
    found = session.client("dynamodb").query(
        TableName=TABLE, IndexName="GSI1", KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"T#{tenant.tenant_id}#KB_VOTER#{contact_id}"}})
    return int(found["Count"])


def duplicate(sent: list[dict[str, Any]]) -> None:
    """Queue every job message again, as an at-least-once queue may."""
    load_app("service")
    jobs = importlib.import_module("chalicelib.jobs")
    type(jobs.queue).send(jobs.queue, *sent)


def test_erasure_goes_on_in_jobs_and_changes_each_record_once(
        service: ApiClient, session: Any, tenant: Tenant, aws: dict[str, Any],
        runtimes: dict[str, Any], small_budget: list[dict[str, Any]],
        outcomes: list[tuple[str, str]]) -> None:
    ana, bob = new_id("con"), new_id("con")
    hers = [ticket(service, tenant, ana) for _ in range(EACH)]
    his = ticket(service, tenant, bob)
    service.post(f"/tickets/{hers[-1]}/comments", {"body": "I am Ana",
                                                   "author_contact_id": ana},
                 token=tenant.admin_token)
    case = ticket(service, tenant, None)
    returns = [a_return(service, tenant, case, ana) for _ in range(EACH)]
    articles = []
    for number in range(EACH):
        made = service.post("/kb/articles", {"title": f"Mugs {number}", "body": "Care."},
                            token=tenant.admin_token).json
        path = f"/kb/articles/{made['article_id']}"
        service.post(f"{path}/publish", token=tenant.admin_token)
        assert service.post(f"{path}/votes", {"helpful": True, "contact_id": ana},
                            token=tenant.admin_token).status == 201
        articles.append(path)
    settle(runtimes)
    tickets_before = {t: read(service, tenant, f"/tickets/{t}")[1] for t in hers}
    returns_before = {r: read(service, tenant, f"/returns/{r}")[1] for r in returns}
    assert votes_of(session, tenant, ana) == EACH

    event = ContactErased(contact_id=ana, erased_at="2026-01-01T00:00:00Z")
    envelope = envelope_for(event, tenant.tenant_id, "system").model_dump(mode="json")
    deliver(session, envelope, event)
    settle(runtimes)

    # acknowledged on its first delivery: no failure, no retry, nothing in a DLQ
    assert [o for d, o in outcomes if d == "ContactErased"] == ["handled"]
    own = aws["services"]["service"]
    assert queue_depth(session, own["dlq_url"]) == 0
    kinds = sorted(m["kind"] for m in small_budget)
    assert kinds == ["kb.erase_votes"] * 2 + ["returns.erase"] * 2 + ["tickets.erase"] * 2
    assert {m["tenant_id"] for m in small_budget} == {tenant.tenant_id}
    for ticket_id, etag in tickets_before.items():
        body, now = read(service, tenant, f"/tickets/{ticket_id}")
        assert body["erased"] and body["contact_id"] is None and body["subject"] == "[erased]"
        assert now == bumped(etag), ticket_id  # changed exactly once
    comments = service.get(f"/tickets/{hers[-1]}/comments", token=tenant.admin_token).json
    assert [(c["body"], c["erased"]) for c in comments["items"]] == [(None, True)]
    for return_id, etag in returns_before.items():
        body, now = read(service, tenant, f"/returns/{return_id}")
        assert body["erased"] and body["contact_id"] is None and body["notes"] is None
        assert "comment" not in body["lines"][0]
        assert now == bumped(etag), return_id
    assert votes_of(session, tenant, ana) == 0
    for path in articles:  # the counts stay: they hold no one
        assert read(service, tenant, path)[0]["helpful_count"] == 1
    untouched, _ = read(service, tenant, f"/tickets/{his}")
    assert untouched["contact_id"] == bob and not untouched.get("erased")

    # a redelivered event and duplicated job messages change nothing and queue nothing
    queued = len(small_budget)
    deliver(session, envelope, event)
    duplicate(small_budget)
    settle(runtimes)
    assert [o for d, o in outcomes if d == "ContactErased"] == ["handled", "duplicate"]
    assert len(small_budget) == queued
    for ticket_id, etag in tickets_before.items():
        assert read(service, tenant, f"/tickets/{ticket_id}")[1] == bumped(etag)
    for return_id, etag in returns_before.items():
        assert read(service, tenant, f"/returns/{return_id}")[1] == bumped(etag)
    assert queue_depth(session, own["dlq_url"]) == 0


def test_merge_goes_on_in_jobs_and_moves_each_record_once(
        service: ApiClient, session: Any, tenant: Tenant, aws: dict[str, Any],
        runtimes: dict[str, Any], small_budget: list[dict[str, Any]],
        outcomes: list[tuple[str, str]]) -> None:
    survivor, first, second = new_id("con"), new_id("con"), new_id("con")
    kept = ticket(service, tenant, survivor)
    moved = [ticket(service, tenant, first) for _ in range(3)] + [
        ticket(service, tenant, second) for _ in range(EACH - 3)]
    case = ticket(service, tenant, None)
    returns = [a_return(service, tenant, case, first) for _ in range(EACH)]
    settle(runtimes)
    tickets_before = {t: read(service, tenant, f"/tickets/{t}")[1] for t in moved}
    returns_before = {r: read(service, tenant, f"/returns/{r}")[1] for r in returns}

    event = ContactMerged(contact_id=survivor, merged_ids=[first, second],
                          contact={"contact_id": survivor})
    envelope = envelope_for(event, tenant.tenant_id, "system").model_dump(mode="json")
    deliver(session, envelope, event)
    settle(runtimes)

    assert [o for d, o in outcomes if d == "ContactMerged"] == ["handled"]
    assert queue_depth(session, aws["services"]["service"]["dlq_url"]) == 0
    assert {m["kind"] for m in small_budget} == {"tickets.merge", "returns.merge"}
    for ticket_id, etag in tickets_before.items():
        body, now = read(service, tenant, f"/tickets/{ticket_id}")
        assert body["contact_id"] == survivor and now == bumped(etag), ticket_id
    for return_id, etag in returns_before.items():
        body, now = read(service, tenant, f"/returns/{return_id}")
        assert body["contact_id"] == survivor and now == bumped(etag), return_id
    assert read(service, tenant, f"/tickets/{kept}")[0]["contact_id"] == survivor

    queued = len(small_budget)
    deliver(session, envelope, event)
    duplicate(small_budget)
    settle(runtimes)
    assert [o for d, o in outcomes if d == "ContactMerged"] == ["handled", "duplicate"]
    assert len(small_budget) == queued
    for ticket_id, etag in tickets_before.items():
        assert read(service, tenant, f"/tickets/{ticket_id}")[1] == bumped(etag)
    for return_id, etag in returns_before.items():
        assert read(service, tenant, f"/returns/{return_id}")[1] == bumped(etag)
