"""Request and response bodies of /returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.tickets.schemas import CONTACT_ID
from crm_shared.money import Money
from crm_shared.validation import Payload

TICKET_ID = r"^tkt_[0-9A-HJKMNP-TV-Z]{26}$"
ORDER_ID = r"^ord_[0-9A-HJKMNP-TV-Z]{26}$"
Reason = Literal["damaged", "defective", "wrong_item", "not_as_described", "no_longer_needed",
                 "late_delivery", "other"]
Status = Literal["requested", "approved", "rejected", "received", "refunded", "replaced"]


class Line(Payload):
    """A returned product: by `sku`, `product_name` or both."""

    sku: str | None = Field(default=None, min_length=1, max_length=64)
    product_name: str | None = Field(default=None, min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=10_000)
    reason: Reason
    comment: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _named(self) -> Line:
        if not self.sku and not self.product_name:
            raise ValueError("give the sku or the product_name")
        return self


class Address(Payload):
    """Where the goods are collected or the replacement goes (personal data: erased with
    the contact)."""

    name: str | None = Field(default=None, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    region: str | None = Field(default=None, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class ReturnCreate(Payload):
    """`ticket_id` must name a ticket of the tenant; the order lives in the sales service,
    so only its reference is kept (`order_id` and/or the shop's `external_order_ref`)."""

    ticket_id: str = Field(pattern=TICKET_ID)
    order_id: str | None = Field(default=None, pattern=ORDER_ID)
    external_order_ref: str | None = Field(default=None, min_length=1, max_length=100)
    contact_id: str | None = Field(default=None, pattern=CONTACT_ID)
    type: Literal["return", "complaint"] = "return"
    lines: list[Line] = Field(min_length=1, max_length=50)
    notes: str | None = Field(default=None, max_length=5000)
    address: Address | None = None


class ReturnFields(Payload):
    """A status step (with an optional `note` kept in its history) and/or edits; `lines`
    change only while requested, `refund` comes with the step to refunded."""

    status: Status | None = None
    note: str | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, max_length=5000)
    address: Address | None = None
    lines: list[Line] | None = Field(default=None, min_length=1, max_length=50)
    refund: Money | None = None


class StepOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    status: str
    at: str
    by: str | None = None
    note: str | None = None


class ReturnOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    return_id: str
    ticket_id: str
    order_id: str | None = None
    external_order_ref: str | None = None
    contact_id: str | None = None
    type: str
    lines: list[dict[str, Any]]
    status: str
    notes: str | None = None
    address: dict[str, Any] | None = None
    refund: dict[str, Any] | None = None
    history: list[StepOut]
    created_by: str | None = None
    erased: bool = False
    created_at: str
    updated_at: str
    version: int


class ReturnPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ReturnOut]
    next_cursor: str | None
