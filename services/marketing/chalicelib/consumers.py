"""Events the marketing service reacts to. Each feature's handlers register on `consumer`."""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.events.builtin import subscribe_api_keys
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.platform_events import TenantProvisioned
from crm_shared.field_permissions import subscribe_field_permissions
from crm_shared.offboarding import subscribe_offboarding
from crm_shared.unit_of_work import UnitOfWork

consumer = Consumer(SERVICE)
subscribe_api_keys(consumer)
subscribe_field_permissions(consumer)
subscribe_offboarding(consumer)  # purge a deleted tenant


@consumer.on(TenantProvisioned)
def seed_defaults(event: TenantProvisioned, ctx: EventContext, uow: UnitOfWork) -> None:
    """Every tenant starts with a newsletter, a welcome email and an SMS template."""
    from chalicelib.templates import logic as templates

    templates.seed_defaults(uow, event.tenant_id)

# Feature handlers register on `consumer` when imported: keep these at the bottom.
from chalicelib.audience import handlers as _audience_handlers  # noqa: E402,F401
from chalicelib.campaigns import planner as _campaign_planner  # noqa: E402,F401
from chalicelib.journeys import handlers as _journey_handlers  # noqa: E402,F401
from chalicelib.roi import handlers as _roi_handlers  # noqa: E402,F401
