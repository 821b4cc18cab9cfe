"""Events the platform reacts to."""

from __future__ import annotations

from chalicelib import SERVICE, repository
from crm_shared import clock
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.platform_events import TenantProvisioned
from crm_shared.unit_of_work import UnitOfWork

consumer = Consumer(SERVICE)


@consumer.on(TenantProvisioned)
def seed_defaults(event: TenantProvisioned, ctx: EventContext, uow: UnitOfWork) -> None:
    """Every tenant starts with an "Everyone" team that its admin manages."""
    from crm_shared.ids import new_id

    now = clock.iso()
    team = repository.new_team(
        team_id=new_id("tea"), tenant_id=event.tenant_id, name="Everyone",
        manager_id=event.admin_user_id, member_ids=set(), created_at=now, updated_at=now,
    )
    uow.put(team, condition=repository.does_not_exist(), label="team")

# Features' handlers register on import (each module imports `consumer` from here).
from chalicelib.audit import handlers as _audit_handlers  # noqa: E402
from chalicelib.notifications import handlers as notification_handlers  # noqa: E402,F401
from chalicelib.offboarding import handlers as _offboarding  # noqa: E402,F401
from chalicelib.webhooks import handlers as webhook_handlers  # noqa: E402,F401
from chalicelib.workflows import handlers as _workflow_handlers  # noqa: E402,F401

_audit_handlers.subscribe(consumer)  # every domain event becomes an audit entry
