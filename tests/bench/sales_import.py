"""The Maven data set in a test tenant, and a measurable opportunity import.

`maven_tenant(...)` makes a tenant whose sales directory knows the chosen agents of
sales_teams.csv and whose catalog holds products.csv (as `make demo` does through the API);
`pipeline_rows(agents)` is sales_pipeline.csv cut to those agents' deals; `measure(...)`
runs an import in this process (submit, then the jobs queue drained one message at a time,
as handle_jobs would) and returns rows/s and DynamoDB requests per row, counted at botocore
(and apart, the product reads `opportunities.create_in` makes for each deal's line).
tests/api/sales/test_demo_data.py and `make bench` use them.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import botocore.client

from infra.local.demo import DATA_DIR, product_bodies, sales_people
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.services import load_app


def pipeline_rows(agents: Iterable[str] | None = None,
                  within: int | None = None) -> list[dict[str, str]]:
    """sales_pipeline.csv's rows in file order: only `agents`' deals when given, among the
    file's first `within` rows when given."""
    wanted = set(agents) if agents is not None else None
    with (DATA_DIR / "sales_pipeline.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:within]
    return [r for r in rows if wanted is None or r["sales_agent"] in wanted]


def as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def maven_tenant(platform: ApiClient, sales: ApiClient, tenants: Tenants,
                 settle: Callable[[], Any], agents: Iterable[str]) -> tuple[Tenant, dict[str,
                                                                                         str]]:
    """A tenant with `agents` as sales reps (names as in the data set) and every product;
    returns it and the agents' user ids by name, once sales' directory knows them."""
    tenant = tenants.create("Maven")
    domain = tenant.tenant_id.lower().replace("_", "-") + ".example.com"
    wanted = set(agents)
    ids = {}
    for person in sales_people():
        if person.name not in wanted or person.role != "sales_rep":
            continue
        email = person.name.lower().replace(" ", ".") + "@" + domain
        reply = platform.post("/users", {"email": email, "name": person.name,
                                         "roles": ["sales_rep"]}, token=tenant.admin_token)
        assert reply.status == 201, reply.json
        ids[person.name] = str(reply.json["user_id"])
    for body in product_bodies():
        reply = sales.post("/products", body, token=tenant.admin_token)
        assert reply.status == 201, reply.json
    settle()
    return tenant, ids


def drain(queue: Any, limit: int = 100_000) -> int:
    """Receive and handle jobs messages until the queue is empty; returns how many."""
    sqs, url, handled = queue.sqs, queue.url, 0
    while handled < limit:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            return handled
        message = messages[0]
        result = queue.process_batch({"Records": [{
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": {}, "messageAttributes": {},
            "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "", "awsRegion": ""}]})
        if result.get("batchItemFailures"):
            raise RuntimeError(f"a jobs message failed: {json.loads(message['Body'])}")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += 1
    return handled


def _product_keys(params: dict[str, Any]) -> bool:
    """Whether a BatchGetItem reads product records (opportunities resolving a deal's
    lines), as opposed to the import's own row keys."""
    return any("#PRODUCT#" in key["PK"]["S"] for table in params["RequestItems"].values()
               for key in table["Keys"])


def measure(tenant: Tenant, text: str) -> dict[str, Any]:
    """Import `text` as the tenant's admin; the job's counts, rows/s and requests per row."""
    load_app("sales")
    from chalicelib.imports import logic
    from chalicelib.imports.jobs import queue
    from chalicelib.imports.schemas import ImportIn
    from crm_shared.jobs import principal_of
    from crm_shared.validation import validate

    principal = principal_of({"kind": "user", "subject": tenant.admin_user_id,
                              "roles": ["admin"]}, tenant.tenant_id)
    body = validate(ImportIn, {"csv": text})
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
        if operation == "BatchGetItem" and _product_keys(params):
            calls["dynamodb:BatchGetItem (products of a deal's lines)"] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    started = time.perf_counter()
    try:
        job = logic.submit(principal, tenant.tenant_id, body)
        drain(queue)
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
    seconds = time.perf_counter() - started
    done = logic.get(logic.OPPORTUNITIES, tenant.tenant_id, job.import_id)
    rows = int(done.total)
    lines = calls.pop("dynamodb:BatchGetItem (products of a deal's lines)", 0)
    dynamodb = sum(n for k, n in calls.items() if k.startswith("dynamodb:"))
    return {"import_id": job.import_id, "status": done.status, "rows": rows,
            "created": int(done.created), "failed": int(done.failed),
            "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds, 1),
            "dynamodb_requests": dynamodb, "dynamodb_per_row": round(dynamodb / rows, 4),
            "product_line_reads": lines,
            "own_per_row": round((dynamodb - lines) / rows, 4),
            "calls": dict(sorted(calls.items()))}


def import_row(platform: ApiClient, sales: ApiClient, tenants: Tenants,
               settle: Callable[[], Any], rows: int = 1_000) -> tuple[str, str, str, str]:
    """The first `rows` Maven deals through the import: DynamoDB requests per row and rows/s
    (the deals' product reads inside opportunities.create_in shown apart)."""
    deals = pipeline_rows()[:rows]
    tenant, _ = maven_tenant(platform, sales, tenants, settle,
                             {r["sales_agent"] for r in deals})
    result = measure(tenant, as_csv(deals))
    assert result["status"] == "completed" and result["created"] == rows, result
    return (f"opportunity import of {rows:,} Maven rows", str(result["dynamodb_requests"]),
            f"{result['dynamodb_per_row']} requests/row ({result['product_line_reads']} "
            "product reads in create_in: a ProductCache per chunk)",
            f"{result['rows_per_second']} rows/s on moto")
