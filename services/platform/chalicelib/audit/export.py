"""The daily export: each tenant-day of entries as JSON lines in the Object Lock bucket.

The bucket (resources.yaml `AuditBucket`) keeps every object version under a COMPLIANCE
default retention, so not even the account's root can change or delete an exported day
before it runs out. A day is due once it is over (plus a grace for late events); a late
event puts its day back on the DUE index and the day is written again, whole (a new
version: the earlier one stays locked). Found by the DUE index, never a Scan.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.audit import domain, logic
from chalicelib.audit import repository as repo
from crm_shared import clock, observability
from crm_shared.settings import get_settings

BATCH = 50


def bucket_name() -> str:
    """CRM_AUDIT_BUCKET (the template passes it), else the template's name for it."""
    name = os.environ.get("CRM_AUDIT_BUCKET", "")
    if name:
        return name
    import boto3

    settings = get_settings()
    account = boto3.client("sts", region_name=settings.region,
                           endpoint_url=settings.aws_endpoint_url).get_caller_identity()
    return f"crm-{settings.stage}-platform-audit-{account['Account']}-{settings.region}"


def object_key(tenant_id: str, day: str) -> str:
    return f"{tenant_id}/{day[:4]}/{day[5:7]}/{day}.jsonl"


def day_lines(tenant_id: str, day: str) -> bytes:
    """The day's entries, oldest first, one JSON object a line."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    low = domain.id_bound(start, upper=False)
    high = domain.id_bound(start + timedelta(days=1) - timedelta(milliseconds=1), upper=True)
    lines = [json.dumps({"tenant_id": tenant_id, **logic.entry_view(entry)},
                        separators=(",", ":"), sort_keys=True)
             for entry in repo.entries_between(tenant_id, low, high)]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def write_day(s3: Any, bucket: str, tenant_id: str, day: str) -> str | None:
    """Put the tenant-day's file; returns its key (None when the day has no entries)."""
    body = day_lines(tenant_id, day)
    if not body:
        return None
    key = object_key(tenant_id, day)
    # Object Lock buckets refuse a put without an integrity checksum
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson",
                  ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode())
    return key


def export_due_days(s3: Any = None, bucket: str | None = None, limit: int = BATCH) -> int:
    """Write every due tenant-day (up to `limit` a run); returns how many were written."""
    if s3 is None:
        import boto3

        settings = get_settings()
        s3 = boto3.client("s3", region_name=settings.region,
                          endpoint_url=settings.aws_endpoint_url)
    bucket = bucket or bucket_name()
    done = 0
    for marker in repo.due_days(limit, clock.now()):
        write_day(s3, bucket, marker.tenant_id, marker.day)
        repo.exported(marker)
        done += 1
    observability.logger("platform").info("audit days exported", extra={"days": done})
    return done
