"""Request and response bodies of /files."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from chalicelib.files.domain import MAX_BYTES
from crm_shared.validation import Payload


class FileIn(Payload):
    related_id: str = Field(pattern=r"^(con|cmp|opp|tkt)_[0-9A-HJKMNP-TV-Z]{26}$")
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=200)
    size: StrictInt = Field(ge=1, le=MAX_BYTES, description="bytes; the upload may not exceed it")
    team_id: str | None = Field(default=None, pattern=r"^tea_[0-9A-HJKMNP-TV-Z]{26}$")


class Upload(BaseModel):
    """A presigned POST: send `fields` and then the file as multipart form data to `url`."""

    method: str = "POST"
    url: str
    fields: dict[str, str]
    expires_at: str


class FileOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    file_id: str
    related_id: str
    filename: str
    content_type: str
    size: int
    status: str
    owner_id: str | None = None
    team_id: str | None = None
    created_at: str
    completed_at: str | None = None
    version: int
    upload: Upload | None = None
    download_url: str | None = None
    download_expires_at: str | None = None


class FilePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[FileOut]
    next_cursor: str | None
