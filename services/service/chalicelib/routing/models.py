"""Routing items: an agent's skills and open-ticket count, and round-robin positions."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models import ServiceItem


class AgentItem(ServiceItem):
    """An agent as routing sees them: skills set by admins, open tickets kept by ticket
    writes (least_open reads one BatchGet of these)."""

    user_id = UnicodeAttribute(null=True)
    skills = JSONAttribute(null=True)
    open_count = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class RoundRobinItem(ServiceItem):
    """The next position of a rule's round robin over its team's active members."""

    position = NumberAttribute(default=0)
