"""The platform's user and team events, projected into the sales directory."""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.directory import logic
from crm_shared.events.consumer import EventContext
from crm_shared.events.platform_events import (
    TeamChanged,
    TenantProvisioned,
    UserInvited,
    UserUpdated,
)
from crm_shared.unit_of_work import UnitOfWork


@consumer.on(TenantProvisioned)
def admin_joined(event: TenantProvisioned, ctx: EventContext, uow: UnitOfWork) -> None:
    """The tenant's first admin is announced by provisioning, not by an invitation."""
    logic.apply_user(uow, ctx.tenant_id, ctx.occurred_at, event.admin_user_id,
                     event.admin_email, None, ["admin"], [], "active")


@consumer.on(UserInvited)
def user_invited(event: UserInvited, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.apply_user(uow, ctx.tenant_id, ctx.occurred_at, event.user_id, event.email,
                     event.name, event.roles, event.team_ids, "invited")


@consumer.on(UserUpdated)
def user_updated(event: UserUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.apply_user(uow, ctx.tenant_id, ctx.occurred_at, event.user_id, event.email,
                     event.name, event.roles, event.team_ids, event.status)


@consumer.on(TeamChanged)
def team_changed(event: TeamChanged, ctx: EventContext, uow: UnitOfWork) -> None:
    logic.apply_team(uow, ctx.tenant_id, event.team_id, event.name, event.manager_id,
                     event.member_ids, event.deleted)
