"""CSV imports and exports through the real app, the jobs queue driven as Lambda would."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants) -> Tenant:
    return tenants.create("Transfers")


@pytest.fixture(scope="module")
def jobs_runtime(aws: dict[str, Any], session: Any) -> Any:
    """The contacts service's queues (events and jobs) through the local runtime's poller."""
    from infra.local.lambda_runtime import ServiceRuntime

    return ServiceRuntime(load_app("contacts"), aws["services"]["contacts"], session, None)


def drain(runtime: Any) -> int:
    moved = 0
    for _ in range(10_000):
        load_app("contacts")
        step = runtime.pump_queue()
        moved += step
        if not step:
            return moved
    raise AssertionError("the jobs queue never drained")


def s3_text(session: Any, aws: dict[str, Any], url: str) -> str:
    bucket = aws["services"]["contacts"]["files_bucket_name"]
    parsed = urlparse(url)
    key = unquote(parsed.path.lstrip("/"))
    key = key.removeprefix(f"{bucket}/")
    body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return str(body.decode("utf-8"))


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def submit(contacts: ApiClient, tenant: Tenant, text: str, **extra: Any) -> dict[str, Any]:
    body = {"object_type": "contact", "format": "csv", "upsert_key": "email", "csv": text,
            "mapping": {"First": "first_name", "Last": "last_name", "Email": "email",
                        "Stage": "lifecycle_stage", "Tags": "tags"}, **extra}
    reply = contacts.post("/imports", body, token=tenant.admin_token)
    assert reply.status == 202, reply.json
    return dict(reply.json)


def status(contacts: ApiClient, tenant: Tenant, import_id: str) -> dict[str, Any]:
    reply = contacts.get(f"/imports/{import_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def by_email(contacts: ApiClient, tenant: Tenant, email: str) -> list[dict[str, Any]]:
    reply = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "email", "operator": "eq", "value": email}]}]}, token=tenant.admin_token)
    return list(reply.json["items"])


def test_an_import_writes_good_rows_and_reports_bad_ones_by_row(
    contacts: ApiClient, tenant: Tenant, jobs_runtime: Any, session: Any, aws: dict[str, Any]
) -> None:
    tag = unique("bulk")
    lines = ["First,Last,Email,Stage,Tags"]
    lines += [f"Ada{i},Lovelace,{tag}-{i}@example.com,customer," for i in range(250)]
    lines[8] = f"Ada7,Lovelace,{tag}-7@example.com,customer,vip;{tag}"
    lines[11] = f"Bad,Email,not-an-email,lead,{tag}"  # record 12: the header is record 1
    lines[51] = f"Too,Many,{tag}-x@example.com,lead,{tag},extra"
    lines[101] = f"Odd,Stage,{tag}-y@example.com,royalty,{tag}"
    lines[201] = "Short,Row"
    job = submit(contacts, tenant, "\n".join(lines) + "\n")
    assert job["status"] == "pending" and job["import_id"].startswith("imp_")
    drain(jobs_runtime)
    done = status(contacts, tenant, job["import_id"])
    assert done["status"] == "completed", done
    assert (done["total"], done["processed"], done["created"], done["failed"]) == (
        250, 250, 246, 4)
    assert done["started_at"] and done["finished_at"]
    report = rows_of(s3_text(session, aws, done["error_report_url"]))
    assert report[0] == ["row", "column", "field", "error"]
    assert [(r[0], r[1], r[2]) for r in report[1:]] == [
        ("12", "Email", "emails[0].address"), ("52", "", ""),
        ("102", "Stage", "lifecycle_stage"), ("202", "", "")]
    assert "has 6 cells; the header has 5" in report[2][3]
    found = by_email(contacts, tenant, f"{tag}-7@example.com")
    assert [(c["first_name"], c["tags"], c["lifecycle_stage"]) for c in found] == [
        ("Ada7", sorted([tag, "vip"]), "customer")]


def test_a_second_import_updates_by_the_upsert_key(
    contacts: ApiClient, tenant: Tenant, jobs_runtime: Any
) -> None:
    tag = unique("upsert")
    first = submit(contacts, tenant, "First,Last,Email,Stage,Tags\n"
                   f"Ann,One,{tag}-a@example.com,lead,\nBob,Two,{tag}-b@example.com,lead,\n")
    drain(jobs_runtime)
    assert status(contacts, tenant, first["import_id"])["created"] == 2
    again = submit(contacts, tenant, "First,Last,Email,Stage,Tags\n"
                   f"Ann,One,{tag.upper()}-A@example.com,customer,gold\n"
                   f"Bob,Two,{tag}-b@example.com,lead,\n"
                   f"Cy,Three,{tag}-c@example.com,lead,\n")
    drain(jobs_runtime)
    done = status(contacts, tenant, again["import_id"])
    assert (done["created"], done["updated"], done["skipped"], done["failed"]) == (1, 1, 1, 0)
    ann = by_email(contacts, tenant, f"{tag}-a@example.com")
    assert len(ann) == 1 and ann[0]["lifecycle_stage"] == "customer" and ann[0]["tags"] == [
        "gold"] and ann[0]["version"] == 2


def test_a_redelivered_or_retried_chunk_counts_once(
    contacts: ApiClient, tenant: Tenant, jobs_runtime: Any, session: Any,
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = load_app("contacts")
    importer = __import__("sys").modules["chalicelib.transfers.importer"]
    monkeypatch.setattr(importer, "CHUNK_ROWS", 40)
    tag = unique("redeliver")
    text = "First,Last,Email,Stage,Tags\n" + "".join(
        f"P{i},Q,{tag}-{i}@example.com,lead,\n" for i in range(100))
    job = submit(contacts, tenant, text)
    sqs, url = session.client("sqs"), aws["services"]["contacts"]["jobs_queue_url"]
    assert jobs_runtime.pump_queue() == 1  # the plan: three chunk messages now
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]]
    chunks = {b["chunk"]: b for b in bodies if b.get("job_id") == job["import_id"]}
    assert sorted(chunks) == [0, 1, 2]
    # a Lambda that wrote chunk 1's rows and died before counting them
    writer_module = __import__("sys").modules["chalicelib.transfers.contact_import"]
    stored = importer.repo.get_job(tenant.tenant_id, "import", job["import_id"])
    key = importer.repo.upload_key(tenant.tenant_id, job["import_id"])
    data = importer._get(key, f"bytes={chunks[1]['start']}-{chunks[1]['end'] - 1}")
    crashed = writer_module.ChunkWriter(importer._spec(stored))
    crashed.run(list(importer.csvfile.rows_of(data, chunks[1]["first_row"])))
    assert crashed.counts["created"] == 40
    # chunk 0 delivered twice, on top of the regular deliveries
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(chunks[0]))
    drain(jobs_runtime)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(chunks[2]))
    drain(jobs_runtime)
    done = status(contacts, tenant, job["import_id"])
    assert done["status"] == "completed"
    assert (done["total"], done["processed"], done["created"], done["updated"],
            done["skipped"], done["failed"]) == (100, 100, 100, 0, 0, 0)
    assert [len(by_email(contacts, tenant, f"{tag}-{i}@example.com"))
            for i in (0, 39, 40, 79, 99)] == [1] * 5
    assert app is not None


def test_import_completed_is_emitted_once(contacts: ApiClient, tenant: Tenant,
                                          jobs_runtime: Any, session: Any) -> None:
    job = submit(contacts, tenant, f"First,Last,Email,Stage,Tags\nE,V,{unique('ev')}@x.io,,\n")
    drain(jobs_runtime)
    importer = __import__("sys").modules["chalicelib.transfers.importer"]
    importer.finish(tenant.tenant_id, job["import_id"])  # a late duplicate finisher
    pages = session.client("dynamodb").get_paginator("scan").paginate(  # tests may Scan
        TableName="crm-test-contacts", FilterExpression="detail_type = :t AND begins_with(PK, :pk)",
        ExpressionAttributeValues={":t": {"S": "ImportCompleted"},
                                   ":pk": {"S": f"T#{tenant.tenant_id}#OUTBOX#"}})
    details = [json.loads(i["detail"]["S"])["data"] for p in pages for i in p["Items"]]
    mine = [d for d in details if d["import_id"] == job["import_id"]]
    assert mine == [{"import_id": job["import_id"], "object_type": "contact", "total": 1,
                     "created": 1, "updated": 0, "skipped": 0, "failed": 0}]


def test_inline_csv_that_is_not_utf8_is_a_422_naming_csv(contacts: ApiClient,
                                                          tenant: Tenant) -> None:
    latin1 = "First,Last,Email\nRen\xe9,D,r@example.com\n".encode("latin-1")
    text = latin1.decode("utf-8", "surrogateescape")  # how Python reads it without a codec
    body = json.dumps({"object_type": "contact", "mapping": {"Email": "email"},
                       "upsert_key": "email", "csv": text})
    reply = contacts.post("/imports", raw=body.encode(), token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert [e["field"] for e in reply.json["errors"]] == ["csv"]


@pytest.mark.parametrize(("change", "field"), [
    ({"mapping": {"Email": "shoe_size"}}, "mapping.Email"),
    ({"mapping": {"Email": "properties.nope"}}, "mapping.Email"),
    ({"mapping": {"Missing": "email"}}, "mapping.Missing"),
    ({"upsert_key": "domain"}, "upsert_key"),
    ({"object_type": "planet"}, "object_type"),
    ({"csv": None}, "body"),
])
def test_bad_import_requests_name_the_field(contacts: ApiClient, tenant: Tenant,
                                            change: dict[str, Any], field: str) -> None:
    body = {"object_type": "contact", "mapping": {"Email": "email"}, "upsert_key": "email",
            "csv": "Email\na@example.com\n", **change}
    reply = contacts.post("/imports", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_an_upload_import_starts_once_the_file_is_there(
    contacts: ApiClient, tenant: Tenant, jobs_runtime: Any, session: Any, aws: dict[str, Any]
) -> None:
    reply = contacts.post("/imports", {"object_type": "contact", "upload": True,
                                       "mapping": {"Email": "email", "Name": "first_name"},
                                       "upsert_key": "email"}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    job = reply.json
    assert job["upload"]["method"] == "PUT" and job["upload"]["url"]
    start = f"/imports/{job['import_id']}/start"
    early = contacts.post(start, token=tenant.admin_token)
    assert early.status == 422 and early.json["errors"][0]["field"] == "upload"
    bucket = aws["services"]["contacts"]["files_bucket_name"]
    key = f"{tenant.tenant_id}/imports/{job['import_id']}.csv"
    email = f"{unique('up')}@example.com"
    session.client("s3").put_object(Bucket=bucket, Key=key,
                                    Body=f"\ufeffName,Email\nZoe,{email}\n".encode())
    assert contacts.post(start, token=tenant.admin_token).status == 202
    assert contacts.post(start, token=tenant.admin_token).status == 409
    drain(jobs_runtime)
    assert status(contacts, tenant, job["import_id"])["created"] == 1
    assert by_email(contacts, tenant, email)[0]["first_name"] == "Zoe"
    # not UTF-8: in the header's first 64 KB a 422 at start; further on, the job fails
    for rows, expected in ((0, 422), (3000, 202)):
        bad = contacts.post("/imports", {"object_type": "contact", "upload": True,
                                         "mapping": {"Email": "email"}},
                            token=tenant.admin_token).json
        good = "".join(f"{unique('fine')}-{i}@example.com\n" for i in range(rows))
        session.client("s3").put_object(
            Bucket=bucket, Key=f"{tenant.tenant_id}/imports/{bad['import_id']}.csv",
            Body=("Email\n" + good + "ren\xe9@example.com\n").encode("latin-1"))
        started = contacts.post(f"/imports/{bad['import_id']}/start", token=tenant.admin_token)
        assert started.status == expected, started.json
    assert started.json["status"] == "pending"
    drain(jobs_runtime)
    failed = status(contacts, tenant, bad["import_id"])
    assert failed["status"] == "failed" and "not UTF-8" in failed["reason"], failed
    assert failed["created"] == 0


def test_an_export_is_formula_safe_and_filtered(
    contacts: ApiClient, tenants: Tenants, jobs_runtime: Any, session: Any,
    aws: dict[str, Any]
) -> None:
    tenant = tenants.create("Exporter")
    for first, title, stage in (("=HYPERLINK(\"http://x\")", "+1 boss", "customer"),
                                ("@SUM(A1)", "-2", "customer"), ("Plain", "\tTab", "lead")):
        reply = contacts.post("/contacts", {"first_name": first, "title": title,
                                            "lifecycle_stage": stage}, token=tenant.admin_token)
        assert reply.status == 201, reply.json
    started = contacts.post("/exports", {
        "object_type": "contact", "fields": ["first_name", "title", "lifecycle_stage"],
        "filter": [{"filters": [{"field": "lifecycle_stage", "operator": "eq",
                                 "value": "customer"}]}]}, token=tenant.admin_token)
    assert started.status == 202, started.json
    drain(jobs_runtime)
    done = contacts.get(f"/exports/{started.json['export_id']}", token=tenant.admin_token).json
    assert done["status"] == "completed" and done["rows"] == 2, done
    rows = rows_of(s3_text(session, aws, done["download_url"]))
    assert rows[0] == ["first_name", "title", "lifecycle_stage"]
    assert sorted(rows[1:]) == [["'=HYPERLINK(\"http://x\")", "'+1 boss", "customer"],
                                ["'@SUM(A1)", "'-2", "customer"]]
    everything = contacts.post("/exports", {"object_type": "contact"},
                               token=tenant.admin_token).json
    drain(jobs_runtime)
    done = contacts.get(f"/exports/{everything['export_id']}", token=tenant.admin_token).json
    table = rows_of(s3_text(session, aws, done["download_url"]))
    assert len(table) == 4 and sorted(r[5] for r in table[1:]) == ["'+1 boss", "'-2", "Tab"]
    csvfile = __import__("sys").modules["chalicelib.transfers.csvfile"]  # API strips tabs
    assert [csvfile.safe_cell(v) for v in ("\tx", "\rx", "a=b", 5, None)] == [
        "'\tx", "'\rx", "a=b", "5", ""]
    bad = contacts.post("/exports", {"object_type": "contact", "fields": ["password"]},
                        token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "fields[0]"
    listed = contacts.get("/exports", token=tenant.admin_token).json["items"]
    assert [e["export_id"] for e in listed] == [everything["export_id"],
                                                started.json["export_id"]]


BENCH_ROWS = int(__import__("os").environ.get("CRM_IMPORT_BENCH_ROWS", "1000"))


@pytest.mark.slow
def test_bulk_import_cost(contacts: ApiClient, tenants: Tenants, jobs_runtime: Any) -> None:
    """Counts DynamoDB requests per row exactly; rows/s is this machine on moto.
    CRM_IMPORT_BENCH_ROWS=10000 for the issue's size."""
    tenant = tenants.create("Bulk")
    load_app("contacts")
    drain(jobs_runtime)  # nothing of other tests in the measurement
    from tests.bench import contacts_import as bench
    jobs = __import__("sys").modules["chalicelib.transfers.jobs"]
    principal = jobs.principal_of({"kind": "user", "subject": tenant.admin_user_id,
                                   "roles": ["admin"]}, tenant.tenant_id)
    result = bench.measure(tenant.tenant_id, principal, BENCH_ROWS)
    print(f"\n{BENCH_ROWS}-row import: {result}")
    assert result["status"] == "completed" and result["created"] == BENCH_ROWS
    assert result["dynamodb_per_row"] <= 0.1
