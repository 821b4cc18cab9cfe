"""Company CSV imports through POST /imports: upsert keys, `subsidiary_of` in a second pass,
row errors by column, redelivery, tenants and roles; contacts by external_id."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from tests.api.contacts.test_transfers import drain, rows_of, s3_text
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

MAPPING = {"Account": "name", "Website": "domain", "Sector": "industry",
           "Staff": "employees", "Revenue": "annual_revenue", "Currency": "currency",
           "City": "address.city", "Country": "address.country", "Ref": "external_id",
           "Parent": "subsidiary_of"}
HEADER = "Account,Website,Sector,Staff,Revenue,Currency,City,Country,Ref,Parent\n"


@pytest.fixture(scope="module")
def jobs_runtime(aws: dict[str, Any], session: Any) -> Any:
    """The contacts service's queues (events and jobs) through the local runtime's poller."""
    from infra.local.lambda_runtime import ServiceRuntime

    return ServiceRuntime(load_app("contacts"), aws["services"]["contacts"], session, None)


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Company importer")
    settle(runtimes)
    return made


def submit(contacts: ApiClient, tenant: Tenant, text: str, token: str | None = None,
           **extra: Any) -> dict[str, Any]:
    body = {"object_type": "company", "csv": text, "mapping": MAPPING, **extra}
    reply = contacts.post("/imports", body, token=token or tenant.admin_token)
    assert reply.status == 202, reply.json
    return dict(reply.json)


def status(contacts: ApiClient, tenant: Tenant, import_id: str) -> dict[str, Any]:
    reply = contacts.get(f"/imports/{import_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def counts(job: dict[str, Any]) -> tuple[int, ...]:
    return tuple(job[k] for k in ("total", "created", "updated", "skipped", "failed",
                                  "linked"))


def companies_named(contacts: ApiClient, tenant: Tenant, prefix: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    cursor = None
    while True:
        path = "/companies?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = contacts.get(path, token=tenant.admin_token).json
        found.update({c["name"]: c for c in page["items"] if c["name"].startswith(prefix)})
        cursor = page["next_cursor"]
        if not cursor:
            return found


def test_companies_import_with_parents_and_row_errors(
    contacts: ApiClient, tenant: Tenant, jobs_runtime: Any, session: Any, aws: dict[str, Any]
) -> None:
    p = unique("Imp")
    text = HEADER + "".join([
        f"{p} Holding,{p}-holding.com,Finance,5000,\"1,100.04\",USD,London,gb,H-1,\n",
        f"{p} Sub A,{p}-a.com,Software,120,250.5,EUR,Berlin,DE,A-1,{p} Holding\n",  # by name
        f"{p} Sub B,,Retail,10,,,,,B-1,https://www.{p}-a.com/\n",  # by domain, parent later
        f"{p} Sub C,,Retail,10,,,,,C-1,B-1\n",  # by external id
        f"{p} Orphan,,Retail,1,,,,,O-1,{p} Nobody\n",  # 6: unknown parent
        f"{p} Loop X,,Retail,1,,,,,X-1,Y-1\n",
        f"{p} Loop Y,,Retail,1,,,,,Y-1,X-1\n",  # 8: closes the cycle
        f"{p} Bad Web,not a domain,Retail,1,,,,,,\n",  # 9: domain
        f"{p} Bad Staff,,Retail,many,,,,,,\n",  # 10: employees
        f"{p} Bad Money,,Retail,1,12,XXX,,,,\n",  # 11: currency
        f",{p}-noname.com,Retail,1,,,,,,\n",  # 12: no name
    ])
    job = submit(contacts, tenant, text, upsert_key="domain")
    drain(jobs_runtime)
    done = status(contacts, tenant, job["import_id"])
    assert done["status"] == "completed", done
    # 11 rows: 7 created, 4 bad; then the second pass: 4 parents set, 2 link errors
    assert counts(done) == (11, 7, 0, 0, 6, 4), done
    report = rows_of(s3_text(session, aws, done["error_report_url"]))
    assert sorted((int(r[0]), r[1], r[2]) for r in report[1:]) == [
        (6, "Parent", "subsidiary_of"), (8, "Parent", "subsidiary_of"),
        (9, "Website", "domain"), (10, "Staff", "employees"),
        (11, "Currency", "annual_revenue.currency"), (12, "Account", "name")]
    cycle = next(r for r in report if r[0] == "8")
    assert "own ancestor" in cycle[3], cycle
    made = companies_named(contacts, tenant, p)
    holding, sub_a = made[f"{p} Holding"], made[f"{p} Sub A"]
    assert holding["annual_revenue"] == {"amount": 110004, "currency": "USD"}
    assert holding["addresses"] == [{"city": "London", "country": "GB"}]
    assert sub_a["annual_revenue"] == {"amount": 25050, "currency": "EUR"}
    assert sub_a["parent_id"] == holding["company_id"]
    assert made[f"{p} Sub B"]["parent_id"] == sub_a["company_id"]
    assert made[f"{p} Sub C"]["parent_id"] == made[f"{p} Sub B"]["company_id"]
    assert made[f"{p} Loop X"]["parent_id"] == made[f"{p} Loop Y"]["company_id"]
    assert made[f"{p} Loop Y"].get("parent_id") is None
    tree = contacts.get(f"/companies/{holding['company_id']}/hierarchy?depth=3",
                        token=tenant.admin_token).json
    assert [n["name"] for n in tree["descendants"]] == [f"{p} Sub A", f"{p} Sub B",
                                                       f"{p} Sub C"]

    # the same file again (by domain, then name): nothing created, changed or linked
    again = submit(contacts, tenant, text)
    drain(jobs_runtime)
    assert counts(status(contacts, tenant, again["import_id"])) == (11, 0, 0, 7, 6, 0)
    assert len(companies_named(contacts, tenant, p)) == 7


def test_default_matching_and_upsert_by_external_id_and_name(
    contacts: ApiClient, tenant: Tenant, jobs_runtime: Any
) -> None:
    p = unique("Key")
    first = submit(contacts, tenant, HEADER + f"{p} One,,Software,1,,,,,K-{p},\n"
                   f"{p} Two,{p}-two.com,Software,2,,,,,,\n")
    drain(jobs_runtime)
    assert counts(status(contacts, tenant, first["import_id"]))[:5] == (2, 2, 0, 0, 0)
    # by external id: the name changes, the company stays
    renamed = submit(contacts, tenant, HEADER + f"{p} Uno,,Software,5,,,,,K-{p},\n",
                     upsert_key="external_id")
    drain(jobs_runtime)
    assert counts(status(contacts, tenant, renamed["import_id"]))[:5] == (1, 0, 1, 0, 0)
    made = companies_named(contacts, tenant, p)
    assert sorted(made) == [f"{p} Two", f"{p} Uno"] and made[f"{p} Uno"]["employees"] == 5
    # by name (case-insensitive), and the default: domain first, then name
    by_name = submit(contacts, tenant, HEADER + f"{p} TWO,,Retail,2,,,,,,\n",
                     upsert_key="name")
    default = submit(contacts, tenant, HEADER + f"{p} Other,{p}-two.com,Retail,2,,,,,,\n"
                     f"{p} Uno,,Software,5,,,,,,\n")
    drain(jobs_runtime)
    assert counts(status(contacts, tenant, by_name["import_id"]))[:5] == (1, 0, 1, 0, 0)
    assert counts(status(contacts, tenant, default["import_id"]))[:5] == (2, 0, 1, 1, 0)
    made = companies_named(contacts, tenant, p)
    assert sorted(made) == [f"{p} Other", f"{p} Uno"]
    assert made[f"{p} Other"]["industry"] == "Retail"


def test_a_redelivered_chunk_or_link_message_changes_nothing_twice(
    contacts: ApiClient, tenant: Tenant, jobs_runtime: Any, session: Any,
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    importer = sys.modules["chalicelib.transfers.importer"]
    monkeypatch.setattr(importer, "CHUNK_ROWS", 4)
    p = unique("Re")
    text = HEADER + f"{p} Root,{p}-root.com,,,,,,,R-{p},\n" + "".join(
        f"{p} Kid {i},{p}-kid{i}.com,,,,,,,,R-{p}\n" for i in range(9))
    job = submit(contacts, tenant, text)
    sqs, url = session.client("sqs"), aws["services"]["contacts"]["jobs_queue_url"]
    assert jobs_runtime.pump_queue() == 1  # the plan: three chunk messages now
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]]
    chunks = {b["chunk"]: b for b in bodies if b.get("job_id") == job["import_id"]}
    assert sorted(chunks) == [0, 1, 2]
    # a Lambda that wrote chunk 1's rows and died before counting them
    writer_module = sys.modules["chalicelib.transfers.company_import"]
    stored = importer.repo.get_job(tenant.tenant_id, "import", job["import_id"])
    data = importer._get(importer.repo.upload_key(tenant.tenant_id, job["import_id"]),
                         f"bytes={chunks[1]['start']}-{chunks[1]['end'] - 1}")
    crashed = writer_module.CompanyChunkWriter(importer._spec(stored))
    crashed.run(list(importer.csvfile.rows_of(data, chunks[1]["first_row"])))
    assert crashed.counts["created"] == 4
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(chunks[0]))  # twice
    drain(jobs_runtime)
    for n in (0, 2):  # late duplicates of a chunk and of a second-pass message
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(chunks[n]))
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({**chunks[n],
                                                               "kind": "company_link"}))
    drain(jobs_runtime)
    done = status(contacts, tenant, job["import_id"])
    assert done["status"] == "completed"
    assert counts(done) == (10, 10, 0, 0, 0, 9), done
    made = companies_named(contacts, tenant, p)
    assert len(made) == 10
    root = made[f"{p} Root"]["company_id"]
    assert {c["parent_id"] for n, c in made.items() if n != f"{p} Root"} == {root}


def test_tenants_do_not_cross_and_only_managers_import(
    contacts: ApiClient, tenant: Tenant, tenants: Tenants, runtimes: dict[str, Any],
    jobs_runtime: Any
) -> None:
    p = unique("Iso")
    mine = submit(contacts, tenant, HEADER + f"{p} Mine,{p}-mine.com,,,,,,,M-{p},\n"
                  f"{p} Solo,{p}-solo.com,,,,,,,S-{p},\n")
    drain(jobs_runtime)
    assert status(contacts, tenant, mine["import_id"])["created"] == 2
    other = tenants.create("Other importer")
    settle(runtimes)
    theirs = submit(contacts, other, HEADER + f"{p} Mine,{p}-mine.com,,,,,,,M-{p},\n"
                    f"{p} Kid,,,,,,,,,M-{p}\n{p} Kid2,,,,,,,,,S-{p}\n",
                    token=other.admin_token)
    drain(jobs_runtime)
    done = status(contacts, other, theirs["import_id"])
    # the same domain and external id are free in another tenant; S- is not theirs
    assert counts(done) == (3, 3, 0, 0, 1, 1), done
    assert contacts.get(f"/imports/{theirs['import_id']}",
                        token=tenant.admin_token).status == 404
    assert len(companies_named(contacts, tenant, p)) == 2
    assert len(companies_named(contacts, other, p)) == 3
    rep = tenants.user(tenant, "sales_rep")
    reply = contacts.post("/imports", {"object_type": "company", "mapping": MAPPING,
                                       "csv": HEADER}, token=rep)
    assert reply.status == 403, reply.json


@pytest.mark.parametrize(("change", "field"), [
    ({"upsert_key": "email"}, "upsert_key"),
    ({"upsert_key": "external_id", "mapping": {"Account": "name"}}, "upsert_key"),
    ({"mapping": {"Website": "domain"}}, "mapping"),
    ({"mapping": {"Account": "name", "Website": "website"}}, "mapping.Website"),
    ({"mapping": {"Account": "name", "Nope": "domain"}}, "mapping.Nope"),
])
def test_bad_company_import_requests_name_the_field(
    contacts: ApiClient, tenant: Tenant, change: dict[str, Any], field: str
) -> None:
    body = {"object_type": "company", "mapping": {"Account": "name"},
            "csv": "Account,Website\nA,a.com\n", **change}
    reply = contacts.post("/imports", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_contacts_upsert_by_external_id(contacts: ApiClient, tenant: Tenant,
                                        jobs_runtime: Any) -> None:
    ref = unique("crm-")
    mapping = {"First": "first_name", "Last": "last_name", "Ref": "external_id"}
    for first, expected in (("Ann", (1, 0, 0)), ("Anne", (0, 1, 0)), ("Anne", (0, 0, 1))):
        reply = contacts.post("/imports", {
            "object_type": "contact", "mapping": mapping, "upsert_key": "external_id",
            "csv": f"First,Last,Ref\n{first},{ref},{ref}\n"}, token=tenant.admin_token)
        assert reply.status == 202, reply.json
        drain(jobs_runtime)
        done = status(contacts, tenant, reply.json["import_id"])
        assert (done["created"], done["updated"], done["skipped"]) == expected, done
    found = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "last_name", "operator": "eq", "value": ref}]}]}, token=tenant.admin_token)
    assert [c["first_name"] for c in found.json["items"]] == ["Anne"], found.json


def test_the_demo_accounts_import_twice_and_keep_acmes_hierarchy(
    contacts: ApiClient, tenants: Tenants, runtimes: dict[str, Any], jobs_runtime: Any
) -> None:
    """What `make demo` sends (infra/local/demo.py): a second run creates nothing."""
    from infra.local.demo import account_companies

    demo = tenants.create("Demo accounts")
    settle(runtimes)
    body = {"object_type": "company", "upsert_key": "name", "csv": account_companies(),
            "mapping": {"name": "name", "industry": "industry", "employees": "employees",
                        "annual_revenue": "annual_revenue", "tags": "tags",
                        "subsidiary_of": "subsidiary_of"}}
    results = []
    for _ in range(2):
        reply = contacts.post("/imports", body, token=demo.admin_token)
        assert reply.status == 202, reply.json
        drain(jobs_runtime)
        results.append(status(contacts, demo, reply.json["import_id"]))
    first, second = results
    assert (first["total"], first["created"], first["failed"]) == (85, 85, 0), first
    assert first["linked"] > 0
    assert (second["created"], second["updated"], second["skipped"], second["failed"],
            second["linked"]) == (0, 0, 85, 0, 0), second
    made = companies_named(contacts, demo, "")
    acme = made["Acme Corporation"]
    assert acme["industry"] == "technology"
    assert acme["annual_revenue"] == {"amount": 110_004_000_000, "currency": "USD"}
    tree = contacts.get(f"/companies/{acme['company_id']}/hierarchy?depth=1",
                        token=demo.admin_token).json
    assert sorted(n["name"] for n in tree["descendants"]) == [
        "Bluth Company", "Codehow", "Donquadtech", "Iselectrics"]
