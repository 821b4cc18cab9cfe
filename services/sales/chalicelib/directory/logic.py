"""The tenant's users and teams as sales sees them: `crm_shared.directory`'s projection in
the sales table (kept by `subscribe_directory` in `chalicelib.consumers`).

Reads are one GetItem or one Query each: assignment asks for a team's active members,
approvals for a user's manager, the CSV import for the owner a name or email means.
"""

from __future__ import annotations

from chalicelib import SERVICE
from crm_shared.directory import INACTIVE, Directory, DirectoryUser

__all__ = ["INACTIVE", "DirectoryUser", "find_user", "manager_of", "team_members", "user"]

_directory = Directory(SERVICE)

user = _directory.user
manager_of = _directory.manager_of
team_members = _directory.team_members
find_user = _directory.find_user
