"""Request and response bodies of /imports and /exports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.validation import Payload

MAX_INLINE_CHARS = 5 * 1024 * 1024  # the API's body limit (1 MiB) is lower: see api.py
ObjectType = Literal["contact", "company"]


class ImportIn(Payload):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)

    object_type: ObjectType
    format: Literal["csv"] = "csv"
    mapping: dict[str, str] = Field(min_length=1, max_length=200)
    upsert_key: Literal["email", "phone", "domain", "external_id", "name"] | None = Field(
        default=None, description="What matches a row to an existing record: contacts by "
        "email, phone or external_id; companies by domain, external_id or name (by default "
        "domain, then name).")
    csv: str | None = Field(default=None, max_length=MAX_INLINE_CHARS)
    upload: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> ImportIn:
        if (self.csv is None) == (not self.upload):
            raise ValueError("send the file inline as `csv`, or `upload: true` for a URL")
        return self


class UploadOut(BaseModel):
    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_in: int


class ImportOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    import_id: str
    object_type: str
    status: str
    source: str | None = None
    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    linked: int = Field(default=0, description="Companies whose parent the second pass set "
                        "from `subsidiary_of`.")
    reason: str | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    error_report_url: str | None = None
    upload: UploadOut | None = None


class ExportIn(Payload):
    object_type: ObjectType
    format: Literal["csv"] = "csv"
    filter: list[Any] | None = Field(default=None, max_length=5)
    fields: list[str] | None = Field(default=None, min_length=1, max_length=100)


class ExportOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    export_id: str
    object_type: str
    status: str
    rows: int = 0
    read: int = 0
    fields: list[str]
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    reason: str | None = None
    download_url: str | None = None


class ImportPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ImportOut]
    next_cursor: str | None


class ExportPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ExportOut]
    next_cursor: str | None
