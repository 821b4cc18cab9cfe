"""The tenant's users and teams as a domain service sees them, projected from platform events.

Sales (assignment, approvals) and service (routing, escalation) both need "who is on this
team", "who manages this user" and "who is this email" in one read of their own table;
`subscribe_directory(consumer)` keeps the projection and `Directory(service)` reads it.
Key shapes (the same sales' own copy uses, so it can switch without moving data):

- user: `T#<t>#USER#<usr>` / `USER`; team: `T#<t>#TEAM#<tea>` / `TEAM`;
- a team's members: `T#<t>#TEAM#<tea>` / `MEMBER#<usr>` (a team's active members: one Query);
- lookups: `T#<t>#USER_LOOKUP#email:<email>` and `...#name:<lowercase name>` / `LOOKUP`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute

from crm_shared.dynamo import BaseItem, table_meta, tenant_key
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.platform_events import (
    TeamChanged,
    TenantProvisioned,
    UserInvited,
    UserUpdated,
)
from crm_shared.unit_of_work import UnitOfWork

USER, TEAM, MEMBER, LOOKUP = "USER", "TEAM", "MEMBER#", "LOOKUP"
MAX_MEMBERS = 500
INACTIVE = frozenset({"disabled", "expired", "deleted"})  # invited users may sign in any time


class DirectoryUserItem(BaseItem):
    user_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    roles = JSONAttribute(default=list)
    team_ids = JSONAttribute(default=list)
    status = UnicodeAttribute(default="active")
    manager_id = UnicodeAttribute(null=True)  # of the user's first team: manager_of is 1 read
    as_of = UnicodeAttribute(default="")  # occurred_at of the last user event applied


class DirectoryTeamItem(BaseItem):
    team_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    manager_id = UnicodeAttribute(null=True)
    member_ids = JSONAttribute(default=list)
    deleted = BooleanAttribute(default=False)


class TeamMemberItem(BaseItem):
    team_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute(default="active")


class UserLookupItem(BaseItem):
    records = JSONAttribute(default=dict)  # user_id -> identity


@dataclass(frozen=True)
class Models:
    user: type[DirectoryUserItem]
    team: type[DirectoryTeamItem]
    member: type[TeamMemberItem]
    lookup: type[UserLookupItem]


@cache
def models(service: str) -> Models:
    """The directory's item classes bound to `service`'s table."""
    def bind(base: type[Any]) -> Any:
        return type(f"{service.title()}{base.__name__}", (base,), {"Meta": table_meta(service)})

    return Models(bind(DirectoryUserItem), bind(DirectoryTeamItem), bind(TeamMemberItem),
                  bind(UserLookupItem))


@dataclass(frozen=True)
class DirectoryUser:
    user_id: str
    email: str | None
    name: str | None
    roles: tuple[str, ...]
    team_ids: tuple[str, ...]
    status: str
    manager_id: str | None

    @property
    def active(self) -> bool:
        return self.status not in INACTIVE


@dataclass(frozen=True)
class DirectoryTeam:
    team_id: str
    name: str
    manager_id: str | None
    member_ids: tuple[str, ...]
    deleted: bool


def _user_pk(tenant_id: str, user_id: str) -> str:
    return tenant_key(tenant_id, "USER", user_id)


def _team_pk(tenant_id: str, team_id: str) -> str:
    return tenant_key(tenant_id, "TEAM", team_id)


def _lookup_pk(tenant_id: str, key: str) -> str:
    return tenant_key(tenant_id, "USER_LOOKUP", key)


class Directory:
    """Reads and the projection of one service's directory: each read is one call."""

    def __init__(self, service: str) -> None:
        self.service = service

    @property
    def m(self) -> Models:
        return models(self.service)

    # -- reads ------------------------------------------------------------------------

    def _user_item(self, tenant_id: str, user_id: str,
                   consistent: bool = False) -> DirectoryUserItem | None:
        try:
            return self.m.user.get(_user_pk(tenant_id, user_id), USER,
                                   consistent_read=consistent)
        except self.m.user.DoesNotExist:
            return None

    def _team_item(self, tenant_id: str, team_id: str,
                   consistent: bool = False) -> DirectoryTeamItem | None:
        try:
            return self.m.team.get(_team_pk(tenant_id, team_id), TEAM,
                                   consistent_read=consistent)
        except self.m.team.DoesNotExist:
            return None

    def user(self, tenant_id: str, user_id: str) -> DirectoryUser | None:
        """The user as last announced by the platform: one GetItem (None if unknown)."""
        item = self._user_item(tenant_id, user_id)
        if item is None:
            return None
        return DirectoryUser(item.user_id, item.email, item.name, tuple(item.roles or ()),
                             tuple(item.team_ids or ()), item.status, item.manager_id)

    def team(self, tenant_id: str, team_id: str) -> DirectoryTeam | None:
        """The team (its manager is its lead): one GetItem."""
        item = self._team_item(tenant_id, team_id)
        if item is None:
            return None
        return DirectoryTeam(item.team_id, item.name, item.manager_id,
                             tuple(item.member_ids or ()), bool(item.deleted))

    def manager_of(self, tenant_id: str, user_id: str) -> str | None:
        """The manager of the user's first team (team ids sorted): one GetItem."""
        item = self._user_item(tenant_id, user_id)
        return item.manager_id if item else None

    def team_members(self, tenant_id: str, team_id: str) -> list[str]:
        """The team's active members, sorted by id: one Query."""
        found = self.m.member.query(_team_pk(tenant_id, team_id),
                                    self.m.member.SK.startswith(MEMBER), limit=MAX_MEMBERS)
        return [m.user_id for m in found if m.status not in INACTIVE]

    def find_user(self, tenant_id: str, name_or_email: str) -> DirectoryUser | None:
        """The user with this email, or else this exact display name (case-insensitive):
        one GetItem of a lookup item. A name two users share finds nobody."""
        text = " ".join(name_or_email.split()).lower()
        if not text:
            return None
        key = f"email:{text}" if "@" in text else f"name:{text}"
        try:
            lookup = self.m.lookup.get(_lookup_pk(tenant_id, key), LOOKUP)
        except self.m.lookup.DoesNotExist:
            return None
        records = list((lookup.records or {}).values())
        if len(records) != 1:
            return None
        r = records[0]
        return DirectoryUser(str(r["user_id"]), r.get("email"), r.get("name"),
                             tuple(r.get("roles") or ()), (), str(r.get("status") or "active"),
                             None)

    # -- the projection (in the event's transaction) ------------------------------------

    def _put_member(self, uow: UnitOfWork, tenant_id: str, team_id: str, user_id: str,
                    status: str) -> None:
        uow.put(self.m.member(PK=_team_pk(tenant_id, team_id), SK=MEMBER + user_id,
                              team_id=team_id, user_id=user_id, status=status),
                label="directory_member")

    def _drop_member(self, uow: UnitOfWork, tenant_id: str, team_id: str, user_id: str) -> None:
        uow.delete(self.m.member(PK=_team_pk(tenant_id, team_id), SK=MEMBER + user_id),
                   label="directory_member")

    def _manager(self, tenant_id: str, team_ids: list[str],
                 known: DirectoryTeamItem | None = None) -> str | None:
        if not team_ids:
            return None
        first = sorted(team_ids)[0]
        team = known if known is not None and known.team_id == first else \
            self._team_item(tenant_id, first, consistent=True)
        return team.manager_id if team and not team.deleted else None

    def _relookup(self, uow: UnitOfWork, tenant_id: str, before: set[str],
                  item: DirectoryUserItem) -> None:
        after = _lookup_keys(item)
        record = {"user_id": item.user_id, "email": item.email, "name": item.name,
                  "roles": list(item.roles or ()), "status": item.status}
        for key in sorted(before | after):
            try:
                lookup = self.m.lookup.get(_lookup_pk(tenant_id, key), LOOKUP,
                                           consistent_read=True)
                existed = True
            except self.m.lookup.DoesNotExist:
                lookup, existed = self.m.lookup(PK=_lookup_pk(tenant_id, key), SK=LOOKUP), False
            records = dict(lookup.records or {})
            records.pop(item.user_id, None)
            if key in after:
                records[item.user_id] = record
            lookup.records = records
            if records:
                uow.put(lookup, label="directory_lookup")
            elif existed:
                uow.delete(lookup, label="directory_lookup")

    def apply_user(self, uow: UnitOfWork, tenant_id: str, occurred_at: str, user_id: str,
                   email: str | None, name: str | None, roles: list[str],
                   team_ids: list[str], status: str) -> None:
        """A user event: profile, roles, status and teams as the platform now has them."""
        item = self._user_item(tenant_id, user_id, consistent=True)
        if item is not None and item.as_of > occurred_at:
            return  # a later event was applied already
        if item is None:
            item = self.m.user(PK=_user_pk(tenant_id, user_id), SK=USER, user_id=user_id,
                               tenant_id=tenant_id)
        before_keys = _lookup_keys(item) if item.as_of else set()
        before_teams = set(item.team_ids or ())
        item.email = email.lower() if email else None
        item.name = name
        item.roles = sorted(roles)
        item.team_ids = sorted(set(team_ids))
        item.status = status
        item.as_of = occurred_at
        item.manager_id = self._manager(tenant_id, item.team_ids)
        uow.put(item, label="directory_user")
        for team_id in sorted(before_teams - set(item.team_ids)):
            self._drop_member(uow, tenant_id, team_id, user_id)
        for team_id in item.team_ids:
            self._put_member(uow, tenant_id, team_id, user_id, status)
        self._relookup(uow, tenant_id, before_keys, item)

    def apply_team(self, uow: UnitOfWork, tenant_id: str, team_id: str, name: str,
                   manager_id: str | None, member_ids: list[str], deleted: bool) -> None:
        """A team event: its manager and members; members' teams and managers follow.
        Only members who joined or left (or all, when the manager changed) are written."""
        team = self._team_item(tenant_id, team_id, consistent=True) or self.m.team(
            PK=_team_pk(tenant_id, team_id), SK=TEAM, team_id=team_id, tenant_id=tenant_id)
        before = set(team.member_ids or ())
        after = set() if deleted else set(member_ids)
        manager_changed = team.manager_id != manager_id or team.deleted != deleted
        team.name, team.manager_id, team.deleted = name, manager_id, deleted
        team.member_ids = sorted(after)
        uow.put(team, label="directory_team")
        touched = (before ^ after) | (before & after if manager_changed else set())
        for user_id in sorted(touched):
            member = self._user_item(tenant_id, user_id, consistent=True)
            teams = set(member.team_ids or ()) if member else set()
            teams = teams | {team_id} if user_id in after else teams - {team_id}
            if user_id in after - before:
                self._put_member(uow, tenant_id, team_id, user_id,
                                 member.status if member else "active")
            elif user_id in before - after:
                self._drop_member(uow, tenant_id, team_id, user_id)
            if member is None:
                continue
            manager = self._manager(tenant_id, sorted(teams), team)
            if sorted(teams) != list(member.team_ids or ()) or manager != member.manager_id:
                member.team_ids = sorted(teams)
                member.manager_id = manager
                uow.put(member, label="directory_user")


