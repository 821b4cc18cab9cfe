"""The sales service's Lambda entry point: wiring only, no business rules.

Features, the consumer and the job handlers are named by module path: each loads on its
first use, so a cold start costs the route table only (crm_shared.http.ServiceApp).
Schedules import their logic inside the function for the same reason.
"""

from chalice import Rate

from chalicelib import SERVICE
from chalicelib.imports.jobs import register as register_jobs
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

app = create_app(
    SERVICE,
    # literal sub-paths come before the {id} routes of the same collection: /opportunities/
    # imports, /stats, /funnel, /forecast and /leads/stats are not opportunity or lead ids
    "chalicelib.imports.api", "chalicelib.reports.api", "chalicelib.quotas.api",
    "chalicelib.pipelines.api", "chalicelib.products.api",
    # the /leads/<word> collections before /leads/{lead_id}
    "chalicelib.assignment.api", "chalicelib.forms.api", "chalicelib.scoring.api",
    "chalicelib.leads.api", "chalicelib.conversion.api", "chalicelib.tasks.api",
    "chalicelib.opportunities.api", "chalicelib.approvals.api",
    # /orders/stats, /orders/recommendations, /orders/customers/..., /orders/imports before
    # /orders/{order_id}
    "chalicelib.customer_value.api", "chalicelib.intake.api", "chalicelib.order_imports.api",
    "chalicelib.orders.api",
    "chalicelib.loyalty.api",
    # /contracts/settings before /contracts/{contract_id}
    "chalicelib.contracts.api",
)
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")
handle_jobs = register_jobs(app)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="remind_tasks")
def remind_tasks(event: object) -> int:
    """Announce task reminders whose time came (TaskDue), each once."""
    from chalicelib.tasks import logic

    return logic.remind_due()


@app.schedule(Rate(15, unit=Rate.MINUTES), name="abandon_carts")
def abandon_carts(event: object) -> int:
    """Announce shop carts left without an order past the tenant's window (CartAbandoned)."""
    from chalicelib.intake import logic

    return logic.abandon_due()


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_points")
def expire_points(event: object) -> int:
    """Take expired loyalty points off members' balances, each earned entry once."""
    from chalicelib.loyalty import logic

    return logic.expire_due()


@app.schedule(Rate(1, unit=Rate.HOURS), name="contract_notices")
def contract_notices(event: object) -> int:
    """Announce contracts' renewal notices (ContractExpiring), each once; expire ended terms."""
    from chalicelib.contracts import logic

    return logic.notify_due()


@app.schedule(Rate(15, unit=Rate.MINUTES), name="train_lead_models")
def train_lead_models(event: object) -> int:
    """Turn changed won/lost counts into each tenant's lead model."""
    from chalicelib.scoring import logic

    return logic.train_due()
