"""Assignment items: the ordered rules, each rep's open-lead count, round-robin pointers."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import SalesItem


class RulesItem(SalesItem):
    rules = JSONAttribute(default=list)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class LoadItem(SalesItem):
    """How many open leads a rep owns (caps are checked against it in the same write)."""

    user_id = UnicodeAttribute()
    open_leads = NumberAttribute(default=0)


class PointerItem(SalesItem):
    """Where a team rule's round robin continues."""

    position = NumberAttribute(default=0)
