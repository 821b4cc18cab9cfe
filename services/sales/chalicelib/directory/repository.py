"""The only code that knows directory keys.

- user: `T#<t>#USER#<usr>` / `USER`
- team: `T#<t>#TEAM#<tea>` / `TEAM`, its members `T#<t>#TEAM#<tea>` / `MEMBER#<usr>`
- lookups: `T#<t>#USER_LOOKUP#email:<email>` and `...#name:<lowercase name>` / `LOOKUP`
"""

from __future__ import annotations

from chalicelib.directory.models import (
    DirectoryTeamItem,
    DirectoryUserItem,
    TeamMemberItem,
    UserLookupItem,
)
from crm_shared.dynamo import tenant_key
from crm_shared.unit_of_work import UnitOfWork

USER, TEAM, MEMBER, LOOKUP = "USER", "TEAM", "MEMBER#", "LOOKUP"
MAX_MEMBERS = 500


def user_pk(tenant_id: str, user_id: str) -> str:
    return tenant_key(tenant_id, "USER", user_id)


def team_pk(tenant_id: str, team_id: str) -> str:
    return tenant_key(tenant_id, "TEAM", team_id)


def lookup_pk(tenant_id: str, key: str) -> str:
    return tenant_key(tenant_id, "USER_LOOKUP", key)


def get_user(tenant_id: str, user_id: str, consistent: bool = False) -> DirectoryUserItem | None:
    try:
        return DirectoryUserItem.get(user_pk(tenant_id, user_id), USER, consistent_read=consistent)
    except DirectoryUserItem.DoesNotExist:
        return None


def new_user(tenant_id: str, user_id: str) -> DirectoryUserItem:
    return DirectoryUserItem(PK=user_pk(tenant_id, user_id), SK=USER, user_id=user_id,
                             tenant_id=tenant_id)


def get_team(tenant_id: str, team_id: str, consistent: bool = False) -> DirectoryTeamItem | None:
    try:
        return DirectoryTeamItem.get(team_pk(tenant_id, team_id), TEAM, consistent_read=consistent)
    except DirectoryTeamItem.DoesNotExist:
        return None


def new_team(tenant_id: str, team_id: str) -> DirectoryTeamItem:
    return DirectoryTeamItem(PK=team_pk(tenant_id, team_id), SK=TEAM, team_id=team_id,
                             tenant_id=tenant_id)


def members(tenant_id: str, team_id: str) -> list[TeamMemberItem]:
    """Every member entry of the team: one Query (sorted by user id)."""
    return list(TeamMemberItem.query(team_pk(tenant_id, team_id),
                                     TeamMemberItem.SK.startswith(MEMBER), limit=MAX_MEMBERS))


def put_member(uow: UnitOfWork, tenant_id: str, team_id: str, user_id: str, status: str) -> None:
    uow.put(TeamMemberItem(PK=team_pk(tenant_id, team_id), SK=MEMBER + user_id,
                           team_id=team_id, user_id=user_id, status=status),
            label="directory_member")


def drop_member(uow: UnitOfWork, tenant_id: str, team_id: str, user_id: str) -> None:
    uow.delete(TeamMemberItem(PK=team_pk(tenant_id, team_id), SK=MEMBER + user_id),
               label="directory_member")


def get_lookup(tenant_id: str, key: str) -> UserLookupItem | None:
    try:
        return UserLookupItem.get(lookup_pk(tenant_id, key), LOOKUP)
    except UserLookupItem.DoesNotExist:
        return None


def lookup_or_new(tenant_id: str, key: str) -> UserLookupItem:
    try:
        return UserLookupItem.get(lookup_pk(tenant_id, key), LOOKUP, consistent_read=True)
    except UserLookupItem.DoesNotExist:
        return UserLookupItem(PK=lookup_pk(tenant_id, key), SK=LOOKUP)
