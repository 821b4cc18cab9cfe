"""File rules in plain Python: what may be uploaded, and a filename safe for a key."""

from __future__ import annotations

import re
import unicodedata

from crm_shared.errors import ValidationFailed

MAX_BYTES = 25 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 5 * 60
PENDING_HOURS = 24  # an upload never completed disappears (TTL) after this
RELATED_PREFIXES = ("con", "cmp", "opp", "tkt")
PARTY_PREFIXES = ("con", "cmp")  # the related ids that have a timeline here

# content type -> the filename extensions it may carry
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "text/plain": ("txt", "log", "md"),
    "text/csv": ("csv",),
    "application/zip": ("zip",),
    "application/msword": ("doc",),
    "application/vnd.ms-excel": ("xls",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "message/rfc822": ("eml",),
}


def display_name(raw: str) -> str:
    """The name as people see it: no directories, no control characters."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if not name or name in {".", ".."}:
        raise ValidationFailed.for_field("filename", "must name a file")
    return name[:255]


def safe_name(name: str) -> str:
    """ASCII letters, digits, `.`, `_` and `-` only: safe in an S3 key and a header."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._-")
    stem, dot, ext = cleaned.rpartition(".")
    if dot and stem:
        return f"{stem[:100]}.{ext[:10]}"
    return cleaned[:100] or "file"


def check_type(content_type: str, filename: str) -> str:
    """The content type, lowercased, if allowed and matching the filename's extension."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ALLOWED:
        raise ValidationFailed.for_field(
            "content_type", "is not allowed; use one of " + ", ".join(sorted(ALLOWED)))
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if ext not in ALLOWED[kind]:
        raise ValidationFailed.for_field(
            "filename", f"must end in .{' or .'.join(ALLOWED[kind])} for {kind}")
    return kind


def object_key(tenant_id: str, file_id: str, filename: str) -> str:
    """`<tenant_id>/files/<file_id>/<safe name>`: the tenant first, as in every key."""
    return f"{tenant_id}/files/{file_id}/{safe_name(filename)}"
