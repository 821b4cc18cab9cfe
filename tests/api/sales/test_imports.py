"""Opportunity CSV imports through the real app, their chunks run on the sales jobs queue."""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle
from tests.support.services import load_app

HEADER = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date," \
         "close_value"
ROWS = [
    "1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054",
    "Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Won,2016-10-25,2017-03-11,4514",
    "EC4QE1BX,Darcel Schlecht,MG Special,Cancity,Lost,2016-10-25,2017-03-07,0",
    "MV1LWRNH,Moses Frase,GTX Plus Basic,,Engaging,2016-10-25,,",
    "PE84CX4O,Moses Frase,MG Special,Codehow,Prospecting,,,",
]


def sales_module(name: str) -> ModuleType:
    load_app("sales")
    return importlib.import_module(f"chalicelib.imports.{name}")


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, platform: ApiClient, sales: ApiClient,
           runtimes: dict[str, Any]) -> Tenant:
    """A tenant with Maven's two agents (known to sales' directory) and three products."""
    made = tenants.create("Importer")
    for name in ("Moses Frase", "Darcel Schlecht"):
        domain = made.tenant_id.lower().replace("_", "-") + ".example.com"
        email = name.lower().replace(" ", ".") + "@" + domain
        reply = platform.post("/users", {"email": email, "name": name, "roles": ["sales_rep"]},
                              token=made.admin_token)
        assert reply.status == 201, reply.json
    for name, price, aliases in (("GTX Plus Basic", 109600, []), ("GTX Pro", 482100, ["GTXPro"]),
                                 ("MG Special", 5500, [])):
        reply = sales.post("/products", {"name": name, "price": {"amount": price,
                                                                 "currency": "USD"},
                                         "aliases": aliases}, token=made.admin_token)
        assert reply.status == 201, reply.json
    settle(runtimes)
    return made


def submit(sales: ApiClient, tenant: Tenant, text: str, **extra: Any) -> dict[str, Any]:
    reply = sales.post("/opportunities/imports", {"csv": text, **extra},
                       token=tenant.admin_token)
    assert reply.status == 202, reply.json
    assert reply.header("Location") == f"/opportunities/imports/{reply.json['import_id']}"
    return dict(reply.json)


