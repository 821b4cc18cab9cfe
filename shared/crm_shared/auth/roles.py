"""Roles and record visibility: who may call a route, and whose records they see."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm_shared.context import Principal


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES_REP = "sales_rep"
    SUPPORT_AGENT = "support_agent"
    MARKETER = "marketer"
    VIEWER = "viewer"


ALL_ROLES: frozenset[str] = frozenset(r.value for r in Role)
WRITERS: frozenset[str] = ALL_ROLES - {Role.VIEWER}
ADMINS: frozenset[str] = frozenset({Role.ADMIN})
MANAGERS: frozenset[str] = frozenset({Role.ADMIN, Role.MANAGER})


def has_any_role(principal: Principal, roles: frozenset[str]) -> bool:
    return bool(principal.roles & roles)


@dataclass(frozen=True)
class Visibility:
    """Which records a caller may see: everything, or those owned by these users or teams."""

    everything: bool
    owner_ids: frozenset[str] = frozenset()
    team_ids: frozenset[str] = frozenset()

    def allows(self, owner_id: str | None, team_id: str | None) -> bool:
        if self.everything:
            return True
        return (owner_id in self.owner_ids) or (team_id is not None and team_id in self.team_ids)


def visibility(principal: Principal, scope: str = "team") -> Visibility:
    """The tenant's record-visibility policy applied to `principal`.

    `scope` is the tenant's setting for reps and agents: "own" (their records), "team"
    (also their teams'), or "all". Admins, API keys and the system see the whole tenant;
    managers see their teams' records (and their own); viewers and marketers read all.
    """
    roles = principal.roles
    if principal.kind in {"api_key", "system", "operator"} or Role.ADMIN in roles:
        return Visibility(everything=True)
    if roles & {Role.VIEWER, Role.MARKETER} and not roles & {Role.SALES_REP, Role.SUPPORT_AGENT}:
        return Visibility(everything=True)
    if scope == "all":
        return Visibility(everything=True)
    owners = frozenset({principal.subject})
    if Role.MANAGER in roles or scope == "team":
        return Visibility(everything=False, owner_ids=owners, team_ids=principal.team_ids)
    return Visibility(everything=False, owner_ids=owners)
