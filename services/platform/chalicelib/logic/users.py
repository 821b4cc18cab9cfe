"""Inviting and changing users of a tenant; the directory mirrors roles, teams and status."""

from __future__ import annotations

from chalicelib import directory, repository
from chalicelib.domain import users as rules
from chalicelib.models import UserItem
from chalicelib.schemas import InviteUser, UpdateUser
from crm_shared import clock
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.platform_events import UserInvited, UserUpdated
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork


def get(tenant_id: str, user_id: str) -> UserItem:
    user = repository.get_user(tenant_id, user_id) if is_id(user_id, "usr") else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _check_teams(tenant_id: str, team_ids: set[str], field: str = "team_ids") -> None:
    found = repository.get_teams(tenant_id, team_ids)
    for index, team_id in enumerate(sorted(team_ids)):
        if team_id not in found:
            raise ValidationFailed.for_field(f"{field}[{index}]", f"no team {team_id}")


def _membership(uow: UnitOfWork, tenant_id: str, user_id: str, change: rules.SetChange) -> None:
    """Keep each touched team's member list in step with the user, in the same transaction."""
    teams = repository.get_teams(tenant_id, set(change.added | change.removed))
    for team in teams.values():
        members = set(team.member_ids or ())
        team.member_ids = members | {user_id} if team.team_id in change.added else members - {
            user_id}
        team.updated_at = clock.iso()
        uow.put(team, label="version")


def invite(tenant_id: str, cmd: InviteUser) -> tuple[UserItem, str]:
    team_ids = set(cmd.team_ids)
    _check_teams(tenant_id, team_ids)
    user_id, now = new_id("usr"), clock.iso()
    claim = repository.new_claim(repository.email_claim_keys(cmd.email), tenant_id, user_id)
    try:
        with repository.unit_of_work() as uow:
            uow.put(claim, condition=repository.does_not_exist(), label="email")
    except TransactionConflict as conflict:
        raise Conflict.for_field("email", "is already a user of a tenant",
                                 code="email_taken") from conflict
    user = repository.new_user(
        user_id=user_id, tenant_id=tenant_id, email=cmd.email, name=cmd.name,
        roles=set(cmd.roles), team_ids=team_ids, status=rules.INVITED,
        created_at=now, updated_at=now,
    )
    repository.mark_invitation_due(user)
    try:
        password = directory.create_user(
            email=cmd.email, tenant_id=tenant_id, user_id=user_id, roles=set(cmd.roles),
            team_ids=team_ids, name=cmd.name,
        )
        try:
            with repository.unit_of_work() as uow:
                uow.put(user, label="user")
                _membership(uow, tenant_id, user_id, rules.diff(set(), team_ids))
                uow.emit(UserInvited(user_id=user_id, email=cmd.email, name=cmd.name,
                                     roles=sorted(cmd.roles), team_ids=sorted(team_ids)),
                         tenant_id)
        except Exception:
            directory.delete_user(cmd.email)
            raise
    except Exception:
        claim.delete()
        raise
    return user, password


def signed_in(tenant_id: str, user_id: str) -> UserItem:
    """The caller's own record; the first sign-in turns an invitation into an active user."""
    user = repository.get_user(tenant_id, user_id)
    if user is None:
        raise NotFound("your user record does not exist")
    if user.status in {rules.INVITED, rules.EXPIRED}:
        user.status = rules.ACTIVE
        user.updated_at = clock.iso()
        repository.clear_due(user)
        with repository.unit_of_work() as uow:
            uow.put(user, label="version")
            uow.emit(UserUpdated(user_id=user.user_id, email=user.email, name=user.name,
                                 roles=sorted(user.roles), team_ids=sorted(user.team_ids or ()),
                                 status=user.status), tenant_id)
    return user


def expire_invitations(limit: int = 100) -> int:
    """Scheduled: invitations unanswered past the temporary password's life are `expired`."""
    expired = 0
    for user in repository.due_invitations(limit):
        repository.clear_due(user)
        if user.status == rules.INVITED:
            # the directory knows whether they ever set their own password
            user.status = rules.ACTIVE if directory.has_signed_in(user.email) else rules.EXPIRED
            user.updated_at = clock.iso()
        try:
            with repository.unit_of_work() as uow:
                uow.put(user, label="version")
                if user.status == rules.EXPIRED:
                    uow.emit(UserUpdated(user_id=user.user_id, email=user.email, name=user.name,
                                         roles=sorted(user.roles),
                                         team_ids=sorted(user.team_ids or ()),
                                         status=user.status), user.tenant_id)
            expired += user.status == rules.EXPIRED
        except PreconditionFailed:
            continue  # changed meanwhile (signed in); the next run sees the new state
    return expired


def update(tenant_id: str, user_id: str, cmd: UpdateUser, if_match: int | None) -> UserItem:
    user = get(tenant_id, user_id)
    if if_match is not None and if_match != user.version:
        raise PreconditionFailed("the user changed since you read it", code="version_mismatch")
    roles: set[str] = set(cmd.roles) if cmd.roles is not None else set(user.roles)
    team_ids = set(cmd.team_ids) if cmd.team_ids is not None else set(user.team_ids or ())
    role_change = rules.diff(set(user.roles), roles)
    team_change = rules.diff(set(user.team_ids or ()), team_ids)
    _check_teams(tenant_id, set(team_change.added))
    status = rules.next_status(user.status, cmd.status)
    directory.update_user(
        email=user.email, tenant_id=tenant_id, user_id=user_id,
        add_roles=set(role_change.added), remove_roles=set(role_change.removed),
        team_ids=team_ids if not team_change.empty else None,
        name=cmd.name if cmd.name is not None and cmd.name != user.name else None,
        enabled=None if status == user.status else status != rules.DISABLED,
    )
    user.roles, user.team_ids, user.status = roles, team_ids, status
    if cmd.name is not None:
        user.name = cmd.name
    user.updated_at = clock.iso()
    with repository.unit_of_work() as uow:
        uow.put(user, label="version")
        _membership(uow, tenant_id, user_id, team_change)
        uow.emit(UserUpdated(user_id=user_id, email=user.email, name=user.name,
                             roles=sorted(roles), team_ids=sorted(team_ids), status=status),
                 tenant_id)
    return user
