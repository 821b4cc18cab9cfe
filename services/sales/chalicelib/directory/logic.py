"""The tenant's users and teams as sales sees them, projected from the platform's events.

Reads are one GetItem or one Query each: assignment asks for a team's active members,
approvals for a user's manager, the CSV import for the owner a name or email means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.directory import repository
from chalicelib.directory.models import DirectoryTeamItem, DirectoryUserItem
from crm_shared.unit_of_work import UnitOfWork

INACTIVE = frozenset({"disabled", "expired", "deleted"})  # invited users may sign in any time


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


def _user(item: DirectoryUserItem) -> DirectoryUser:
    return DirectoryUser(item.user_id, item.email, item.name, tuple(item.roles or ()),
                         tuple(item.team_ids or ()), item.status, item.manager_id)


@dataclass(frozen=True)
class UserRef:
    """Who a name or email means (teams and manager: ask `user`)."""

    user_id: str
    email: str | None
    name: str | None
    roles: tuple[str, ...]
    status: str


def _record(item: DirectoryUserItem) -> dict[str, Any]:
    """What a lookup item keeps of a user: identity only, so team changes never touch it."""
    return {"user_id": item.user_id, "email": item.email, "name": item.name,
            "roles": list(item.roles or ()), "status": item.status}


def _from_record(record: dict[str, Any]) -> UserRef:
    return UserRef(str(record["user_id"]), record.get("email"), record.get("name"),
                   tuple(record.get("roles") or ()), str(record.get("status") or "active"))


# -- reads ----------------------------------------------------------------------------

def user(tenant_id: str, user_id: str) -> DirectoryUser | None:
    """The user as last announced by the platform: one GetItem (None if unknown)."""
    item = repository.get_user(tenant_id, user_id)
    return _user(item) if item else None


def manager_of(tenant_id: str, user_id: str) -> str | None:
    """The manager of the user's first team (team ids sorted): one GetItem."""
    item = repository.get_user(tenant_id, user_id)
    return item.manager_id if item else None


def team_members(tenant_id: str, team_id: str) -> list[str]:
    """The team's active members, sorted by id: one Query."""
    return [m.user_id for m in repository.members(tenant_id, team_id)
            if m.status not in INACTIVE]


def find_user(tenant_id: str, name_or_email: str) -> UserRef | None:
    """The user with this email, or else this exact display name (case-insensitive): one
    GetItem of a lookup item. A name two users share finds nobody (ambiguous)."""
    text = " ".join(name_or_email.split()).lower()
    if not text:
        return None
    key = f"email:{text}" if "@" in text else f"name:{text}"
    lookup = repository.get_lookup(tenant_id, key)
    records = list((lookup.records or {}).values()) if lookup else []
    return _from_record(records[0]) if len(records) == 1 else None


# -- the projection (called by the event handlers, in the event's transaction) ---------

def _lookup_keys(item: DirectoryUserItem) -> set[str]:
    keys = set()
    if item.email:
        keys.add(f"email:{item.email.lower()}")
    if item.name and item.name.strip():
        keys.add(f"name:{' '.join(item.name.split()).lower()}")
    return keys


def _relookup(uow: UnitOfWork, tenant_id: str, before: set[str], item: DirectoryUserItem) -> None:
    after = _lookup_keys(item)
    for key in sorted(before | after):
        lookup = repository.lookup_or_new(tenant_id, key)
        records = dict(lookup.records or {})
        records.pop(item.user_id, None)
        if key in after:
            records[item.user_id] = _record(item)
        lookup.records = records
        if records:
            uow.put(lookup, label="directory_lookup")
        elif lookup.PK and key in before:
            uow.delete(lookup, label="directory_lookup")


def _manager(tenant_id: str, team_ids: list[str],
             known: DirectoryTeamItem | None = None) -> str | None:
    if not team_ids:
        return None
    first = sorted(team_ids)[0]
    team = known if known is not None and known.team_id == first else \
        repository.get_team(tenant_id, first, consistent=True)
    return team.manager_id if team and not team.deleted else None


def apply_user(uow: UnitOfWork, tenant_id: str, occurred_at: str, user_id: str,
               email: str | None, name: str | None, roles: list[str], team_ids: list[str],
               status: str) -> None:
    """A user event: profile, roles, status and teams as the platform now has them."""
    item = repository.get_user(tenant_id, user_id, consistent=True)
    if item is not None and item.as_of > occurred_at:
        return  # a later event was applied already
    if item is None:
        item = repository.new_user(tenant_id, user_id)
    before_keys = _lookup_keys(item) if item.as_of else set()
    before_teams = set(item.team_ids or ())
    item.email = email.lower() if email else None
    item.name = name
    item.roles = sorted(roles)
    item.team_ids = sorted(set(team_ids))
    item.status = status
    item.as_of = occurred_at
    item.manager_id = _manager(tenant_id, item.team_ids)
    uow.put(item, label="directory_user")
    for team_id in sorted(before_teams - set(item.team_ids)):
        repository.drop_member(uow, tenant_id, team_id, user_id)
    for team_id in item.team_ids:
        repository.put_member(uow, tenant_id, team_id, user_id, status)
    _relookup(uow, tenant_id, before_keys, item)


def apply_team(uow: UnitOfWork, tenant_id: str, team_id: str, name: str,
               manager_id: str | None, member_ids: list[str], deleted: bool) -> None:
    """A team event: its manager and members; members' teams and managers follow.

    Only members who joined or left (or, when the manager changed, whose first team this
    is) are written: two items each, so a transaction fits a team of ~90 people."""
    team = repository.get_team(tenant_id, team_id, consistent=True) or \
        repository.new_team(tenant_id, team_id)
    before = set(team.member_ids or ())
    after = set() if deleted else set(member_ids)
    manager_changed = team.manager_id != manager_id or team.deleted != deleted
    team.name, team.manager_id, team.deleted = name, manager_id, deleted
    team.member_ids = sorted(after)
    uow.put(team, label="directory_team")
    touched = (before ^ after) | (before & after if manager_changed else set())
    for user_id in sorted(touched):
        member = repository.get_user(tenant_id, user_id, consistent=True)
        teams = set(member.team_ids or ()) if member else set()
        teams = teams | {team_id} if user_id in after else teams - {team_id}
        if user_id in after - before:
            repository.put_member(uow, tenant_id, team_id, user_id,
                                  member.status if member else "active")
        elif user_id in before - after:
            repository.drop_member(uow, tenant_id, team_id, user_id)
        if member is None:
            continue
        manager = _manager(tenant_id, sorted(teams), team)
        if sorted(teams) != list(member.team_ids or ()) or manager != member.manager_id:
            member.team_ids = sorted(teams)
            member.manager_id = manager
            uow.put(member, label="directory_user")
