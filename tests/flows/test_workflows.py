"""The seeds' three workflow examples, end to end through the real services on moto: the
trigger event from the service that owns it, the run in the platform, the command carried
out by the owning service (or marketing's messaging), the answer recorded on the run."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.events.commerce_events import OrderShipped
from crm_shared.events.envelope import envelope_for
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.makers.workflows import make_workflow, runs_of

BIG = ["501-1000", "1001-5000", "5001+"]


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    tenants.user(made, "sales_rep")
    tenants.user(made, "manager")
    settle(runtimes)
    return made


def test_big_trade_show_leads_are_tagged_high_value_and_go_to_a_named_rep(
        platform: ApiClient, sales: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    rep = tenant.user_ids["sales_rep"]
    flow = make_workflow(platform, tenant.admin_token, "LeadCreated", [
        {"type": "add_tag", "tag": "high-value"}, {"type": "assign_owner", "user_id": rep}],
        [{"filters": [
            {"field": "lead.source", "operator": "eq", "value": "trade_show"},
            {"field": "lead.company_size", "operator": "in", "values": BIG}]}])
    big = sales.post("/leads", {"name": "Grace", "company_name": "Huge Corp",
                                "company_size": "1001-5000", "source": "trade_show"},
                     token=tenant.admin_token).json
    small = sales.post("/leads", {"name": "Linus", "company_name": "Tiny",
                                  "company_size": "11-50", "source": "trade_show"},
                       token=tenant.admin_token).json
    web = sales.post("/leads", {"name": "Ken", "company_size": "5001+", "source": "web"},
                     token=tenant.admin_token).json
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["trigger"]["entity_id"] == big["lead_id"] and run["status"] == "completed"
    tagged, assigned = run["actions"]
    assert tagged["result"]["tags"] == ["high-value"]
    assert assigned["result"]["owner_id"] == rep
    got = sales.get(f"/leads/{big['lead_id']}", token=tenant.admin_token).json
    assert got["owner_id"] == rep and got["assignment_status"] == "manual"
    assert sales.get(f"/leads/{big['lead_id']}",
                     token=tenant.tokens["sales_rep"]).status == 200, "the rep sees it now"
    for other in (small, web):
        read = sales.get(f"/leads/{other['lead_id']}", token=tenant.admin_token).json
        assert read["owner_id"] != rep


def test_a_shipped_order_emails_its_tracking_number(
        platform: ApiClient, contacts: ApiClient, marketing: ApiClient, session: Any,
        tenant: Tenant, runtimes: dict[str, Any]) -> None:
    from tests.api.marketing.helpers import sender, sent_to

    sender(marketing, tenant)
    address = f"{unique('buyer')}@example.com"
    person = contacts.post("/contacts", {"first_name": "Ada", "last_name": "Buyer",
                                         "emails": [{"address": address}]},
                           token=tenant.admin_token).json
    settle(runtimes)
    flow = make_workflow(platform, tenant.admin_token, "OrderShipped", [{
        "type": "send_message", "channel": "email",
        "subject": "Order {{ variables.order.order_number }} is on its way",
        "text": "Track it with {{ variables.order.tracking_number }}."}])
    order_id = new_id("ord")
    tracking = unique("1Z999AA1")
    event = OrderShipped(order_id=order_id, contact_id=person["contact_id"], order={
        "order_id": order_id, "order_number": "A-1001", "status": "shipped",
        "tracking_number": tracking, "carrier": "UPS"})
    put_bus_event(session, "crm.sales", "OrderShipped",
                  envelope_for(event, tenant.tenant_id, "system:test").model_dump(mode="json"))
    settle(runtimes)
    [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
    assert run["status"] == "completed", run
    [message] = run["actions"]
    assert message["target_service"] == "platform"
    assert message["result"]["to_contact_id"] == person["contact_id"]
    [mail] = sent_to(address)
    assert tracking in mail.raw_data and "A-1001" in mail.raw_data


def test_discounts_over_the_limit_go_to_the_sales_director(
        platform: ApiClient, sales: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    director = tenant.user_ids["manager"]
    policy = sales.request("PUT", "/approvals/settings", {"discount_threshold": 100},
                           token=tenant.admin_token)
    assert policy.status == 200, policy.json
    over = [{"filters": [
        {"field": "opportunity.discount_percent", "operator": "gt", "value": 15},
        {"field": "opportunity.approval_status", "operator": "eq", "value": "none"}]}]
    ask = [{"type": "request_approval", "approver_id": director,
            "reason": "discount above 15% needs the sales director"}]
    on_update = make_workflow(platform, tenant.admin_token, "OpportunityUpdated", ask, over)
    on_create = make_workflow(platform, tenant.admin_token, "OpportunityCreated", ask, over)
    body = {"amount": {"amount": 1_000_000, "currency": "USD"}}
    modest = sales.post("/opportunities", {"name": unique("Deal "), **body,
                                           "discount_percent": 5},
                        token=tenant.admin_token).json
    generous = sales.post("/opportunities", {"name": unique("Deal "), **body,
                                             "discount_percent": 30},
                          token=tenant.admin_token).json
    settle(runtimes)
    raised = sales.patch(f"/opportunities/{modest['opportunity_id']}",
                         {"discount_percent": 25}, token=tenant.admin_token)
    assert raised.status == 200, raised.json
    settle(runtimes)
    for flow, deal in ((on_create, generous), (on_update, modest)):
        [run] = runs_of(platform, tenant.admin_token, flow["workflow_id"])
        assert run["trigger"]["entity_id"] == deal["opportunity_id"]
        assert run["status"] == "completed", run
        approval_id = run["actions"][0]["result"]["approval_id"]
        approval = sales.get(f"/approvals/{approval_id}", token=tenant.admin_token).json
        assert approval["approver_id"] == director and approval["status"] == "pending"
        assert approval["requested_by"] == f"workflow:{flow['workflow_id']}"
        read = sales.get(f"/opportunities/{deal['opportunity_id']}",
                         token=tenant.admin_token).json
        assert read["approval_status"] == "pending"
    mine = sales.get("/approvals?approver=me&status=pending", token=tenant.tokens["manager"])
    assert {a["subject_id"] for a in mine.json["items"]} == {
        modest["opportunity_id"], generous["opportunity_id"]}
