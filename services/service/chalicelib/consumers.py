"""Events the customer service reacts to. Each feature's handlers register on `consumer`."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.config import logic as config
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
subscribe_offboarding(consumer, bucket_env=("CRM_INBOUND_BUCKET",))  # purge a deleted tenant
directory = subscribe_directory(consumer)


@consumer.on(TenantProvisioned)
def seed_defaults(event: TenantProvisioned, ctx: EventContext, uow: UnitOfWork) -> None:
    """Every tenant starts with office hours in its time zone and a standard SLA policy."""
    config.seed(uow, event.tenant_id, str(event.settings.get("time_zone") or "UTC"))

# Feature handlers register on `consumer` when imported: keep these at the bottom.
from chalicelib.inbound import handlers as _inbound_handlers  # noqa: E402,F401
from chalicelib.kb import handlers as _kb_handlers  # noqa: E402,F401
from chalicelib.returns import handlers as _return_handlers  # noqa: E402,F401
from chalicelib.routing import handlers as _routing_handlers  # noqa: E402,F401
from chalicelib.stats import handlers as _stats_handlers  # noqa: E402,F401
from chalicelib.surveys import handlers as _survey_handlers  # noqa: E402,F401
from chalicelib.tickets import handlers as _ticket_handlers  # noqa: E402,F401
