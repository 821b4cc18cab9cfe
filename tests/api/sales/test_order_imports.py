"""Order CSV imports (POST /orders/imports): rows grouped into orders by external_id, the
orders feature's upsert on (source, external_id), row errors by column, redelivery,
tenants, roles, and the 413 that points large files at uploads."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

HEADER = "source,external_id,email,status,placed_at,currency,sku,product,quantity," \
         "unit_price,total\n"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, sales: ApiClient, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Order importer")
    reply = sales.post("/products", {"name": "Widget", "price": {"amount": 500,
                                                                  "currency": "USD"}},
                       token=made.admin_token)
    assert reply.status == 201, reply.json
    settle(runtimes)
    return made


def submit(sales: ApiClient, tenant: Tenant, text: str, token: str | None = None,
           **extra: Any) -> dict[str, Any]:
    reply = sales.post("/orders/imports", {"csv": text, **extra},
                       token=token or tenant.admin_token)
    assert reply.status == 202, reply.json
    assert reply.header("Location") == f"/orders/imports/{reply.json['import_id']}"
    return dict(reply.json)


def status(sales: ApiClient, tenant: Tenant, import_id: str) -> dict[str, Any]:
    reply = sales.get(f"/orders/imports/{import_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def counts(job: dict[str, Any]) -> tuple[int, ...]:
    return tuple(job[k] for k in ("total", "created", "updated", "skipped", "failed"))


def orders_of(sales: ApiClient, tenant: Tenant, prefix: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        page = sales.get("/orders?limit=100" + (f"&cursor={cursor}" if cursor else ""),
                         token=tenant.admin_token).json
        found.update({o["external_id"]: o for o in page["items"]
                      if (o.get("external_id") or "").startswith(prefix)})
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_orders_import_grouped_by_external_id_and_re_import_changes_nothing(
    sales: ApiClient, tenant: Tenant, runtimes: dict[str, Any]
) -> None:
    p = unique("ord-")
    text = HEADER + "".join([
        f"shop,{p}-1,ann@example.com,paid,2024-05-01T10:00:00Z,USD,A-1,,2,10.50,26.00\n",
        f"shop,{p}-2,,placed,2024-05-02T10:00:00Z,EUR,,Widget,1,5,5\n",
        f"shop,{p}-1,ann@example.com,paid,2024-05-01T10:00:00Z,USD,B-2,,1,5,26.00\n",
        f"shop,{p}-bad-total,,placed,,USD,A-1,,1,5,6\n",  # 5: totals
        f"shop,{p}-bad-cur,,placed,,XXX,A-1,,1,5,5\n",  # 6: currency
        f"shop,{p}-bad-product,,placed,,USD,,Gizmo,1,5,5\n",  # 7: product
        f"shop,{p}-bad-status,,lost,,USD,A-1,,1,5,5\n",  # 8: status
        f"shop,{p}-bad-qty,,placed,,USD,A-1,,two,5,10\n",  # 9: quantity
    ])
    job = submit(sales, tenant, text)
    settle(runtimes)
    done = status(sales, tenant, job["import_id"])
    assert done["status"] == "completed", done
    assert counts(done) == (8, 3, 0, 0, 5), done
    assert [(e["row"], e["column"], e["field"]) for e in done["errors"]] == [
        (5, "total", "totals"), (6, "currency", "currency"), (7, "product", "product"),
        (8, "status", "status"), (9, "quantity", "quantity")]
    made = orders_of(sales, tenant, p)
    assert sorted(made) == [f"{p}-1", f"{p}-2"]
    first = made[f"{p}-1"]
    assert first["status"] == "paid" and first["source"] == "shop"
    assert first["totals"] == {"amount": 2600, "currency": "USD"}
    assert [(line["sku"], line["quantity"]) for line in first["lines"]] == [("A-1", 2),
                                                                           ("B-2", 1)]
    assert first["customer"] == {"email": "ann@example.com"}
    assert made[f"{p}-2"]["lines"][0]["name"] == "Widget"
    # the same file again: nothing created, nothing changed
    again = submit(sales, tenant, text)
    settle(runtimes)
    assert counts(status(sales, tenant, again["import_id"])) == (8, 0, 0, 3, 5)
    assert orders_of(sales, tenant, p)[f"{p}-1"]["version"] == first["version"]
    # a status moving forward updates; one moving back is a row error naming status
    forward = submit(sales, tenant, HEADER + f"shop,{p}-2,,paid,,EUR,,Widget,1,5,5\n")
    settle(runtimes)
    assert counts(status(sales, tenant, forward["import_id"])) == (1, 0, 1, 0, 0)
    back = submit(sales, tenant, HEADER + f"shop,{p}-2,,placed,,EUR,,Widget,1,5,5\n")
    settle(runtimes)
    done = status(sales, tenant, back["import_id"])
    assert counts(done) == (1, 0, 0, 0, 1), done
    assert [(e["column"], e["field"]) for e in done["errors"]] == [("status", "status")]
    assert orders_of(sales, tenant, p)[f"{p}-2"]["status"] == "paid"


def test_a_redelivered_chunk_creates_nothing_twice(
    sales: ApiClient, tenant: Tenant, runtimes: dict[str, Any], session: Any,
    aws: dict[str, Any]
) -> None:
    p = unique("redo-")
    job = submit(sales, tenant, HEADER + "".join(
        f"erp,{p}-{n},,placed,,USD,S-{n},,1,{n},{n}\n" for n in range(1, 6)))
    sqs, url = session.client("sqs"), aws["services"]["sales"]["jobs_queue_url"]
    message = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                  VisibilityTimeout=0)["Messages"][0]
    body = json.loads(message["Body"])
    assert body["kind"] == "order_import_chunk" and body["job_id"] == job["import_id"]
    load_app("sales")
    logic = importlib.import_module("chalicelib.order_imports.logic")
    store = logic.ORDERS.store
    stored = logic.repo.get_job(store, tenant.tenant_id, job["import_id"], consistent=True)
    chunk = logic.repo.get_chunk(store, tenant.tenant_id, job["import_id"], 0)
    crashed = logic.OrderChunkWriter(stored)  # wrote every order, died before counting
    crashed.run([(int(n), list(cells)) for n, cells in chunk.rows])
    assert crashed.counts["created"] == 5
    sqs.send_message(QueueUrl=url, MessageBody=message["Body"])  # and a duplicate
    settle(runtimes)
    done = status(sales, tenant, job["import_id"])
    assert (done["status"], counts(done)) == ("completed", (5, 5, 0, 0, 0)), done
    assert len(orders_of(sales, tenant, p)) == 5


def test_tenants_do_not_cross_and_only_managers_import(
    sales: ApiClient, tenant: Tenant, tenants: Tenants, runtimes: dict[str, Any]
) -> None:
    p = unique("iso-")
    line = f"shop,{p}-1,,placed,,USD,A-1,,1,5,5\n"
    mine = submit(sales, tenant, HEADER + line)
    other = tenants.create("Other order importer")
    settle(runtimes)
    theirs = submit(sales, other, HEADER + line, token=other.admin_token)
    settle(runtimes)
    # the same (source, external_id) is a new order in another tenant
    assert status(sales, tenant, mine["import_id"])["created"] == 1
    assert status(sales, other, theirs["import_id"])["created"] == 1
    assert sales.get(f"/orders/imports/{theirs['import_id']}",
                     token=tenant.admin_token).status == 404
    assert len(orders_of(sales, tenant, p)) == 1 and len(orders_of(sales, other, p)) == 1
    rep = tenants.user(tenant, "sales_rep")
    assert sales.post("/orders/imports", {"csv": HEADER + line}, token=rep).status == 403
    assert sales.get(f"/orders/imports/{mine['import_id']}", token=rep).status == 403


@pytest.mark.parametrize(("change", "field"), [
    ({"csv": "external_id,sku,quantity\nA,B,1\n"}, "mapping"),
    ({"mapping": {"external_id": "external_id", "nope": "sku"}}, "mapping.nope"),
    ({"mapping": {"external_id": "colour"}}, "mapping.external_id"),
    ({"currency": "XXX"}, "currency"),
    ({"source": "fax"}, "source"),
    ({"csv": ""}, "csv"),
])
def test_bad_order_import_requests_name_the_field(sales: ApiClient, tenant: Tenant,
                                                  change: dict[str, Any], field: str) -> None:
    body = {"csv": "external_id,sku,quantity,unit_price,total\nA,B,1,1,1\n", **change}
    reply = sales.post("/orders/imports", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_inline_csv_over_the_body_limit_is_pointed_at_uploads(sales: ApiClient,
                                                              contacts: ApiClient,
                                                              tenant: Tenant) -> None:
    big = HEADER + "x" * 1_100_000
    for client, path in ((sales, "/orders/imports"), (contacts, "/imports")):
        reply = client.post(path, {"csv": big, "object_type": "company"},
                            token=tenant.admin_token)
        assert reply.status == 413, reply.json
        assert reply.json["code"] == "payload_too_large"
        assert "POST /imports" in reply.json["detail"]
        assert "upload: true" in reply.json["detail"]
