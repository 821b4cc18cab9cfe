"""Assignment rules: editing, dry runs, routing new leads by user, round robin, least loaded,
capacity caps, first-touch tasks, and conflicts between concurrent assignments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.sales.test_leads import outbox
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.services import load_app

PATH = "/leads/assignment-rules"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def invite(platform: ApiClient, tenant: Tenant, **fields: Any) -> str:
    reply = platform.post("/users", {"email": f"{unique('rep-')}@example.com",
                                     "roles": ["sales_rep"], **fields}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["user_id"])


def team_of(platform: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
            size: int) -> tuple[str, list[str]]:
    reps = sorted(invite(platform, tenant) for _ in range(size))
    reply = platform.post("/teams", {"name": unique("Squad "), "member_ids": reps},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    settle(runtimes)
    return str(reply.json["team_id"]), reps


def put_rules(sales: ApiClient, tenant: Tenant, rules: list[dict[str, Any]]) -> Any:
    reply = sales.request("PUT", PATH, {"rules": rules}, token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return reply.json


def source_is(source: str) -> list[dict[str, Any]]:
    return [{"filters": [{"field": "source", "operator": "eq", "value": source}]}]


def lead(sales: ApiClient, tenant: Tenant, **fields: Any) -> str:
    reply = sales.post("/leads", {"name": unique("Lead "), **fields}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["lead_id"])


def read(sales: ApiClient, tenant: Tenant, lead_id: str) -> dict[str, Any]:
    return dict(sales.get(f"/leads/{lead_id}", token=tenant.admin_token).json)


def test_round_robin_with_first_touch_tasks(sales: ApiClient, platform: ApiClient,
                                            tenant: Tenant, session: Any,
                                            runtimes: dict[str, Any]) -> None:
    team, reps = team_of(platform, tenant, runtimes, 3)
    source = unique("rr")
    saved = put_rules(sales, tenant, [{"name": "Round robin", "filter_groups": source_is(source),
                                       "team_id": team, "first_touch_minutes": 30}])
    rule_id = saved["rules"][0]["rule_id"]
    assert rule_id.startswith("asr_")
    made = [lead(sales, tenant, source=source) for _ in range(4)]
    assert read(sales, tenant, made[0])["assignment_status"] == "pending"
    settle(runtimes)
    owners = [read(sales, tenant, m)["owner_id"] for m in made]
    assert owners == [reps[0], reps[1], reps[2], reps[0]]
    first = read(sales, tenant, made[0])
    assert first["assignment_status"] == "assigned" and first["team_id"] == team
    tasks = sales.get(f"/tasks?lead_id={made[0]}", token=tenant.admin_token).json["items"]
    [task] = tasks
    assert task["assignee_id"] == reps[0] and task["type"] == "call"
    assert task["due_at"] > first["created_at"]


def test_least_loaded_and_capacity(sales: ApiClient, platform: ApiClient, tenant: Tenant,
                                   runtimes: dict[str, Any]) -> None:
    team, reps = team_of(platform, tenant, runtimes, 2)
    busy, free = reps
    source = unique("ll")
    # busy already owns two open leads
    for _ in range(2):
        lead(sales, tenant, owner_id=busy)
    put_rules(sales, tenant, [{"name": "Least loaded", "filter_groups": source_is(source),
                               "team_id": team, "strategy": "least_loaded", "capacity": 2}])
    one, two, three = (lead(sales, tenant, source=source) for _ in range(3))
    settle(runtimes)
    assert read(sales, tenant, one)["owner_id"] == free
    assert read(sales, tenant, two)["owner_id"] == free
    stuck = read(sales, tenant, three)
    assert stuck["owner_id"] is None and stuck["assignment_status"] == "unassigned"
    assert "capacity" in stuck["assignment_note"]
    # a disqualified lead frees its owner's slot
    sales.patch(f"/leads/{one}", {"status": "working"}, token=tenant.admin_token)
    sales.patch(f"/leads/{one}", {"status": "disqualified"}, token=tenant.admin_token)
    four = lead(sales, tenant, source=source)
    settle(runtimes)
    assert read(sales, tenant, four)["owner_id"] == free


def test_user_rules_no_match_and_owned_leads(sales: ApiClient, platform: ApiClient,
                                             tenant: Tenant, session: Any,
                                             runtimes: dict[str, Any]) -> None:
    rep = invite(platform, tenant)
    settle(runtimes)
    source = unique("vip")
    put_rules(sales, tenant, [{"name": "VIP", "user_id": rep, "filter_groups": [
        {"filters": [{"field": "source", "operator": "eq", "value": source},
                     {"field": "company_size", "operator": "in",
                      "values": ["1001-5000", "5001+"]}]}]}])
    big = lead(sales, tenant, source=source, company_size="5001+")
    small = lead(sales, tenant, source=source, company_size="1-10")
    owned = lead(sales, tenant, source=source, company_size="5001+",
                 owner_id=tenant.admin_user_id)
    assigned = outbox(session, tenant.tenant_id, "LeadAssigned")
    settle(runtimes)
    assert read(sales, tenant, big)["owner_id"] == rep
    miss = read(sales, tenant, small)
    assert miss["owner_id"] is None and miss["assignment_status"] == "unassigned"
    assert miss["assignment_note"] == "no rule matched the lead"
    kept = read(sales, tenant, owned)
    assert kept["owner_id"] == tenant.admin_user_id and kept["assignment_status"] == "manual"
    assert assigned == []


def test_lead_assigned_event_and_duplicate_delivery(sales: ApiClient, platform: ApiClient,
                                                    tenant: Tenant, session: Any,
                                                    runtimes: dict[str, Any]) -> None:
    rep = invite(platform, tenant)
    settle(runtimes)
    source = unique("dup")
    rule = put_rules(sales, tenant, [{"name": "All to one", "user_id": rep,
                                      "filter_groups": source_is(source)}])["rules"][0]
    lead_id = lead(sales, tenant, source=source)
    [created] = [e for e in outbox(session, tenant.tenant_id, "LeadCreated", whole=True)
                 if e["data"]["lead_id"] == lead_id]
    # published once by the relay, and twice more by hand: one effect
    load_app("sales")
    runtimes["sales"].pump_stream()
    for _ in range(2):
        put_bus_event(session, "crm.sales", "LeadCreated", created)
    while runtimes["sales"].pump_queue():
        pass
    [assigned] = [e for e in outbox(session, tenant.tenant_id, "LeadAssigned")
                  if e["lead_id"] == lead_id]
    assert assigned["owner_id"] == rep and assigned["rule_id"] == rule["rule_id"]
    assert assigned["task_id"].startswith("tsk_")
    settle(runtimes)
    tasks = sales.get(f"/tasks?lead_id={lead_id}", token=tenant.admin_token).json["items"]
    assert [t["task_id"] for t in tasks] == [assigned["task_id"]]


def test_concurrent_assignments_conflict_and_retry(tenant: Tenant, sales: ApiClient,
                                                   platform: ApiClient,
                                                   runtimes: dict[str, Any]) -> None:
    """Two routings read the same pointer and loads; the second commit fails on its
    conditions (SQS would retry it), and its retry picks the next rep."""
    team, reps = team_of(platform, tenant, runtimes, 2)
    source = unique("race")
    put_rules(sales, tenant, [{"name": "Race", "filter_groups": source_is(source),
                               "team_id": team, "capacity": 5}])
    first, second = lead(sales, tenant, source=source), lead(sales, tenant, source=source)
    load_app("sales")
    from chalicelib.assignment import logic
    from chalicelib.assignment import repository as assignment
    from crm_shared.unit_of_work import TransactionConflict

    a, b = assignment.unit_of_work(), assignment.unit_of_work()
    logic.route(a, tenant.tenant_id, first)
    logic.route(b, tenant.tenant_id, second)  # read the same pointer and loads as `a`
    a.commit()
    with pytest.raises(TransactionConflict) as failed:
        b.commit()
    assert {"assign_pointer", "assign_load"} & set(failed.value.labels)
    retry = assignment.unit_of_work()
    logic.route(retry, tenant.tenant_id, second)
    retry.commit()
    owners = {read(sales, tenant, first)["owner_id"], read(sales, tenant, second)["owner_id"]}
    assert owners == set(reps)
    settle(runtimes)


def test_simulate_says_who_and_why_and_writes_nothing(sales: ApiClient, platform: ApiClient,
                                                      tenant: Tenant,
                                                      runtimes: dict[str, Any]) -> None:
    team, reps = team_of(platform, tenant, runtimes, 2)
    source = unique("sim")
    put_rules(sales, tenant, [
        {"name": "Never", "user_id": reps[1], "filter_groups": source_is("nothing-" + source)},
        {"name": "Sim", "team_id": team, "filter_groups": source_is(source),
         "first_touch_minutes": 15}])
    body = {"name": "Sample", "source": source}
    first = sales.post(f"{PATH}/simulate", body, token=tenant.admin_token)
    assert first.status == 200, first.json
    result = first.json
    assert result["rule_name"] == "Sim" and result["owner_id"] == reps[0]
    assert "round robin" in result["reason"] and result["first_touch_due_at"]
    assert [c["matched"] for c in result["checked"]] == [False, True]
    again = sales.post(f"{PATH}/simulate", body, token=tenant.admin_token).json
    assert again["owner_id"] == reps[0], "the dry run moved nothing"
    none = sales.post(f"{PATH}/simulate", {"name": "x", "source": "elsewhere"},
                      token=tenant.admin_token).json
    assert none["matched_rule_id"] is None and none["owner_id"] is None
    bad = sales.post(f"{PATH}/simulate", {"email": "nope"}, token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "email"


@pytest.mark.parametrize("rule, field", [
    ({"name": "x"}, "rules[0]"),
    ({"name": "x", "user_id": "usr_" + "0" * 26}, "rules[0].user_id"),
    ({"name": "x", "team_id": "tea_" + "0" * 26}, "rules[0].team_id"),
    ({"name": "x", "team_id": "tea_" + "0" * 26, "strategy": "random"}, "rules[0].strategy"),
    ({"name": "x", "team_id": "tea_" + "0" * 26, "capacity": 0}, "rules[0].capacity"),
    ({"name": "x", "team_id": "tea_" + "0" * 26, "first_touch_minutes": -1},
     "rules[0].first_touch_minutes"),
    ({"name": "x", "user_id": "usr_" + "0" * 26, "filter_groups": [
        {"filters": [{"field": "source", "operator": "between", "value": 1}]}]},
     "rules[0].filter_groups[0].filters[0].high_value"),
])
def test_bad_rules_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                           rule: dict[str, Any], field: str) -> None:
    reply = sales.request("PUT", PATH, {"rules": [rule]}, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_unknown_fields_in_conditions_and_roles(sales: ApiClient, platform: ApiClient,
                                                tenants: Tenants, tenant: Tenant,
                                                runtimes: dict[str, Any]) -> None:
    rep = invite(platform, tenant)
    settle(runtimes)
    reply = sales.request("PUT", PATH, {"rules": [{"name": "x", "user_id": rep, "filter_groups": [
        {"filters": [{"field": "salary", "operator": "eq", "value": 1}]}]}]},
        token=tenant.admin_token)
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "rules[0].filter_groups[0].filters[0].field"
    assert sales.request("PUT", PATH, {"rules": []},
                         token=tenants.user(tenant, "sales_rep")).status == 403
    current = sales.get(PATH, token=tenants.user(tenant, "sales_rep"))
    assert current.status == 200
    stale = sales.request("PUT", PATH, {"rules": []}, token=tenant.admin_token,
                          headers={"If-Match": '"999"'})
    assert stale.status == 412
    other = tenants.create("Other")
    assert sales.get(PATH, token=other.admin_token).json["rules"] == []
