"""Events of the customer's transaction history in sales (source crm.sales): orders, carts,
contracts and loyalty.

Records travel as the API shows them (`order`, `contract`), with their `version`, so a
consumer needs no call back to sales and can tell a late event from a newer one.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from crm_shared.events.envelope import Event


class CommerceEvent(Event):
    source = "crm.sales"


class OrderEvent(CommerceEvent):
    """An order reached a status; `order` is the record after the change."""

    order_id: str
    contact_id: str | None = None
    order: dict[str, Any]


class OrderPlaced(OrderEvent):
    pass


class OrderPaid(OrderEvent):
    """Loyalty earns points on it; co-purchase counts grow on it."""


class OrderShipped(OrderEvent):
    pass


class OrderDelivered(OrderEvent):
    pass


class OrderCancelled(OrderEvent):
    pass


class OrderRefunded(OrderEvent):
    """Loyalty reverses the points the order earned."""


class CartAbandoned(CommerceEvent):
    """A shop cart saw no order for the tenant's abandonment window (marketing reminds)."""

    cart_id: str
    connector_key: str
    external_id: str
    contact_id: str | None = None
    email: str | None = None
    cart: dict[str, Any]


class ContractExpiring(CommerceEvent):
    """`days_before` is the notice period that came due (one event per notice)."""

    contract_id: str
    days_before: int
    end_date: str
    owner_id: str | None = None
    renewal_opportunity_id: str | None = None
    task_id: str | None = None
    contract: dict[str, Any]


class ContractRenewed(CommerceEvent):
    contract_id: str
    previous_end_date: str
    end_date: str
    contract: dict[str, Any]


class ContractEnded(CommerceEvent):
    contract_id: str
    reason: str | None = None
    contract: dict[str, Any]


class TierChanged(CommerceEvent):
    contact_id: str
    from_tier: str | None = None
    to_tier: str | None = None
    balance: int
    lifetime_points: int


class PointsChanged(CommerceEvent):
    """One ledger entry: `kind` is earned, reversed, redeemed, expired or adjusted."""

    contact_id: str
    entry_id: str
    kind: str
    points: int = Field(description="Signed: negative for reversals, redemptions, expiry.")
    balance: int
    order_id: str | None = None
    reason: str | None = None
