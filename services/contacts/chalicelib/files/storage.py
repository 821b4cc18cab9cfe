"""The files bucket: presigned uploads and downloads, the checks after an upload.

Clients never get bucket credentials: they upload and download with URLs signed for one
key, one content type and a size range, valid for minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import config
from chalicelib.files import domain


def _s3() -> Any:
    return config.s3_client()


def presigned_upload(key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
    """A presigned POST that S3 refuses for another key, another type or a larger body."""
    post = _s3().generate_presigned_post(
        config.files_bucket(), key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=domain.UPLOAD_SECONDS)
    return {"url": post["url"], "fields": dict(post["fields"])}


def presigned_download(key: str, filename: str) -> str:
    disposition = f'attachment; filename="{domain.safe_name(filename)}"'
    return str(_s3().generate_presigned_url(
        "get_object", Params={"Bucket": config.files_bucket(), "Key": key,
                              "ResponseContentDisposition": disposition},
        ExpiresIn=domain.DOWNLOAD_SECONDS))


@dataclass(frozen=True)
class Stored:
    size: int
    content_type: str


def head(key: str) -> Stored | None:
    """What S3 holds at `key` (None: nothing was uploaded)."""
    from botocore.exceptions import ClientError

    try:
        found = _s3().head_object(Bucket=config.files_bucket(), Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    return Stored(int(found["ContentLength"]), str(found.get("ContentType", "")).lower())


def delete(key: str) -> None:
    """Delete the object (deleting a missing one succeeds)."""
    _s3().delete_object(Bucket=config.files_bucket(), Key=key)
