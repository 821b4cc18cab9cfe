"""Collaboration events any service emits about its free text (source crm.collaboration).

Notes, comments and replies live in several services; a mention in any of them reaches
the platform's notification inbox the same way. One detail-type has one source on the bus
(consumers key subscriptions by detail-type), so the emitting service travels in the data
(`service`) rather than in `source`.
"""

from __future__ import annotations

from pydantic import Field

from crm_shared.events.envelope import Event


class UserMentioned(Event):
    """`user_ids` were @mentioned by `author_id` in the text of a record (`record_type`,
    `record_id`, in `service`); `excerpt` is the text around the mentions, for the inbox."""

    source = "crm.collaboration"

    service: str
    record_type: str
    record_id: str
    parent_id: str | None = None
    author_id: str | None = None
    user_ids: list[str] = Field(min_length=1)
    excerpt: str = ""