def status(sales: ApiClient, tenant: Tenant, import_id: str) -> dict[str, Any]:
    reply = sales.get(f"/opportunities/imports/{import_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def deals_of(sales: ApiClient, tenant: Tenant, owner_id: str) -> list[dict[str, Any]]:
    reply = sales.get(f"/opportunities?owner_id={owner_id}&limit=100", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


def user_id(tenant: Tenant, name: str) -> str:
    load_app("sales")
    directory = importlib.import_module("chalicelib.directory.logic")
    found = directory.find_user(tenant.tenant_id, name)
    assert found is not None, name
    return str(found.user_id)


# -- plain functions --------------------------------------------------------------------


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    domain = sales_module("domain")
    header, rows = domain.read('\ufeffa,b\n1,"two\nlines"\n\n3,4\n')
    assert header == ["a", "b"]
    assert rows == [(2, ["1", "two\nlines"]), (4, ["3", "4"])]


def test_chunks_are_bounded_by_rows_and_bytes() -> None:
    domain = sales_module("domain")
    rows = [(n, ["x" * 10]) for n in range(2, 1203)]
    assert [len(c) for c in domain.chunked([r] for r in rows)] == [500, 500, 201]
    wide = [(n, ["x" * 50_000]) for n in range(2, 12)]
    assert all(sum(len(r[1][0]) for r in c) <= domain.CHUNK_BYTES
               for c in domain.chunked([r] for r in wide))
    # a group (an order's lines) is never cut: it starts the next chunk whole
    groups = [rows[:300], rows[300:600], rows[600:601]]
    assert [len(c) for c in domain.chunked(groups)] == [300, 301]


def test_amounts_are_whole_units_of_the_currency() -> None:
    domain = sales_module("domain")
    assert domain.minor_units("1054", "USD") == 105400
    assert domain.minor_units("1,054.5", "EUR") == 105450
    assert domain.minor_units("1054", "JPY") == 1054
    assert domain.minor_units("1.234", "KWD") == 1234
    for bad in ("abc", "-1", "1.001", "NaN", "inf"):
        with pytest.raises(ValueError):
            domain.minor_units(bad, "USD")


def test_a_mapping_names_what_the_file_lacks() -> None:
    domain = sales_module("domain")
    problems = dict(domain.check_mapping(["a", "b"], {"a": "owner", "b": "owner", "c": "stage",
                                                      "d": "colour"}))
    assert set(problems) == {"mapping.b", "mapping.c", "mapping.d"}
    assert "owner" in problems["mapping.b"] and "no column 'c'" in problems["mapping.c"]


# -- the import -------------------------------------------------------------------------


def test_maven_rows_become_deals_as_they_were(sales: ApiClient, tenant: Tenant,
                                              runtimes: dict[str, Any]) -> None:
    job = submit(sales, tenant, "\n".join([HEADER, *ROWS]) + "\n")
    assert job["status"] == "running" and job["total"] == 5
    assert job["mapping"]["sales_agent"] == "owner" and job["currency"] == "USD"
    settle(runtimes)
    done = status(sales, tenant, job["import_id"])
    assert done["status"] == "completed", done
    assert (done["created"], done["updated"], done["skipped"], done["failed"]) == (5, 0, 0, 0)
    assert done["processed"] == 5 and done["errors"] == [] and done["finished_at"]

    moses, darcel = user_id(tenant, "Moses Frase"), user_id(tenant, "Darcel Schlecht")
    by_name = {d["name"]: d for d in deals_of(sales, tenant, moses) + deals_of(sales, tenant,
                                                                                darcel)}
    won = by_name["GTX Plus Basic - Cancity"]
    assert won["owner_id"] == moses and won["stage"] == "Won" and won["stage_kind"] == "won"
    assert won["engaged_at"] == "2016-10-20" and won["closed_at"] == "2017-03-01"
    assert won["amount"] == {"amount": 105400, "currency": "USD"}
    assert won["company_name"] == "Cancity" and won["company_id"] is None
    assert [line["name"] for line in won["product_lines"]] == ["GTX Plus Basic"]
    alias = by_name["GTX Pro - Isdom"]  # GTXPro is the tenant's alias of GTX Pro
    assert alias["owner_id"] == darcel and alias["product_lines"][0]["name"] == "GTX Pro"
    lost = by_name["MG Special - Cancity"]
    assert lost["stage_kind"] == "lost" and lost["closed_at"] == "2017-03-07"
    assert lost["amount"] == {"amount": 0, "currency": "USD"}
    open_deal = by_name["GTX Plus Basic"]  # no account: no company
    assert open_deal["company_name"] is None and open_deal["stage"] == "Engaging"
    assert open_deal["closed_at"] is None and open_deal["engaged_at"] == "2016-10-25"
    prospect = by_name["MG Special - Codehow"]
    assert prospect["stage"] == "Prospecting" and prospect["engaged_at"] is None


def test_importing_the_same_file_again_changes_nothing(sales: ApiClient, tenant: Tenant,
                                                       runtimes: dict[str, Any]) -> None:
    moses = user_id(tenant, "Moses Frase")
    before = {d["opportunity_id"]: d["version"] for d in deals_of(sales, tenant, moses)}
    changed = ROWS[3].replace("Engaging,2016-10-25,,", "Won,2016-10-25,2016-12-01,990")
    job = submit(sales, tenant, "\n".join([HEADER, *ROWS[:3], changed, ROWS[4]]) + "\n")
    settle(runtimes)
    done = status(sales, tenant, job["import_id"])
    assert (done["created"], done["updated"], done["skipped"], done["failed"]) == (0, 1, 4, 0)
    after = {d["opportunity_id"]: d for d in deals_of(sales, tenant, moses)}
    assert set(after) == set(before)
    moved = [d for d in after.values() if d["version"] != before[d["opportunity_id"]]]
    assert [(d["stage"], d["closed_at"], d["amount"]["amount"]) for d in moved] == [
        ("Won", "2016-12-01", 99000)]


def test_bad_rows_are_reported_and_the_rest_imported(sales: ApiClient, tenant: Tenant,
                                                     runtimes: dict[str, Any]) -> None:
    text = "\n".join([
        HEADER,
        "BAD00001,Nobody Known,GTX Pro,Acme,Won,2016-10-20,2017-03-01,10",
        "BAD00002,Moses Frase,Unicorn,Acme,Closing,2016-10-20,,",
        "BAD00003,Moses Frase,GTX Pro,Acme,Won,2016-10-20,2017-03-01,ten",
        "BAD00004,Moses Frase,GTX Pro,Acme,Won,2017-10-20,2017-03-01,10",
        "BAD00005,Moses Frase,GTX Pro,Acme,Engaging,2016-10-20,2017-03-01,",
        "BAD00006,Moses Frase,GTX Pro",
        "GOOD0001,Moses Frase,GTX Pro,Acme,Won,2016-10-20,2017-03-01,4821",
    ]) + "\n"
    job = submit(sales, tenant, text)
    settle(runtimes)
    done = status(sales, tenant, job["import_id"])
    assert done["status"] == "completed"
    assert (done["total"], done["created"], done["failed"]) == (7, 1, 6)
    errors = [(e["row"], e["column"], e["field"]) for e in done["errors"]]
    assert errors == [
        (2, "sales_agent", "owner_id"),
        (3, "deal_stage", "stage"), (3, "product", "product_lines"),
        (4, "close_value", "amount"),
        (5, "close_date", "closed_at"),
        (6, "close_date", "closed_at"),
        (7, "", ""),
    ]
    messages = {e["row"]: e["message"] for e in done["errors"]}
    assert "Nobody Known" in messages[2] and "'ten' is not a number" in messages[4]
    assert "before engaged_at" in messages[5] and "3 cells" in messages[7]


def test_a_redelivered_chunk_creates_nothing_twice(sales: ApiClient, tenant: Tenant,
                                                   runtimes: dict[str, Any], session: Any,
                                                   aws: dict[str, Any]) -> None:
    rows = [f"REDO{n:04d},Darcel Schlecht,MG Special,Redo {n},Won,2016-11-01,2017-01-0{n % 9 + 1},"
            f"{n}" for n in range(1, 8)]
    job = submit(sales, tenant, "\n".join([HEADER, *rows]) + "\n")
    sqs, url = session.client("sqs"), aws["services"]["sales"]["jobs_queue_url"]
    message = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                  VisibilityTimeout=0)["Messages"][0]
    body = json.loads(message["Body"])
    assert body["kind"] == "opportunity_import_chunk" and body["job_id"] == job["import_id"]
    chunks = sales_module("chunks")
    record = {"messageId": "m1", "receiptHandle": message["ReceiptHandle"],
              "body": message["Body"], "attributes": {}, "messageAttributes": {},
              "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "",
              "awsRegion": "us-east-1"}
    # the first attempt writes its rows, then dies before it counts them
    original = chunks.repo.count_chunk
    chunks.repo.count_chunk = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash"))
    try:  # a batch whose every record failed raises: Lambda retries it whole
        with pytest.raises(Exception, match="All records failed"):
            chunks.queue.process_batch({"Records": [record]})
    finally:
        chunks.repo.count_chunk = original
    assert status(sales, tenant, job["import_id"])["processed"] == 0
    settle(runtimes)  # the redelivery, and a third delivery of the same message
    load_app("sales")
    chunks.queue.process_batch({"Records": [record]})
    done = status(sales, tenant, job["import_id"])
    assert (done["status"], done["created"], done["processed"]) == ("completed", 7, 7)
    darcel = user_id(tenant, "Darcel Schlecht")
    redo = [d for d in deals_of(sales, tenant, darcel) if d["name"].startswith("MG Special - Redo")]
    assert len(redo) == 7


def test_duplicate_external_ids_in_one_file_make_one_deal(sales: ApiClient, tenant: Tenant,
                                                          runtimes: dict[str, Any]) -> None:
    rows = ["TWIN0001,Moses Frase,MG Special,Twin,Prospecting,,,",
            "TWIN0001,Moses Frase,MG Special,Twin,Engaging,2016-11-01,,"]
    job = submit(sales, tenant, "\n".join([HEADER, *rows]) + "\n")
    settle(runtimes)
    done = status(sales, tenant, job["import_id"])
    assert (done["created"], done["updated"], done["failed"]) == (1, 1, 0)
    twins = [d for d in deals_of(sales, tenant, user_id(tenant, "Moses Frase"))
             if d["name"] == "MG Special - Twin"]
    assert [d["stage"] for d in twins] == ["Engaging"]


def test_a_custom_mapping_and_currency(sales: ApiClient, tenant: Tenant,
                                       runtimes: dict[str, Any]) -> None:
    text = "Deal,Owner email,Stage,Value\nBig one,{email},Won,\"1,250\"\n"
    load_app("sales")
    moses = importlib.import_module("chalicelib.directory.logic").user(
        tenant.tenant_id, user_id(tenant, "Moses Frase"))
    job = submit(sales, tenant, text.format(email=moses.email.upper()), currency="eur",
                 mapping={"Deal": "name", "Owner email": "owner", "Stage": "stage",
                          "Value": "amount"})
    settle(runtimes)
    done = status(sales, tenant, job["import_id"])
    assert (done["created"], done["failed"]) == (1, 0), done["errors"]
    big = [d for d in deals_of(sales, tenant, moses.user_id) if d["name"] == "Big one"]
    assert big[0]["amount"] == {"amount": 125000, "currency": "EUR"}
    assert big[0]["closed_at"]  # a won deal without a close date closes on import day


@pytest.mark.parametrize("body, field", [
    ({}, "csv"),
    ({"csv": ""}, "csv"),
    ({"csv": "a,b\n1,2\n"}, "mapping.opportunity_id"),
    ({"csv": "a,b\n1,2\n", "mapping": {"a": "colour"}}, "mapping.a"),
    ({"csv": "a,b\n1,2\n", "mapping": {"a": "name", "b": "name"}}, "mapping.b"),
    ({"csv": "a,b\n1,2\n", "mapping": {"a": "name"}, "currency": "XYZ"}, "currency"),
    ({"csv": "a,b\n1,2\n", "mapping": {"a": "name"}, "pipeline_id": "pip_nope"},
     "pipeline_id"),
    ({"csv": "a,b\n1,2\n", "mapping": {"a": "name"}, "extra": 1}, "extra"),
    ({"csv": "a,b\n1,2\n", "mapping": {}}, "mapping"),
])
def test_bad_requests_name_the_field_and_leave_nothing(sales: ApiClient, tenant: Tenant,
                                                       body: dict[str, Any], field: str) -> None:
    before = sales.get("/opportunities/imports?limit=100", token=tenant.admin_token).json
    reply = sales.post("/opportunities/imports", body, token=tenant.admin_token)
    assert 400 <= reply.status < 500, reply.json
    assert reply.header("Content-Type") == "application/problem+json"
    assert field in [e["field"] for e in reply.json["errors"]], reply.json
    after = sales.get("/opportunities/imports?limit=100", token=tenant.admin_token).json
    assert after == before


def test_an_empty_file_completes_at_once(sales: ApiClient, tenant: Tenant) -> None:
    job = submit(sales, tenant, HEADER + "\n\n")
    assert (job["status"], job["total"]) == ("completed", 0)


def test_imports_are_listed_newest_first_and_unknown_ids_are_404(sales: ApiClient,
                                                                 tenant: Tenant) -> None:
    listed = sales.get("/opportunities/imports?limit=2", token=tenant.admin_token)
    assert listed.status == 200 and len(listed.json["items"]) == 2
    first, second = listed.json["items"]
    assert first["created_at"] >= second["created_at"] and first["errors"] is None
    assert listed.json["next_cursor"]
    for missing in ("imp_01J00000000000000000000000", "nope"):
        reply = sales.get(f"/opportunities/imports/{missing}", token=tenant.admin_token)
        assert reply.status == 404
