"""Bodies of /orders/connectors and /orders/settings; the mapping of a shop's payloads."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from crm_shared.validation import Payload

Path = str  # a dotted path into the shop's JSON payload ("customer.email")
OrderStatus = Literal["placed", "paid", "shipped", "delivered", "cancelled", "refunded"]
DEFAULT_STATUS_MAP: dict[str, OrderStatus] = {
    "pending": "placed", "placed": "placed", "paid": "paid", "fulfilled": "shipped",
    "shipped": "shipped", "delivered": "delivered", "cancelled": "cancelled",
    "refunded": "refunded",
}


class LineMapping(Payload):
    sku: Path | None = "sku"
    product_id: Path | None = None
    name: Path | None = "name"
    quantity: Path = "quantity"
    unit_price: Path = "price"
    discount: Path | None = None


class OrderMapping(Payload):
    external_id: Path = "id"
    status: Path | None = "status"
    placed_at: Path | None = "created_at"
    currency: Path = "currency"
    total: Path = "total"
    lines: Path = "line_items"
    contact_id: Path | None = None
    customer_email: Path | None = "email"
    customer_name: Path | None = None
    cart_id: Path | None = "cart_id"
    carrier: Path | None = None
    tracking_number: Path | None = None


class CartMapping(Payload):
    external_id: Path = "id"
    currency: Path = "currency"
    total: Path = "total"
    lines: Path = "line_items"
    contact_id: Path | None = None
    email: Path | None = "email"


class Mapping(Payload):
    """How the shop's order and cart payloads read. `kind` names the field whose value says
    which one a payload is (one of `cart_kinds` for a cart); amounts come in `major` units
    (12.50) or `minor` (1250)."""

    kind: Path = "type"
    cart_kinds: list[str] = Field(default_factory=lambda: ["cart", "checkout"], max_length=10)
    amounts: Literal["major", "minor"] = "major"
    status_map: dict[str, OrderStatus] = Field(default_factory=lambda: dict(DEFAULT_STATUS_MAP),
                                               max_length=50)
    line: LineMapping = Field(default_factory=LineMapping)
    order: OrderMapping = Field(default_factory=OrderMapping)
    cart: CartMapping = Field(default_factory=CartMapping)


class ConnectorFields(Payload):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    mapping: Mapping | None = None
    enabled: bool | None = None


class ConnectorCreate(ConnectorFields):
    name: str = Field(min_length=1, max_length=200)
    source: Literal["shop", "erp", "pos"] = "shop"


class ConnectorOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    connector_key: str
    name: str
    source: str
    enabled: bool
    mapping: dict[str, Any]
    ingest_path: str
    secret: str | None = Field(default=None, description="Shown once, when created.")
    created_at: str
    updated_at: str
    version: int


class ConnectorPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ConnectorOut]
    next_cursor: str | None


class IntakeSettings(Payload):
    cart_abandon_hours: StrictInt = Field(default=24, ge=1, le=24 * 30)


class IngestOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    kind: Literal["order", "cart"]
    id: str
    created: bool
    version: int = Field(description="Unchanged by a replayed payload.")
