"""The sales service's Lambda entry point: wiring only, no business rules."""

from chalice import Rate

from chalicelib import SERVICE
from chalicelib.approvals.api import api as approvals_api
from chalicelib.assignment.api import api as assignment_api
from chalicelib.consumers import consumer
from chalicelib.contracts import logic as contracts
from chalicelib.contracts.api import api as contracts_api
from chalicelib.conversion.api import api as conversion_api
from chalicelib.customer_value.api import api as customer_value_api
from chalicelib.forms.api import api as forms_api
from chalicelib.imports.api import api as imports_api
from chalicelib.imports.jobs import register as register_jobs
from chalicelib.intake import logic as intake
from chalicelib.intake.api import api as intake_api
from chalicelib.leads.api import api as leads_api
from chalicelib.loyalty import logic as loyalty
from chalicelib.loyalty.api import api as loyalty_api
from chalicelib.opportunities.api import api as opportunities_api
from chalicelib.orders.api import api as orders_api
from chalicelib.pipelines.api import api as pipelines_api
from chalicelib.products.api import api as products_api
from chalicelib.quotas.api import api as quotas_api
from chalicelib.reports.api import api as reports_api
from chalicelib.scoring import logic as scoring
from chalicelib.scoring.api import api as scoring_api
from chalicelib.tasks import logic as tasks
from chalicelib.tasks.api import api as tasks_api
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

# reports first: /opportunities/stats, /funnel, /forecast and /leads/stats must not be read
# as an opportunity or lead id
# imports first too: /opportunities/imports must not be read as an opportunity id
app = create_app(SERVICE, imports_api, reports_api, quotas_api, pipelines_api, products_api,
                 # the /leads/<word> collections must come before /leads/{lead_id}
                 assignment_api, forms_api, scoring_api, leads_api, conversion_api, tasks_api,
                 # after reports_api: /opportunities/stats before /opportunities/{opportunity_id}
                 opportunities_api, approvals_api,
                 # /orders/stats, /orders/recommendations, /orders/customers/... before
                 # /orders/{order_id}
                 customer_value_api, intake_api, orders_api, loyalty_api,
                 # /contracts/settings before /contracts/{contract_id}
                 contracts_api)
handle_events, publish_outbox = wire_events(app, SERVICE, consumer)
handle_jobs = register_jobs(app)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="remind_tasks")
def remind_tasks(event: object) -> int:
    """Announce task reminders whose time came (TaskDue), each once."""
    return tasks.remind_due()


@app.schedule(Rate(15, unit=Rate.MINUTES), name="abandon_carts")
def abandon_carts(event: object) -> int:
    """Announce shop carts left without an order past the tenant's window (CartAbandoned)."""
    return intake.abandon_due()


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_points")
def expire_points(event: object) -> int:
    """Take expired loyalty points off members' balances, each earned entry once."""
    return loyalty.expire_due()


@app.schedule(Rate(1, unit=Rate.HOURS), name="contract_notices")
def contract_notices(event: object) -> int:
    """Announce contracts' renewal notices (ContractExpiring), each once; expire ended terms."""
    return contracts.notify_due()


@app.schedule(Rate(15, unit=Rate.MINUTES), name="train_lead_models")
def train_lead_models(event: object) -> int:
    """Turn changed won/lost counts into each tenant's lead model."""
    return scoring.train_due()
