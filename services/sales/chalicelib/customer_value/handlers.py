"""Order events fold into customer value and stats; OrderPaid also counts co-purchases.

Every order event carries the order with its version, so each handler is order-safe; the
consumer's marker (same transaction) makes each delivery count once.
"""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.customer_value import logic
from crm_shared.events.commerce_events import (
    OrderCancelled,
    OrderDelivered,
    OrderEvent,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
)
from crm_shared.events.consumer import EventContext
from crm_shared.unit_of_work import UnitOfWork


def fold_order(event: OrderEvent, ctx: EventContext, uow: UnitOfWork) -> None:
    """The order's latest version replaces what it counted for before."""
    logic.apply_order(uow, ctx.tenant_id, event.order)


for _event in (OrderPlaced, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled,
               OrderRefunded):
    consumer.on(_event)(fold_order)


@consumer.on(OrderPaid)
def count_co_purchases(event: OrderPaid, ctx: EventContext, uow: UnitOfWork) -> None:
    """Each pair of products in a paid order gains its customer."""
    logic.count_pairs(uow, ctx.tenant_id, event.order)
