"""User roles, status and team membership changes, as differences to apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

INVITED = "invited"
ACTIVE = "active"
DISABLED = "disabled"
EXPIRED = "expired"  # invited, but never signed in before the temporary password ran out

INVITATION_LIFETIME = timedelta(days=7)  # Cognito's TemporaryPasswordValidityDays


@dataclass(frozen=True)
class SetChange:
    added: frozenset[str]
    removed: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed


def diff(before: set[str] | frozenset[str], after: set[str] | frozenset[str]) -> SetChange:
    return SetChange(frozenset(after) - frozenset(before), frozenset(before) - frozenset(after))


def next_status(current: str, requested: str | None) -> str:
    """`active` re-enables a disabled user; an invited user stays invited until first login."""
    if requested is None:
        return current
    if requested == ACTIVE and current in {INVITED, EXPIRED}:
        return current
    return requested
