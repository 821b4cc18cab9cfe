"""Teams: a name, a manager and members; membership is kept on both team and user."""

from __future__ import annotations

from chalicelib import directory, repository
from chalicelib.domain import users as user_rules
from chalicelib.models import TeamItem, UserItem
from chalicelib.schemas import CreateTeam, UpdateTeam
from crm_shared import clock
from crm_shared.errors import NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.platform_events import TeamChanged
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import UnitOfWork


def get(tenant_id: str, team_id: str) -> TeamItem:
    team = repository.get_team(tenant_id, team_id) if is_id(team_id, "tea") else None
    if team is None:
        raise NotFound(f"no team {team_id}")
    return team


def _users(tenant_id: str, user_ids: set[str], field: str) -> dict[str, UserItem]:
    found = repository.get_users(tenant_id, user_ids)
    for index, user_id in enumerate(sorted(user_ids)):
        if user_id not in found:
            raise ValidationFailed.for_field(f"{field}[{index}]", f"no user {user_id}")
    return found


def _apply_members(uow: UnitOfWork, team: TeamItem, users: dict[str, UserItem],
                   change: user_rules.SetChange) -> list[UserItem]:
    touched = []
    for user_id in change.added | change.removed:
        user = users[user_id]
        teams = set(user.team_ids or ())
        teams = teams | {team.team_id} if user_id in change.added else teams - {team.team_id}
        user.team_ids = teams
        user.updated_at = clock.iso()
        uow.put(user, label="version")
        touched.append(user)
    return touched


def _mirror(tenant_id: str, users: list[UserItem]) -> None:
    for user in users:
        directory.update_user(email=user.email, tenant_id=tenant_id, user_id=user.user_id,
                              add_roles=set(), remove_roles=set(),
                              team_ids=set(user.team_ids or ()), name=None, enabled=None)


def _event(team: TeamItem, deleted: bool = False) -> TeamChanged:
    return TeamChanged(team_id=team.team_id, name=team.name, manager_id=team.manager_id,
                       member_ids=sorted(team.member_ids or ()), deleted=deleted)


def create(tenant_id: str, cmd: CreateTeam) -> TeamItem:
    members = set(cmd.member_ids)
    users = _users(tenant_id, members, "member_ids")
    if cmd.manager_id:
        _users(tenant_id, {cmd.manager_id}, "manager_id")
    now = clock.iso()
    team = repository.new_team(team_id=new_id("tea"), tenant_id=tenant_id, name=cmd.name,
                               manager_id=cmd.manager_id, member_ids=members,
                               created_at=now, updated_at=now)
    with repository.unit_of_work() as uow:
        uow.put(team, condition=repository.does_not_exist(), label="team")
        touched = _apply_members(uow, team, users, user_rules.diff(set(), members))
        uow.emit(_event(team), tenant_id)
    _mirror(tenant_id, touched)
    return team


def update(tenant_id: str, team_id: str, cmd: UpdateTeam, if_match: int | None) -> TeamItem:
    team = get(tenant_id, team_id)
    if if_match is not None and if_match != team.version:
        raise PreconditionFailed("the team changed since you read it", code="version_mismatch")
    before = set(team.member_ids or ())
    after = set(cmd.member_ids) if cmd.member_ids is not None else before
    change = user_rules.diff(before, after)
    users = _users(tenant_id, set(change.added), "member_ids")
    users.update(repository.get_users(tenant_id, set(change.removed)))
    if "manager_id" in cmd.model_fields_set and cmd.manager_id:
        _users(tenant_id, {cmd.manager_id}, "manager_id")
    if cmd.name is not None:
        team.name = cmd.name
    if "manager_id" in cmd.model_fields_set:
        team.manager_id = cmd.manager_id
    team.member_ids = after
    team.updated_at = clock.iso()
    with repository.unit_of_work() as uow:
        uow.put(team, label="version")
        touched = _apply_members(uow, team, users, change)
        uow.emit(_event(team), tenant_id)
    _mirror(tenant_id, touched)
    return team


def delete(tenant_id: str, team_id: str) -> None:
    team = get(tenant_id, team_id)
    members = set(team.member_ids or ())
    users = repository.get_users(tenant_id, members)
    with repository.unit_of_work() as uow:
        uow.delete(team, label="version")
        touched = _apply_members(uow, team, users,
                                 user_rules.diff(set(users), set()))
        uow.emit(_event(team, deleted=True), tenant_id)
    _mirror(tenant_id, touched)
