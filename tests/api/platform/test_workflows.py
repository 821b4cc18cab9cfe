"""Workflows: definitions (validated, versioned, admins write and managers read), the engine
(runs with their log, commands carried out by the owning service once), loop protection
(own changes, depth, rate), waits resumed by the schedule, and simulation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.automation import with_run
from crm_shared.events.envelope import envelope_for
from crm_shared.events.platform_events import TeamChanged
from crm_shared.events.sales_events import LeadCreated
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.makers.workflows import make_workflow, runs_of

SET_TITLE = {"type": "set_field", "field": "title", "value": "Prospect"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    tenants.user(made, "manager")
    tenants.user(made, "sales_rep")
    settle(runtimes)
    return made


@pytest.fixture
def restore_clock() -> Iterator[None]:
    yield
    clock.reset()


def lead(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post("/leads", {"name": unique("Lead "), **fields}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def problem(reply: Any, status: int) -> str:
    assert reply.status == status, reply.json
    return str(reply.json["errors"][0]["field"])


# -- definitions ------------------------------------------------------------------------------

def test_create_read_replace_patch_and_delete_make_versions(
        platform: ApiClient, tenant: Tenant) -> None:
    made = make_workflow(platform, tenant.admin_token, "LeadCreated", [SET_TITLE],
                         [{"filters": [{"field": "lead.source", "operator": "eq",
                                        "value": "web"}]}], description="Tag web leads")
    path = f"/workflows/{made['workflow_id']}"
    assert made["version"] == 1 and made["enabled"] is True
    assert made["actions"] == [SET_TITLE] and made["max_runs_per_hour"] == 10
    read = platform.get(path, token=tenant.tokens["manager"])
    assert read.status == 200 and read.header("ETag") == '"1"'
    body = {k: made[k] for k in ("name", "trigger", "conditions", "actions")}
    partial = platform.request("PUT", path, {"name": "Only a name"}, token=tenant.admin_token)
    assert problem(partial, 422) == "trigger"
    replaced = platform.request("PUT", path, {**body, "name": "Renamed"},
                                token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert replaced.status == 200, replaced.json
    assert replaced.json["version"] == 2 and replaced.json["description"] is None
    stale = platform.patch(path, {"enabled": False}, token=tenant.admin_token,
                           headers={"If-Match": '"1"'})
    assert stale.status == 412
    patched = platform.patch(path, {"enabled": False}, token=tenant.admin_token,
                             headers={"If-Match": '"2"'})
    assert patched.status == 200 and patched.json["version"] == 3
    assert patched.json["enabled"] is False and patched.json["name"] == "Renamed"
    listed = platform.get("/workflows?limit=100", token=tenant.tokens["manager"]).json
    assert made["workflow_id"] in {w["workflow_id"] for w in listed["items"]}
    assert platform.delete(path, token=tenant.admin_token).status == 204
    assert platform.get(path, token=tenant.admin_token).status == 404


def test_managers_read_and_only_admins_write(platform: ApiClient, tenant: Tenant) -> None:
    body = {"name": "x", "trigger": {"event_type": "LeadCreated"}, "actions": [SET_TITLE]}
    assert platform.post("/workflows", body, token=tenant.tokens["manager"]).status == 403
    assert platform.get("/workflows", token=tenant.tokens["sales_rep"]).status == 403
    made = make_workflow(platform, tenant.admin_token, "LeadCreated", [SET_TITLE],
                         enabled=False)
    path = f"/workflows/{made['workflow_id']}"
    assert platform.patch(path, {"name": "y"}, token=tenant.tokens["manager"]).status == 403
    assert platform.get(path, token=tenant.tokens["manager"]).status == 200
    assert platform.get(f"{path}/runs", token=tenant.tokens["manager"]).status == 200
    assert platform.get(f"{path}/runs", token=tenant.tokens["sales_rep"]).status == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"trigger": {"event_type": "LeadExploded"}}, "trigger.event_type"),
    ({"trigger": {"event_type": "WorkflowActionCompleted"}}, "trigger.event_type"),
    ({"actions": [{"type": "launch_rocket"}]}, "actions[0]"),
    ({"actions": []}, "actions"),
    ({"actions": [SET_TITLE, {"type": "set_field", "field": "shoe_size", "value": 9}]},
     "actions[1].field"),
    ({"actions": [{"type": "assign_owner"}]}, "actions[0].assign_owner"),
    ({"actions": [{"type": "assign_owner", "user_id": "usr_" + "0" * 26}]},
     "actions[0].user_id"),
    ({"actions": [{"type": "assign_owner", "team_id": "tea_" + "0" * 26}]},
     "actions[0].team_id"),
    ({"actions": [{"type": "wait"}]}, "actions[0].wait"),
    ({"actions": [{"type": "add_tag", "tag": "Not A Tag!"}]}, "actions[0].add_tag.tag"),
    ({"actions": [{"type": "call_webhook", "url": "http://plain.example"}]},
     "actions[0].call_webhook.url"),
    ({"actions": [{"type": "send_message", "channel": "sms", "subject": "x", "text": "y"}]},
     "actions[0].send_message"),
    ({"conditions": [{"filters": [{"field": "lead_size", "operator": "eq", "value": 1}]}]},
     "conditions[0].filters[0].field"),
    ({"conditions": [{"filters": [{"field": "lead.source", "operator": "gt"}]}]},
     "conditions[0].filters[0].value"),
    ({"max_runs_per_hour": 0}, "max_runs_per_hour"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_definitions_are_422_naming_the_field(platform: ApiClient, tenant: Tenant,
                                                   body: dict[str, Any], field: str) -> None:
    base = {"name": "Bad", "trigger": {"event_type": "LeadCreated"}, "actions": [SET_TITLE]}
    assert problem(platform.post("/workflows", {**base, **body}, token=tenant.admin_token),
                   422) == field


def test_actions_must_fit_the_triggers_entity(platform: ApiClient, tenant: Tenant) -> None:
    on_deal = {"name": "Deal", "trigger": {"event_type": "OpportunityUpdated"}}
    tag = platform.post("/workflows", {**on_deal, "actions": [{"type": "add_tag", "tag": "x"}]},
                        token=tenant.admin_token)
    assert problem(tag, 422) == "actions[0].type"
    on_order = {"name": "Order", "trigger": {"event_type": "OrderShipped"}}
    field = platform.post("/workflows", {**on_order, "actions": [SET_TITLE]},
                          token=tenant.admin_token)
    assert problem(field, 422) == "actions[0].type"
    on_import = {"name": "Import", "trigger": {"event_type": "OpportunityImportCompleted"}}
    approval = platform.post("/workflows", {**on_import, "actions": [
        {"type": "request_approval", "reason": "why"}]}, token=tenant.admin_token)
    assert problem(approval, 422) == "actions[0].type"


def test_a_cycle_between_enabled_workflows_is_refused(platform: ApiClient,
                                                       tenants: Tenants) -> None:
    tenant = tenants.create()
    ask = {"type": "request_approval", "reason": "big discount"}
    first = make_workflow(platform, tenant.admin_token, "OpportunityUpdated", [ask])
    back = [{"type": "wait", "minutes": 5}, {"type": "set_field", "field": "probability",
                                             "value": 50}]
    refused = platform.post("/workflows", {"name": "Back", "trigger": {
        "event_type": "ApprovalRequested"}, "actions": back}, token=tenant.admin_token)
    assert refused.status == 409, refused.json
    assert refused.json["errors"][0]["field"] == "actions[1]"
    assert first["workflow_id"] in refused.json["detail"]
    disabled = platform.post("/workflows", {"name": "Back", "enabled": False, "trigger": {
        "event_type": "ApprovalRequested"}, "actions": back}, token=tenant.admin_token)
    assert disabled.status == 201, "a disabled workflow triggers nothing"
    enabling = platform.patch(f"/workflows/{disabled.json['workflow_id']}", {"enabled": True},
                              token=tenant.admin_token)
    assert problem(enabling, 409) == "actions[1]"
    # a workflow whose own change triggers itself is no cycle: the engine skips it
    make_workflow(platform, tenant.admin_token, "LeadUpdated", [SET_TITLE])


# -- runs -------------------------------------------------------------------------------------

def test_a_run_carries_out_its_actions_in_order_and_logs_them(
        platform: ApiClient, sales: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    source = unique("expo").lower()
    flow = make_workflow(platform, tenant.admin_token, "LeadCreated", [
        SET_TITLE, {"type": "add_tag", "tag": "vip"},
        {"type": "create_task", "title": "Call them", "task_type": "call",
         "due_in_minutes": 60, "assignee_id": tenant.admin_user_id}],
        [{"filters": [{"field": "lead.source", "operator": "eq", "value": source}]},
         {"filters": [{"field": "lead.industry", "operator": "eq", "value": "never"}]}])
    other = lead(sales, tenant, source="web")
    created = lead(sales, tenant, source=source)
    settle(runtimes)
    [run] = runs_of(platform, tenant.tokens["manager"], flow["workflow_id"])
    assert run["status"] == "completed" and run["workflow_version"] == 1
    assert run["trigger"]["entity_id"] == created["lead_id"] != other["lead_id"]
    assert [c["matched"] for c in run["conditions"]] == [True, False]
    assert [a["status"] for a in run["actions"]] == ["completed"] * 3
    assert [a["target_service"] for a in run["actions"]] == ["sales"] * 3
    assert run["actions"][0]["result"]["changed"] == ["title"]
    assert run["actions"][1]["result"]["tags"] == ["vip"]
    task_id = run["actions"][2]["result"]["task_id"]
    read = sales.get(f"/leads/{created['lead_id']}", token=tenant.admin_token).json
    assert read["title"] == "Prospect"
    task = sales.get(f"/tasks/{task_id}", token=tenant.admin_token).json
    assert task["links"]["lead_id"] == created["lead_id"] and task["type"] == "call"
    assert task["created_by"] == f"workflow:{flow['workflow_id']}"
    one = platform.get(f"/workflows/{flow['workflow_id']}/runs/{run['run_id']}",
                       token=tenant.admin_token)
    assert one.status == 200 and one.json == run
    elsewhere = make_workflow(platform, tenant.admin_token, "TeamChanged",
                              [{"type": "wait", "hours": 1}], enabled=False)
    assert platform.get(f"/workflows/{elsewhere['workflow_id']}/runs/{run['run_id']}",
                        token=tenant.admin_token).status == 404


def test_a_refused_action_fails_the_run_and_skips_the_rest(
        platform: ApiClient, sales: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    source = unique("refused").lower()
    flow = make_workflow(platform, tenant.admin_token, "LeadCreated", [
        {"type": "set_field", "field": "status", "value": "converted"}, SET_TITLE],
        [{"filters": [{"field": "lead.source", "operator": "eq", "value": source}]}])
    created = lead(sales, tenant, source=source)
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["status"] == "failed"
    failed, skipped = run["actions"]
    assert failed["status"] == "failed" and failed["error"]["errors"][0]["field"] == "status"
    assert skipped["status"] == "skipped"
    read = sales.get(f"/leads/{created['lead_id']}", token=tenant.admin_token).json
    assert read["status"] == "new" and read["title"] is None


def test_a_redelivered_event_starts_one_run(platform: ApiClient, session: Any,
                                            tenant: Tenant, runtimes: dict[str, Any]) -> None:
    source = unique("dup").lower()
    flow = make_workflow(platform, tenant.admin_token, "LeadCreated",
                         [{"type": "wait", "hours": 1}],
                         [{"filters": [{"field": "lead.source", "operator": "eq",
                                        "value": source}]}])
    lead_id = new_id("lea")
    event = LeadCreated(lead_id=lead_id, lead={"lead_id": lead_id, "source": source})
    detail = envelope_for(event, tenant.tenant_id, "system:test").model_dump(mode="json")
    put_bus_event(session, "crm.sales", "LeadCreated", detail)
    settle(runtimes)
    put_bus_event(session, "crm.sales", "LeadCreated", detail)
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["status"] == "waiting" and run["trigger"]["event_id"] == \
        detail["metadata"]["event_id"]


def test_a_workflow_never_sees_another_tenants_events(
        platform: ApiClient, sales: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    other = tenants.create()
    settle(runtimes)
    theirs = make_workflow(platform, other.admin_token, "LeadCreated", [SET_TITLE])
    lead(sales, tenant, source="web")
    settle(runtimes)
    assert runs_of(platform, other.admin_token, theirs["workflow_id"]) == []
    mine = platform.get(f"/workflows/{theirs['workflow_id']}/runs", token=tenant.admin_token)
    assert mine.status == 404


# -- loop protection --------------------------------------------------------------------------

def test_a_workflows_own_change_does_not_retrigger_it_but_chains_others(
        platform: ApiClient, sales: ApiClient, tenants: Tenants,
        runtimes: dict[str, Any]) -> None:
    tenant = tenants.create()
    settle(runtimes)
    created = lead(sales, tenant, source="web")
    settle(runtimes)  # assignment's LeadUpdated comes before the workflows exist
    own = make_workflow(platform, tenant.admin_token, "LeadUpdated", [
        {"type": "set_field", "field": "industry", "value": "robots"}])
    chained = make_workflow(platform, tenant.admin_token, "LeadUpdated", [
        {"type": "create_task", "title": "Robots!", "assignee_id": tenant.admin_user_id}],
        [{"filters": [{"field": "lead.industry", "operator": "eq", "value": "robots"}]}])
    patched = sales.patch(f"/leads/{created['lead_id']}", {"notes": "hello"},
                          token=tenant.admin_token)
    assert patched.status == 200, patched.json
    settle(runtimes)
    [first] = runs_of(platform, tenant.admin_token, own["workflow_id"])
    assert first["depth"] == 1 and first["caused_by_run"] is None
    assert first["status"] == "completed"
    [second] = runs_of(platform, tenant.admin_token, chained["workflow_id"])
    assert second["depth"] == 2 and second["caused_by_run"] == first["run_id"]
    assert second["status"] == "completed"
    read = sales.get(f"/leads/{created['lead_id']}", token=tenant.admin_token).json
    assert read["industry"] == "robots"


def team_event(tenant: Tenant, name: str, depth: int) -> dict[str, Any]:
    """TeamChanged caused by a chain of `depth` runs of other workflows."""
    from crm_shared import context

    correlation = None
    for _ in range(depth):
        correlation = with_run(correlation, new_id("wfl"), new_id("wfr"))
    context.begin(correlation)
    event = TeamChanged(team_id=new_id("tea"), name=name)
    detail = envelope_for(event, tenant.tenant_id, "system:test").model_dump(mode="json")
    context.begin(None)
    return detail


def test_a_chain_of_runs_stops_at_depth_five(platform: ApiClient, session: Any,
                                             tenant: Tenant, runtimes: dict[str, Any]) -> None:
    name = unique("deep-")
    flow = make_workflow(platform, tenant.admin_token, "TeamChanged",
                         [{"type": "wait", "hours": 1}],
                         [{"filters": [{"field": "name", "operator": "eq", "value": name}]}])
    put_bus_event(session, "crm.platform", "TeamChanged", team_event(tenant, name, 5))
    settle(runtimes)
    assert runs_of(platform, tenant.admin_token, flow["workflow_id"]) == []
    put_bus_event(session, "crm.platform", "TeamChanged", team_event(tenant, name, 4))
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["depth"] == 5 and run["caused_by_run"] is not None


def test_runs_per_entity_are_limited_per_hour(platform: ApiClient, sales: ApiClient,
                                              tenant: Tenant, runtimes: dict[str, Any],
                                              restore_clock: None) -> None:
    name = unique("Rated ")
    flow = make_workflow(platform, tenant.admin_token, "LeadUpdated",
                         [{"type": "wait", "hours": 5}],
                         [{"filters": [{"field": "lead.name", "operator": "eq",
                                        "value": name}]}], max_runs_per_hour=2)
    created = lead(sales, tenant, name=name)
    other = lead(sales, tenant, name=name)
    for n in range(3):
        for one in (created, other):
            reply = sales.patch(f"/leads/{one['lead_id']}", {"notes": f"n{n}"},
                                token=tenant.admin_token)
            assert reply.status == 200, reply.json
        settle(runtimes)
    runs = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    per_lead = sorted(r["trigger"]["entity_id"] for r in runs)
    assert per_lead == sorted([created["lead_id"]] * 2 + [other["lead_id"]] * 2)
    clock.advance(3600)
    sales.patch(f"/leads/{created['lead_id']}", {"notes": "later"}, token=tenant.admin_token)
    settle(runtimes)
    assert len(runs_of(platform, tenant.admin_token, flow["workflow_id"])) == 5


# -- waits, round robin, simulation -----------------------------------------------------------

def test_a_wait_resumes_from_the_schedule(platform: ApiClient, sales: ApiClient,
                                          tenant: Tenant, runtimes: dict[str, Any],
                                          restore_clock: None) -> None:
    source = unique("waits").lower()
    flow = make_workflow(platform, tenant.admin_token, "LeadCreated", [
        {"type": "wait", "minutes": 30}, SET_TITLE],
        [{"filters": [{"field": "lead.source", "operator": "eq", "value": source}]}])
    created = lead(sales, tenant, source=source)
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["status"] == "waiting" and run["actions"][0]["status"] == "waiting"
    runtimes["platform"].tick()
    settle(runtimes)
    assert runs_of(platform, tenant.admin_token, flow["workflow_id"])[0]["status"] == "waiting"
    clock.advance(31 * 60)
    runtimes["platform"].tick()
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["status"] == "completed", run
    assert [a["status"] for a in run["actions"]] == ["completed", "completed"]
    assert sales.get(f"/leads/{created['lead_id']}",
                     token=tenant.admin_token).json["title"] == "Prospect"


def test_assign_owner_takes_a_teams_members_in_turn(
        platform: ApiClient, sales: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    members = sorted([tenant.user_ids["manager"], tenant.user_ids["sales_rep"]])
    team = platform.post("/teams", {"name": unique("Round "), "member_ids": members},
                         token=tenant.admin_token)
    assert team.status == 201, team.json
    source = unique("turns").lower()
    make_workflow(platform, tenant.admin_token, "LeadCreated",
                  [{"type": "assign_owner", "team_id": team.json["team_id"]}],
                  [{"filters": [{"field": "lead.source", "operator": "eq", "value": source}]}])
    settle(runtimes)
    made = [lead(sales, tenant, source=source) for _ in range(3)]
    settle(runtimes)
    owners = [sales.get(f"/leads/{m['lead_id']}", token=tenant.admin_token).json["owner_id"]
              for m in made]
    assert owners == [members[0], members[1], members[0]]


def test_simulate_shows_the_commands_in_order_and_does_nothing(
        platform: ApiClient, tenant: Tenant) -> None:
    flow = make_workflow(platform, tenant.admin_token, "LeadCreated", [
        SET_TITLE, {"type": "wait", "minutes": 5},
        {"type": "call_webhook", "url": "https://hooks.example/in"}],
        [{"filters": [{"field": "lead.company_size", "operator": "in",
                       "values": ["501-1000", "5001+"]}]}])
    path = f"/workflows/{flow['workflow_id']}/simulate"
    lead_id = new_id("lea")
    sample = {"lead_id": lead_id, "lead": {"lead_id": lead_id, "company_size": "5001+"}}
    reply = platform.post(path, {"data": sample}, token=tenant.tokens["manager"])
    assert reply.status == 200, reply.json
    body = reply.json
    assert body["matched"] is True and body["entity_id"] == lead_id
    assert [c["type"] for c in body["commands"]] == ["set_field", "wait", "call_webhook"]
    assert body["commands"][0]["target_service"] == "sales"
    assert body["commands"][2]["target_service"] == "platform"
    assert body["commands"][2]["action"]["payload"]["lead_id"] == lead_id
    small = platform.post(path, {"data": {**sample, "lead": {"company_size": "1-10"}}},
                          token=tenant.admin_token).json
    assert small["matched"] is False and small["commands"] == []
    bad = platform.post(path, {"data": {"lead": {}}}, token=tenant.admin_token)
    assert problem(bad, 422) == "data.lead_id"
    wrong = platform.post(path, {"event_type": "Nope", "data": {}}, token=tenant.admin_token)
    assert problem(wrong, 422) == "event_type"
    assert runs_of(platform, tenant.admin_token, flow["workflow_id"]) == []
