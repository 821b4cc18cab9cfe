"""Events the sales service reacts to. Each feature's handlers register on `consumer`."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.pipelines import logic as pipelines
from crm_shared.directory import subscribe_directory
from crm_shared.events.builtin import subscribe_api_keys
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.platform_events import TenantProvisioned
from crm_shared.field_permissions import subscribe_field_permissions
from crm_shared.offboarding import subscribe_offboarding
from crm_shared.unit_of_work import UnitOfWork

consumer = Consumer(SERVICE)
subscribe_api_keys(consumer)
subscribe_field_permissions(consumer)
directory = subscribe_directory(consumer)  # users and teams, in the sales table
subscribe_offboarding(consumer)  # purge a deleted tenant


@consumer.on(TenantProvisioned)
def seed_defaults(event: TenantProvisioned, ctx: EventContext, uow: UnitOfWork) -> None:
    """Every tenant starts with a default pipeline (Maven's stage names included)."""
    pipelines.seed_default(uow, event.tenant_id)

# Feature handlers register on `consumer` when imported: keep these at the bottom.
from chalicelib.assignment import handlers as _assignment_handlers  # noqa: E402,F401
from chalicelib.automation import handlers as _automation_handlers  # noqa: E402,F401
from chalicelib.contracts import handlers as _contracts_handlers  # noqa: E402,F401
from chalicelib.customer_value import handlers as _customer_value_handlers  # noqa: E402,F401
from chalicelib.intake import handlers as _intake_handlers  # noqa: E402,F401
from chalicelib.leads import handlers as _leads_handlers  # noqa: E402,F401
from chalicelib.loyalty import handlers as _loyalty_handlers  # noqa: E402,F401
from chalicelib.opportunities import handlers as _opportunities_handlers  # noqa: E402,F401
from chalicelib.orders import handlers as _orders_handlers  # noqa: E402,F401
from chalicelib.reports import handlers as _reports_handlers  # noqa: E402,F401
from chalicelib.scoring import handlers as _scoring_handlers  # noqa: E402,F401
