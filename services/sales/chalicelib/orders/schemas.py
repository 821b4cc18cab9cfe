"""Request and response bodies of /orders (the record is what every Order* event carries)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, model_validator

from crm_shared.money import Money
from crm_shared.validation import Payload

Source = Literal["shop", "erp", "pos", "manual"]
Status = Literal["placed", "paid", "shipped", "delivered", "cancelled", "refunded"]
# Each line is a stats update when the order is counted: all of an order's aggregates and
# its events fit one transaction (100 items).
MAX_LINES = 25
EXTERNAL_ID = r"^[A-Za-z0-9._:#@/-]{1,128}$"


class LineIn(Payload):
    product_id: str | None = Field(default=None, pattern=r"^prd_[0-9A-Z]{26}$")
    sku: str | None = Field(default=None, min_length=1, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=300)
    quantity: StrictInt = Field(ge=1, le=1_000_000)
    unit_price: Money
    discount: Money | None = None

    @model_validator(mode="after")
    def _names_a_product(self) -> LineIn:
        if not self.product_id and not self.sku:
            raise ValueError("a line needs a product_id or a sku")
        return self


class AddressIn(Payload):
    street: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class ShippingIn(Payload):
    """Where and how it ships; the recipient's details are personal data (erasure strips)."""

    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=200)
    shipped_at: AwareDatetime | None = None
    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    address: AddressIn | None = None


class CustomerIn(Payload):
    """Who bought, as the shop knows them (personal data, erasure strips it)."""

    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=254)


class OrderFields(Payload):
    """What a PATCH may change; lines and totals only while the order is placed."""

    contact_id: str | None = Field(default=None, pattern=r"^con_[0-9A-Z]{26}$")
    company_id: str | None = Field(default=None, pattern=r"^cmp_[0-9A-Z]{26}$")
    status: Status | None = None
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    totals: Money | None = None
    shipping: ShippingIn | None = None
    customer: CustomerIn | None = None
    placed_at: AwareDatetime | None = None


class OrderCreate(OrderFields):
    """POST /orders: with `external_id`, a repeat returns the order it made (`?upsert=true`
    applies the body to it instead)."""

    source: Source = "manual"
    external_id: str | None = Field(default=None, pattern=EXTERNAL_ID)
    status: Status = "placed"
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    totals: Money


class LineOut(BaseModel):
    product_id: str | None = None
    sku: str | None = None
    name: str | None = None
    quantity: int
    unit_price: dict[str, Any]
    discount: dict[str, Any] | None = None
    total: dict[str, Any]


class OrderOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    order_id: str
    source: str
    external_id: str | None = None
    contact_id: str | None = None
    company_id: str | None = None
    status: str
    lines: list[LineOut]
    totals: dict[str, Any]
    shipping: dict[str, Any] = Field(default_factory=dict)
    customer: dict[str, Any] = Field(default_factory=dict)
    placed_at: str
    status_changed_at: str
    created_at: str
    updated_at: str
    version: int


class OrderPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[OrderOut]
    next_cursor: str | None


class HistoryOut(BaseModel):
    from_status: str | None = None
    to_status: str
    at: str
    actor: str | None = None


class HistoryPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[HistoryOut]
    next_cursor: str | None
