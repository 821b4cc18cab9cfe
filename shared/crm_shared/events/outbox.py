"""Outbox items: events written in the same transaction as the state they describe.

The table stream publishes each new outbox item to the bus and then deletes it; an item
that fails to publish stays in the table and its stream record is retried.
"""

from __future__ import annotations

from functools import cache

from pynamodb.attributes import UnicodeAttribute

from crm_shared.dynamo import BaseItem, table_meta

OUTBOX_SK = "OUTBOX"


class OutboxItem(BaseItem):
    source = UnicodeAttribute()
    detail_type = UnicodeAttribute()
    detail = UnicodeAttribute()


@cache
def outbox_item_class(service: str) -> type[OutboxItem]:
    """The outbox model bound to `service`'s table."""
    return type(f"{service.title()}OutboxItem", (OutboxItem,), {"Meta": table_meta(service)})
