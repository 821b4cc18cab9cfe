"""Request and response bodies of /opportunities/imports."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_shared.money import currency_code
from crm_shared.validation import Payload

MAX_INLINE_CHARS = 5 * 1024 * 1024  # the API's body limit (1 MiB) is lower and comes first


class ImportIn(Payload):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)

    csv: str = Field(min_length=1, max_length=MAX_INLINE_CHARS,
                     description="The file, inline (UTF-8 text, header row first).")
    mapping: dict[str, str] | None = Field(
        default=None, min_length=1, max_length=50,
        description="CSV column -> field; by default Maven's sales_pipeline.csv columns.")
    currency: str = Field(default="USD", description="Of the amount column (whole units).")
    pipeline_id: str | None = Field(default=None, min_length=1, max_length=40,
                                    description="Where the deals go; the default pipeline "
                                    "when absent.")

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: object) -> object:
        return currency_code(value)


class RowErrorOut(BaseModel):
    row: int = Field(description="The record's number as a spreadsheet shows it (header 1).")
    column: str
    field: str
    message: str


class ImportOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    import_id: str
    status: str
    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    mapping: dict[str, str]
    currency: str
    created_at: str
    finished_at: str | None = None
    errors: list[RowErrorOut] | None = Field(
        default=None, description="The rows that failed (GET of one import only), by row.")
    errors_truncated: bool = False


class ImportPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ImportOut]
    next_cursor: str | None