def _lookup_keys(item: DirectoryUserItem) -> set[str]:
    keys = set()
    if item.email:
        keys.add(f"email:{item.email.lower()}")
    if item.name and item.name.strip():
        keys.add(f"name:{' '.join(item.name.split()).lower()}")
    return keys


def subscribe_directory(consumer: Consumer) -> Directory:
    """Keep `consumer.service`'s directory from the platform's user and team events."""
    directory = Directory(consumer.service)

    @consumer.on(TenantProvisioned)
    def directory_admin_joined(event: TenantProvisioned, ctx: EventContext,
                               uow: UnitOfWork) -> None:
        """The tenant's first admin is announced by provisioning, not by an invitation."""
        directory.apply_user(uow, ctx.tenant_id, ctx.occurred_at, event.admin_user_id,
                             event.admin_email, None, ["admin"], [], "active")

    @consumer.on(UserInvited)
    def directory_user_invited(event: UserInvited, ctx: EventContext, uow: UnitOfWork) -> None:
        directory.apply_user(uow, ctx.tenant_id, ctx.occurred_at, event.user_id, event.email,
                             event.name, event.roles, event.team_ids, "invited")

    @consumer.on(UserUpdated)
    def directory_user_updated(event: UserUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
        directory.apply_user(uow, ctx.tenant_id, ctx.occurred_at, event.user_id, event.email,
                             event.name, event.roles, event.team_ids, event.status)

    @consumer.on(TeamChanged)
    def directory_team_changed(event: TeamChanged, ctx: EventContext, uow: UnitOfWork) -> None:
        directory.apply_team(uow, ctx.tenant_id, event.team_id, event.name, event.manager_id,
                             event.member_ids, event.deleted)

    return directory
