"""Request body of /orders/imports (the answers are the opportunity imports' shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from crm_shared.money import currency_code
from crm_shared.validation import Payload

MAX_INLINE_CHARS = 5 * 1024 * 1024  # the API's body limit (1 MiB) is lower and comes first


class OrderImportIn(Payload):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)

    csv: str = Field(min_length=1, max_length=MAX_INLINE_CHARS,
                     description="The file, inline (UTF-8 text, header row first); one row "
                     "per order line, the lines of an order share its external_id.")
    mapping: dict[str, str] | None = Field(
        default=None, min_length=1, max_length=50,
        description="CSV column -> field; by default the columns named like the fields.")
    source: Literal["shop", "erp", "pos", "manual"] = Field(
        default="erp", description="Of rows without a source column or cell.")
    currency: str = Field(default="USD", description="Of rows without a currency cell.")

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: object) -> object:
        return currency_code(value)
