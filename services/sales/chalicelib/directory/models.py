"""Directory items: the sales service's own copy of the tenant's users and teams."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute

from chalicelib.models import SalesItem


class DirectoryUserItem(SalesItem):
    user_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    roles = JSONAttribute(default=list)
    team_ids = JSONAttribute(default=list)
    status = UnicodeAttribute(default="active")
    # the manager of the user's first team, kept here so manager_of is one GetItem
    manager_id = UnicodeAttribute(null=True)
    # occurred_at of the last user event applied: an older, late delivery changes nothing
    as_of = UnicodeAttribute(default="")


class DirectoryTeamItem(SalesItem):
    team_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    manager_id = UnicodeAttribute(null=True)
    member_ids = JSONAttribute(default=list)
    deleted = BooleanAttribute(default=False)


class TeamMemberItem(SalesItem):
    """One member of a team, with the user's status: a team's active members are one Query."""

    team_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute(default="active")


class UserLookupItem(SalesItem):
    """Users by lowercase email or display name: `records` maps user_id to the user."""

    records = JSONAttribute(default=dict)
