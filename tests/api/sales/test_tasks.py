"""Tasks: CRUD, lists by assignee and due time, links, reminders exactly once, create_in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from crm_shared import clock
from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    tenants.user(made, "sales_rep")
    tenants.user(made, "manager")
    settle(runtimes)
    return made


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    yield
    clock.reset()


def at(minutes: float) -> str:
    return clock.iso(clock.now() + timedelta(minutes=minutes))


def make(sales: ApiClient, token: str, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/tasks", {"title": "Call back", "type": "call", **fields}, token=token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def test_create_defaults_the_assignee_to_the_caller(sales: ApiClient, tenants: Tenants,
                                                    tenant: Tenant) -> None:
    rep = tenants.user(tenant, "sales_rep")
    due = at(120)
    task = make(sales, rep, due_at=due, remind_before_minutes=30, notes="ask for budget")
    assert task["task_id"].startswith("tsk_")
    assert task["assignee_id"] == tenant.user_ids["sales_rep"]
    assert task["due_at"] == due and task["completed"] is False
    due_time = datetime.fromisoformat(due.replace("Z", "+00:00"))
    assert task["remind_at"] == clock.iso(due_time - timedelta(minutes=30))
    assert sales.get(f"/tasks/{task['task_id']}", token=rep).json == task


def test_lists_by_assignee_and_due_time(sales: ApiClient, tenants: Tenants,
                                        tenant: Tenant) -> None:
    manager = tenants.user(tenant, "manager")
    rep = tenants.user(tenant, "sales_rep")
    rep_id = tenant.user_ids["sales_rep"]
    soon = make(sales, manager, assignee_id=rep_id, due_at=at(10))
    later = make(sales, manager, assignee_id=rep_id, due_at=at(60 * 24))
    undated = make(sales, manager, assignee_id=rep_id)
    mine = [t["task_id"] for t in sales.get("/tasks?assignee=me&limit=100", token=rep)
            .json["items"]]
    assert mine.index(soon["task_id"]) < mine.index(later["task_id"]) < mine.index(
        undated["task_id"])
    before = sales.get(f"/tasks?assignee=me&due_before={at(60)}", token=rep).json["items"]
    ids = [t["task_id"] for t in before]
    assert soon["task_id"] in ids and later["task_id"] not in ids
    assert undated["task_id"] not in ids
    theirs = sales.get(f"/tasks?assignee={rep_id}&limit=100", token=manager)
    assert theirs.status == 200 and soon["task_id"] in [t["task_id"]
                                                         for t in theirs.json["items"]]
    refused = sales.get(f"/tasks?assignee={tenant.admin_user_id}", token=rep)
    assert refused.status == 403 and refused.json["errors"][0]["field"] == "assignee"
    # completing moves it to the completed list
    done = sales.patch(f"/tasks/{soon['task_id']}", {"completed": True}, token=rep)
    assert done.status == 200 and done.json["completed_at"]
    open_ids = [t["task_id"] for t in sales.get("/tasks?limit=100", token=rep).json["items"]]
    assert soon["task_id"] not in open_ids
    closed = sales.get("/tasks?completed=true", token=rep).json["items"]
    assert soon["task_id"] in [t["task_id"] for t in closed]


def test_links_list_and_validate(sales: ApiClient, tenant: Tenant) -> None:
    lead = sales.post("/leads", {"name": "Linked"}, token=tenant.admin_token).json
    task = make(sales, tenant.admin_token, links={"lead_id": lead["lead_id"]})
    listed = sales.get(f"/tasks?lead_id={lead['lead_id']}", token=tenant.admin_token).json
    assert [t["task_id"] for t in listed["items"]] == [task["task_id"]]
    missing = sales.post("/tasks", {"title": "x", "links": {"lead_id": "lea_" + "0" * 26}},
                         token=tenant.admin_token)
    assert missing.status == 422 and missing.json["errors"][0]["field"] == "links.lead_id"


@pytest.mark.parametrize("body, field", [
    ({}, "title"),
    ({"title": "x", "type": "fax"}, "type"),
    ({"title": "x", "due_at": "tomorrow"}, "due_at"),
    ({"title": "x", "due_at": "2030-01-01T10:00:00"}, "due_at"),
    ({"title": "x", "remind_before_minutes": -5}, "remind_before_minutes"),
    ({"title": "x", "assignee_id": "usr_" + "0" * 26}, "assignee_id"),
    ({"title": "x", "links": {"lead_id": "nope"}}, "links.lead_id"),
    ({"title": "x", "links": {"deal": "x"}}, "links.deal"),
    ({"title": "x", "priority": "high"}, "priority"),
])
def test_bad_tasks_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                            body: dict[str, Any], field: str) -> None:
    reply = sales.post("/tasks", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_bad_queries_and_patches(sales: ApiClient, tenant: Tenant) -> None:
    token = tenant.admin_token
    assert sales.get("/tasks?due_before=soon", token=token).json["errors"][0]["field"] == \
        "due_before"
    assert sales.get("/tasks?completed=maybe", token=token).status == 400
    assert sales.get("/tasks?lead_id=a&contact_id=b", token=token).status == 400
    task = make(sales, token)
    cleared = sales.patch(f"/tasks/{task['task_id']}", {"title": None}, token=token)
    assert cleared.status == 422 and cleared.json["errors"][0]["field"] == "title"
    stale = sales.patch(f"/tasks/{task['task_id']}", {"notes": "x"}, token=token,
                        headers={"If-Match": '"7"'})
    assert stale.status == 412
    assert sales.get("/tasks/tsk_nope", token=token).status == 404


def test_visibility_roles_and_tenants(sales: ApiClient, tenants: Tenants,
                                      tenant: Tenant) -> None:
    admins = make(sales, tenant.admin_token)
    rep = tenants.user(tenant, "sales_rep")
    assert sales.get(f"/tasks/{admins['task_id']}", token=rep).status == 404
    assert sales.patch(f"/tasks/{admins['task_id']}", {"notes": "x"}, token=rep).status == 404
    assert sales.get(f"/tasks/{admins['task_id']}",
                     token=tenants.user(tenant, "manager")).status == 200
    assert sales.post("/tasks", {"title": "x"}, token=tenants.user(tenant, "viewer")).status \
        == 403
    other = tenants.create("Other")
    assert sales.get(f"/tasks/{admins['task_id']}", token=other.admin_token).status == 404
    assert sales.delete(f"/tasks/{admins['task_id']}", token=other.admin_token).status == 404
    assert sales.delete(f"/tasks/{admins['task_id']}", token=tenant.admin_token).status == 204
    assert sales.get(f"/tasks/{admins['task_id']}", token=tenant.admin_token).status == 404


def test_reminders_fire_once_move_with_the_due_time_and_stop_when_done(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any],
        frozen_clock: None) -> None:
    token = tenant.admin_token
    settle(runtimes)
    task = make(sales, token, due_at=at(60), remind_before_minutes=15)
    done = make(sales, token, due_at=at(60), remind_before_minutes=15)
    sales.patch(f"/tasks/{done['task_id']}", {"completed": True}, token=token)
    created = outbox(session, tenant.tenant_id, "TaskCreated")
    assert {t["task_id"] for t in created} >= {task["task_id"], done["task_id"]}
    assert [c["task_id"] for c in outbox(session, tenant.tenant_id, "TaskCompleted")] == [
        done["task_id"]]

    def reminders() -> list[dict[str, Any]]:
        return [e for e in outbox(session, tenant.tenant_id, "TaskDue")
                if e["task_id"] in {task["task_id"], done["task_id"]}]

    runtimes["sales"].tick()
    assert reminders() == [], "not due yet"
    clock.advance(46 * 60)
    runtimes["sales"].tick()
    runtimes["sales"].tick()
    [due] = reminders()
    assert due["task_id"] == task["task_id"] and due["assignee_id"] == tenant.admin_user_id
    assert due["remind_at"] == task["remind_at"] and due["task"]["due_at"] == task["due_at"]

    # an unrelated edit does not announce it again; a new due time does
    sales.patch(f"/tasks/{task['task_id']}", {"notes": "still due"}, token=token)
    runtimes["sales"].tick()
    assert len(reminders()) == 1
    sales.patch(f"/tasks/{task['task_id']}", {"due_at": at(30)}, token=token)
    clock.advance(20 * 60)
    runtimes["sales"].tick()
    assert len(reminders()) == 2
    settle(runtimes)
    # a completed task is never announced
    later = make(sales, token, due_at=at(10))
    sales.patch(f"/tasks/{later['task_id']}", {"completed": True}, token=token)
    clock.advance(20 * 60)
    runtimes["sales"].tick()
    assert [e for e in outbox(session, tenant.tenant_id, "TaskDue")
            if e["task_id"] == later["task_id"]] == []


def test_create_in_stages_a_task_in_another_transaction(tenant: Tenant) -> None:
    load_app("sales")
    from chalicelib.tasks import logic, repository

    uow = repository.unit_of_work()
    shown = logic.create_in(uow, tenant.tenant_id, {"title": "First touch", "type": "call",
                                                    "assignee_id": tenant.admin_user_id})
    assert repository.get(tenant.tenant_id, shown["task_id"]) is None, "nothing before commit"
    uow.commit()
    assert repository.get(tenant.tenant_id, shown["task_id"]).doc["title"] == "First touch"


def test_a_merge_repoints_every_task_once_however_many(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    """More tasks than one page of the contact's link index (and than a transaction holds)
    all link to the survivor, each changed once though the event is delivered again."""
    from crm_shared.events.contacts_events import ContactMerged
    from crm_shared.ids import new_id
    from tests.api.sales.test_orders import deliver

    load_app("sales")
    from chalicelib.tasks import logic, repository

    loser, survivor = new_id("con"), new_id("con")
    made = []
    for start in range(0, 105, 45):  # 2 items each: the task and TaskCreated
        uow = repository.unit_of_work()
        made += [logic.create_in(uow, tenant.tenant_id, {
            "title": f"Call {n}", "links": {"contact_id": loser}})["task_id"]
            for n in range(start, min(start + 45, 105))]
        uow.commit()
    settle(runtimes)
    merged = ContactMerged(contact_id=survivor, merged_ids=[loser],
                           contact={"contact_id": survivor})
    deliver(session, tenant.tenant_id, merged, 2)
    settle(runtimes)

    def linked(contact_id: str) -> dict[str, dict[str, Any]]:
        found, cursor = {}, ""
        while True:
            page = sales.get(f"/tasks?contact_id={contact_id}&limit=100{cursor}",
                             token=tenant.admin_token).json
            found |= {t["task_id"]: t for t in page["items"]}
            if not page["next_cursor"]:
                return found
            cursor = f"&cursor={page['next_cursor']}"

    moved = linked(survivor)
    assert sorted(moved) == sorted(made)
    assert all(t["links"] == {"contact_id": survivor} for t in moved.values())
    assert {t["version"] for t in moved.values()} == {2}, "each task moved once"
    assert linked(loser) == {}
    deliver(session, tenant.tenant_id, merged)  # once more, after it was handled
    settle(runtimes)
    assert linked(survivor) == moved, "a redelivered merge changes nothing"


def test_an_erasure_unlinks_every_task_once_however_many(
        sales: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any],
        aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """More tasks than one page of the erased contact's link index, in more than one chunk,
    lose the link (the tasks stay, with their other links), and the person's name and email
    leave their text and that of their lead's tasks (assignment's "First touch: <name>"):
    no task item holds them; a redelivery changes nothing."""
    from crm_shared.events.contacts_events import ContactErased
    from crm_shared.ids import new_id
    from tests.api.sales.test_contracts import raw_items_holding
    from tests.api.sales.test_orders import deliver

    load_app("sales")
    from chalicelib.leads import logic as leads
    from chalicelib.leads import repository as lead_store
    from chalicelib.tasks import logic, repository

    monkeypatch.setattr(logic, "LINK_PAGE", 4)
    monkeypatch.setattr(logic, "CHUNK", 5)
    erased, opportunity = new_id("con"), new_id("opp")
    email = f"{new_id('x').lower()}@erasure.example"
    lead = sales.post("/leads", {"name": "Perpetua Ashgrove", "email": email},
                      token=tenant.admin_token).json
    uow = lead_store.unit_of_work()
    leads.stage_save(uow, lead_store.get(tenant.tenant_id, lead["lead_id"], consistent=True),
                     {"contact_id": erased})
    uow.commit()
    uow = repository.unit_of_work()
    made = [logic.create_in(uow, tenant.tenant_id, {
        "title": f"Call {n}", "links": {"contact_id": erased} | (
            {"opportunity_id": opportunity} if n % 4 == 0 else {})})["task_id"]
        for n in range(13)]
    made.append(logic.create_in(uow, tenant.tenant_id, {
        "title": "Call perpetua ashgrove back", "notes": f"writes from {email}.",
        "links": {"contact_id": erased}})["task_id"])
    first_touch = logic.create_in(uow, tenant.tenant_id, {
        "title": "First touch: Perpetua Ashgrove", "links": {"lead_id": lead["lead_id"]}})
    uow.commit()
    settle(runtimes)
    assert len(raw_items_holding(aws, session, "TASK", erased)) == 14
    erasure = ContactErased(contact_id=erased, erased_at="2031-01-01T00:00:00Z")
    deliver(session, tenant.tenant_id, erasure, 2)
    settle(runtimes)

    def tasks() -> dict[str, dict[str, Any]]:
        return {t: sales.get(f"/tasks/{t}", token=tenant.admin_token).json
                for t in [*made, first_touch["task_id"]]}

    after = tasks()
    assert all(t["version"] == 2 for t in after.values()), "each task changed once"
    assert {t: after[t]["links"] for t in made} == {
        t: ({"opportunity_id": opportunity} if n % 4 == 0 else {})
        for n, t in enumerate(made)}
    assert after[made[-1]]["title"] == "Call [erased] back"
    assert after[made[-1]]["notes"] == "writes from [erased]."
    assert after[first_touch["task_id"]]["title"] == "First touch: [erased]"
    assert after[first_touch["task_id"]]["links"] == {"lead_id": lead["lead_id"]}
    assert sales.get(f"/tasks?contact_id={erased}",
                     token=tenant.admin_token).json["items"] == []
    for needle in (erased, "Ashgrove", email):
        assert raw_items_holding(aws, session, "TASK", needle) == []
    deliver(session, tenant.tenant_id, erasure)  # once more, after it was handled
    settle(runtimes)
    assert tasks() == after, "a redelivered erasure changes nothing"
