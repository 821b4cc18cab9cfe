"""Events the contacts service reacts to."""

from __future__ import annotations

from chalicelib import SERVICE, tenancy
from crm_shared.events.builtin import subscribe_api_keys
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.platform_events import TenantProvisioned
from crm_shared.field_permissions import subscribe_field_permissions
from crm_shared.offboarding import subscribe_offboarding
from crm_shared.unit_of_work import UnitOfWork

consumer = Consumer(SERVICE)
subscribe_api_keys(consumer)
subscribe_field_permissions(consumer)
subscribe_offboarding(consumer, bucket_env=("CRM_FILES_BUCKET",))  # purge a deleted tenant


@consumer.on(TenantProvisioned)
def seed_defaults(event: TenantProvisioned, ctx: EventContext, uow: UnitOfWork) -> None:
    """Keep the tenant settings contacts need (phone region, record visibility)."""
    known = {k: v for k, v in event.settings.items() if k in tenancy.DEFAULTS}
    uow.put(tenancy.settings_item(event.tenant_id, known), label="settings")


from chalicelib.automation import handlers as automation  # noqa: E402,F401
from chalicelib.contacts import handlers as contact_requests  # noqa: E402,F401
from chalicelib.conversion import handlers as conversion  # noqa: E402,F401
from chalicelib.privacy import unsubscribes  # noqa: E402,F401
from chalicelib.relationships import handlers as relationships  # noqa: E402,F401
from chalicelib.timeline import handlers  # noqa: E402,F401
