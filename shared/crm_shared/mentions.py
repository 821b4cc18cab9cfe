"""@mentions in free text: `@[Ada Lovelace](usr_01J...)`, as editors insert them.

Notes, comments and replies of every service use `mentioned_user_ids` on save and emit
`UserMentioned` (crm_shared.events.collaboration_events) for the users a save newly
mentions (`new_mentions(before, after)`), so editing a note does not notify twice.
"""

from __future__ import annotations

import re

from crm_shared.events.collaboration_events import UserMentioned

MENTION = re.compile(r"@\[(?P<name>[^\]\n]{1,200})\]\((?P<user_id>usr_[0-9A-HJKMNP-TV-Z]{26})\)")
MAX_MENTIONS = 50
EXCERPT = 280


def mentioned_user_ids(text: str | None) -> list[str]:
    """The distinct users mentioned in `text`, in order of first mention (at most 50)."""
    found: list[str] = []
    for match in MENTION.finditer(text or ""):
        user_id = match.group("user_id")
        if user_id not in found:
            found.append(user_id)
            if len(found) == MAX_MENTIONS:
                break
    return found


def new_mentions(before: str | None, after: str | None) -> list[str]:
    """Users `after` mentions that `before` did not (all of them for a new text)."""
    old = set(mentioned_user_ids(before))
    return [u for u in mentioned_user_ids(after) if u not in old]


def plain(text: str | None) -> str:
    """The text with each mention shown as `@Name`."""
    return MENTION.sub(lambda m: "@" + m.group("name"), text or "")


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    shown = " ".join(plain(text).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def mention_event(service: str, record_type: str, record_id: str, text: str | None,
                  author_id: str | None, before: str | None = None,
                  parent_id: str | None = None) -> UserMentioned | None:
    """The UserMentioned to emit with a save of `text` (None when nobody new is mentioned)."""
    user_ids = [u for u in new_mentions(before, text) if u != author_id]
    if not user_ids:
        return None
    return UserMentioned(service=service, record_type=record_type, record_id=record_id,
                         parent_id=parent_id, author_id=author_id, user_ids=user_ids,
                         excerpt=excerpt(text))
