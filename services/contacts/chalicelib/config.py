"""Settings only the contacts service has, read once at start-up."""

from __future__ import annotations

import os
from functools import lru_cache

from crm_shared.settings import get_settings


@lru_cache(maxsize=1)
def files_bucket() -> str:
    """The bucket for files, imports and exports (the template passes CRM_FILES_BUCKET)."""
    name = os.environ.get("CRM_FILES_BUCKET", "")
    if not name:
        raise RuntimeError("CRM_FILES_BUCKET is not set")
    return name


@lru_cache(maxsize=1)
def s3_client() -> object:
    import boto3  # deferred: only file, import and export routes need S3

    settings = get_settings()
    return boto3.client("s3", region_name=settings.region, endpoint_url=settings.aws_endpoint_url)
