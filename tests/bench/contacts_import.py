"""A measurable import: N generated rows through the real chunks, counted at botocore.

`measure(tenant_id, principal, rows)` submits an inline import, drains the jobs queue in
this process (as handle_jobs would, one message at a time) and returns rows/s and AWS
requests per row. tests/api/contacts/test_transfers.py runs it (slow) and `make bench` on
1,000 rows. It lives with the bench, not the product; import it with the contacts app loaded.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import botocore.client

from chalicelib.transfers import importer, jobs
from crm_shared.context import Principal

MAPPING = {"First": "first_name", "Last": "last_name", "Email": "email", "Title": "title",
           "Stage": "lifecycle_stage", "Tags": "tags"}


def sample_csv(rows: int, tag: str = "bench") -> str:
    lines = ["First,Last,Email,Title,Stage,Tags"]
    lines += [f"Ada{i},Lovelace{i},{tag}-{i}@example.com,Engineer,customer,{tag};vip"
              for i in range(rows)]
    return "\n".join(lines) + "\n"


def drain(limit: int = 100_000) -> int:
    """Receive and handle jobs messages until the queue is empty; returns how many."""
    sqs, url, handled = jobs.queue.sqs, jobs.queue.url, 0
    while handled < limit:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            return handled
        message = messages[0]
        result = jobs.queue.process_batch({"Records": [{
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": {}, "messageAttributes": {},
            "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "", "awsRegion": ""}]})
        if result.get("batchItemFailures"):
            raise RuntimeError(f"a jobs message failed: {json.loads(message['Body'])}")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += 1
    return handled


def measure(tenant_id: str, principal: Principal, rows: int = 10_000) -> dict[str, Any]:
    """Import `rows` new contacts; returns the job's counts, rows/s and requests per row."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, params)

    text = sample_csv(rows, tenant_id.lower()[-8:])
    request = {"object_type": "contact", "format": "csv", "mapping": MAPPING,
               "upsert_key": "email"}
    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    started = time.perf_counter()
    try:
        job = importer.submit(principal, tenant_id, request, text)
        drain()
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
    seconds = time.perf_counter() - started
    done = importer.get(tenant_id, job.job_id)
    dynamodb = sum(n for k, n in calls.items() if k.startswith("dynamodb:"))
    return {"import_id": job.job_id, "status": done.status, "rows": rows,
            "created": int(done.created), "failed": int(done.failed),
            "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds, 1),
            "dynamodb_requests": dynamodb, "dynamodb_per_row": round(dynamodb / rows, 4),
            "calls": dict(sorted(calls.items()))}
