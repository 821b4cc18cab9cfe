"""Request and response bodies of /products."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.products.domain import MAX_ALIASES
from crm_shared.money import Money
from crm_shared.validation import Payload

Name = Annotated[str, Field(min_length=1, max_length=120)]


class ProductFields(Payload):
    """On PATCH only the fields sent change; `aliases` replaces the whole list."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    series: str | None = Field(default=None, min_length=1, max_length=80)
    price: Money | None = None
    aliases: list[Name] | None = Field(default=None, max_length=MAX_ALIASES,
                                      description="Other spellings imports use (GTXPro).")
    active: bool | None = None
    description: str | None = Field(default=None, max_length=2000)


class ProductCreate(ProductFields):
    name: str = Field(min_length=1, max_length=120)
    price: Money
    active: bool = True


class ProductOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    product_id: str
    name: str
    series: str | None = None
    price: dict[str, Any]
    aliases: list[str] = Field(default_factory=list)
    active: bool
    description: str | None = None
    created_at: str
    updated_at: str
    version: int


class ProductPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ProductOut]
    next_cursor: str | None
