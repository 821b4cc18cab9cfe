"""The inbound bucket: raw messages as SES wrote them, and what the service keeps of them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from crm_shared import clock
from crm_shared.settings import get_settings

HEAD_BYTES = 64 * 1024  # enough for the headers of an oversized message


@cache
def s3() -> Any:
    import boto3  # deferred: only the inbound consumer and erasure use S3

    settings = get_settings()
    return boto3.client("s3", region_name=settings.region, endpoint_url=settings.aws_endpoint_url)


def bucket() -> str:
    """`CRM_INBOUND_BUCKET` (the template's InboundBucket)."""
    name = os.environ.get("CRM_INBOUND_BUCKET", "")
    if not name:
        raise RuntimeError("CRM_INBOUND_BUCKET is not set")
    return name


@dataclass
class Stored:
    key: str
    size: int
    received_at: str
    data: bytes  # the whole message, or its first HEAD_BYTES when it is over the limit


class Gone(Exception):
    """The object no longer exists (already moved after a first delivery)."""


def fetch(name: str, key: str, limit: int) -> Stored:
    """The object, or only its head when larger than `limit` (never loads a huge message)."""
    client = s3()
    try:
        head = client.head_object(Bucket=name, Key=key)
    except client.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise Gone(key) from None
        raise
    size = int(head["ContentLength"])
    modified: datetime = head.get("LastModified") or clock.now()
    extra = {"Range": f"bytes=0-{HEAD_BYTES - 1}"} if size > limit else {}
    try:
        body = client.get_object(Bucket=name, Key=key, **extra)["Body"].read()
    except client.exceptions.NoSuchKey:
        raise Gone(key) from None
    return Stored(key, size, clock.iso(modified), body)


def put(key: str, data: bytes, content_type: str) -> None:
    s3().put_object(Bucket=bucket(), Key=key, Body=data, ContentType=content_type,
                    ServerSideEncryption="AES256")


def move(source_bucket: str, source: str, target: str) -> None:
    """Copy the raw message under its tenant's prefix; the original goes once committed."""
    s3().copy_object(Bucket=bucket(), Key=target, CopySource={"Bucket": source_bucket,
                                                               "Key": source},
                     ServerSideEncryption="AES256")


def delete(name: str, *keys: str) -> None:
    """Delete objects (a missing one is fine: S3 deletes are idempotent)."""
    found = [k for k in keys if k]
    for start in range(0, len(found), 1000):
        s3().delete_objects(Bucket=name, Delete={
            "Objects": [{"Key": k} for k in found[start:start + 1000]], "Quiet": True})
