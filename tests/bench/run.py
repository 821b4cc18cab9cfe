"""`make bench`: the budgets of the issues, measured on moto, printed and written to docs/.

Counts are exact (AWS calls are counted at botocore, items from DynamoDB's own Count);
times are medians of repeated runs on this machine and only comparable on the same one.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import botocore.client  # noqa: E402

os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # keep the table readable
import tests.conftest  # noqa: E402,F401  (the test stage's environment, moto imported first)
from tests.bench.aws import fresh_aws  # noqa: E402
from tests.support.client import OPERATOR, ApiClient, Tenants  # noqa: E402
from tests.support.services import load_app, service_names  # noqa: E402

Row = tuple[str, str, str, str]


class CallCounter:
    """Counts every AWS API call made through botocore, by service and operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        self._original = botocore.client.BaseClient._make_api_call

    @contextmanager
    def counting(self) -> Iterator[CallCounter]:
        counter = self
        original = self._original

        def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            counter.calls[f"{service}:{operation}"] += 1
            result = original(client, operation, params)
            if operation in {"Query", "Scan"}:
                counter.items_read += int(result.get("ScannedCount", result.get("Count", 0)))
            if operation in {"GetItem"}:
                counter.items_read += 1 if result.get("Item") else 0
            return result

        self.calls.clear()
        self.items_read = 0
        botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]

    def by_service(self, prefix: str) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith(prefix))

    def summary(self) -> str:
        return ", ".join(f"{k} x{n}" for k, n in sorted(self.calls.items())) or "none"


#: Our code, as opposed to the libraries it loads (timed alone, to split an app's import).
OWN_MODULES = ("app", "chalicelib", "crm_shared")
#: Prints the modules `import app` loads that are not ours, in the order they started.
LIST_LIBRARIES = f"""
import sys
before = set(sys.modules)
import app
for name in [m for m in sys.modules if m not in before]:
    if name.split(".")[0] not in {OWN_MODULES!r}:
        print(name)
"""


@dataclass(frozen=True)
class ImportTimes:
    """One service's cold import, split into the libraries it loads and our code on top."""

    service: str
    app: float
    libraries: float
    boto3: float

    @property
    def ratio(self) -> float:
        return self.app / self.boto3

    @property
    def libraries_ratio(self) -> float:
        return self.libraries / self.boto3


def import_times(service: str, runs: int = 7) -> ImportTimes:
    """Median cold import of the service's app, of the libraries it loads, and of
    `import boto3`, interpreter start removed.

    All from bytecode, as they run on Lambda: pip compiled the libraries' at install, and
    `make package` ships the service's own (a Lambda cannot write __pycache__ at run time).
    The libraries are imported in the order `import app` started them, with the same lazy
    submodules (pydantic's schema builder and plugin loader come with the first model), so
    `app - libraries` is what our code's own work costs.
    """
    import json
    import tempfile

    cwd = ROOT / "services" / service
    config = json.loads((cwd / ".chalice" / "config.json").read_text(encoding="utf-8"))
    env = {**os.environ, **config.get("environment_variables", {}),  # as its Lambda has them
           "PYTHONPATH": f"{cwd}:{ROOT / 'shared'}",
           "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "crm-bench-pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    listed = subprocess.run([sys.executable, "-c", LIST_LIBRARIES], check=True, env=env,
                            cwd=cwd, capture_output=True, text=True)  # and writes bytecode
    libraries = ("import importlib\n"
                 f"for name in {listed.stdout.split()!r}:\n"
                 "    importlib.import_module(name)\n")

    def timed(code: str) -> float:
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=cwd)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    base = timed("pass")
    return ImportTimes(service, app=timed("import app") - base,
                       libraries=timed(libraries) - base, boto3=timed("import boto3") - base)


def api_costs(platform: ApiClient, tenants: Tenants, counter: CallCounter) -> list[Row]:
    tenant = tenants.create()
    platform.get("/me", token=tenant.admin_token)  # first sign-in activates the user
    rows: list[Row] = []
    cases: list[tuple[str, str, str, Any, dict[str, str]]] = [
        ("GET /me", "GET", "/me", None, {}),
        ("POST /teams", "POST", "/teams", {"name": "Bench"}, {}),
        ("GET /teams?limit=25", "GET", "/teams?limit=25", None, {}),
        ("GET /users?limit=25", "GET", "/users?limit=25", None, {}),
        ("POST /tenants (replay, same external_ref)", "POST", "/tenants", None, OPERATOR),
    ]
    replay = {"name": "Bench", "plan": "starter", "admin_email": tenant.admin_email,
              "external_ref": tenant.admin_email.split("@")[0]}
    for label, method, path, body, headers in cases:
        payload = replay if label.startswith("POST /tenants") else body
        token = None if headers else tenant.admin_token
        with counter.counting():
            reply = platform.request(method, path, payload, token=token, headers=headers)
        assert reply.status < 300, (label, reply.json)
        dynamo = counter.by_service("dynamodb:")
        rows.append((label, str(dynamo), str(counter.items_read), counter.summary()))
    return rows


def list_page_cost(platform: ApiClient, tenants: Tenants, counter: CallCounter,
                   sizes: tuple[int, ...]) -> list[Row]:
    """Items DynamoDB reads for one page of 25 as the tenant grows: the page, not the table."""
    sys.modules.pop("chalicelib.repository", None)
    load_app("platform")
    from chalicelib import repository
    from chalicelib.models import TeamItem

    rows = []
    for size in sizes:
        tenant = tenants.create()
        with TeamItem.batch_write() as batch:
            for n in range(size):
                batch.save(repository.new_team(
                    team_id=f"tea_{n:026d}", tenant_id=tenant.tenant_id, name=f"Team {n}",
                    created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z"))
        with counter.counting():
            reply = platform.get("/teams?limit=25", token=tenant.admin_token)
        assert reply.status == 200 and len(reply.json["items"]) == 25
        label = f"GET /teams?limit=25 with {size:,} teams"
        rows.append((label, str(counter.by_service("dynamodb:")),
                     str(counter.items_read), counter.summary()))
    return rows


def contact_costs(contacts: ApiClient, tenants: Tenants, counter: CallCounter,
                  runtimes_settle: Any) -> list[Row]:
    """The contacts budgets: get 1 call, create 1 transaction, search by email 1 Query."""
    tenant = tenants.create()
    runtimes_settle()
    body = {"first_name": "Bench", "emails": [{"address": "bench@example.com"}],
            "phones": [{"number": "+14155550100"}], "tags": ["a", "b"]}
    rows: list[Row] = []
    with counter.counting():
        created = contacts.post("/contacts", body, token=tenant.admin_token)
    assert created.status == 201, created.json
    rows.append(("POST /contacts (2 claims, 2 tags)", str(counter.by_service("dynamodb:")),
                 str(counter.items_read), counter.summary()))
    contact_id = created.json["contact_id"]
    search = {"filter_groups": [{"filters": [
        {"field": "email", "operator": "eq", "value": "bench@example.com"}]}]}
    for label, method, path, payload in [
        ("GET /contacts/{id}", "GET", f"/contacts/{contact_id}", None),
        ("PATCH /contacts/{id}", "PATCH", f"/contacts/{contact_id}", {"title": "CTO"}),
        ("POST /contacts/search (email)", "POST", "/contacts/search", search),
    ]:
        with counter.counting():
            reply = contacts.request(method, path, payload, token=tenant.admin_token)
        assert reply.status == 200, (label, reply.json)
        rows.append((label, str(counter.by_service("dynamodb:")), str(counter.items_read),
                     counter.summary()))
    return rows


def contact_import(tenants: Tenants, settle_all: Any, rows: int = 1_000) -> Row:
    """CSV import through the jobs queue: DynamoDB requests per row (budget 0.1) and rows/s."""
    tenant = tenants.create()
    settle_all()
    load_app("contacts")
    from chalicelib.transfers import jobs
    from tests.bench import contacts_import

    principal = jobs.principal_of({"kind": "user", "subject": tenant.admin_user_id,
                                   "roles": ["admin"]}, tenant.tenant_id)
    result = contacts_import.measure(tenant.tenant_id, principal, rows)
    assert result["status"] == "completed", result
    return (f"CSV import of {rows:,} new contacts", str(result["dynamodb_requests"]),
            f"{result['dynamodb_per_row']} requests/row",
            f"{result['rows_per_second']} rows/s on moto")


def outbox_cost(platform: ApiClient, tenants: Tenants, counter: CallCounter,
                runtime: Any) -> list[Row]:
    runtime.pump_stream()
    for _ in range(30):
        tenants.create()
    with counter.counting():
        runtime.pump_stream()
    put_calls = counter.calls.get("events:PutEvents", 0)
    published = 30
    per_call = published / put_calls if put_calls else 0.0
    return [("outbox relay: 30 writes' events", str(put_calls) + " PutEvents",
             f"{per_call:.1f} events/call", counter.summary())]


def event_delay(samples: int = 20) -> Row:
    """Write -> consumer delay in the local runtime: POST /tenants answered, until the
    platform's consumer logs the TenantProvisioned it handled (outbox, stream, bus, SQS)."""
    import tempfile

    from tests.support.local_runtime import http, started, wait_for_state

    delays = []
    with tempfile.TemporaryDirectory() as tmp, started(Path(tmp) / "crm") as running:
        process, output, state_path = running
        state = wait_for_state(process, output, state_path)
        for n in range(samples):
            status, _, body = http("POST", f"{state['api_url']}/tenants", {
                "name": "Bench", "plan": "starter", "admin_email": f"bench-{n}@example.com",
                "external_ref": f"bench-{n}"}, headers={"X-Operator-Key": state["operator_key"]})
            answered = time.monotonic()
            assert status == 201, body
            tenant_id = body["tenant"]["tenant_id"]
            output.wait_for(rf"handled TenantProvisioned \S+ \(tenant {tenant_id}\)", 30)
            delays.append(time.monotonic() - answered)
    delays.sort()
    p95 = delays[max(0, round(0.95 * len(delays)) - 1)]
    return ("write -> consumer delay, local runtime", f"median {statistics.median(delays):.2f} s",
            f"p95 {p95:.2f} s", f"{samples} provisionings")


def lead_assignment_delay(samples: int = 20) -> Row:
    """LeadCreated -> LeadAssigned in the local runtime: POST /leads answered, until the
    lead reads as assigned by the sales consumer's rule (outbox, stream, bus, SQS)."""
    import tempfile

    from tests.fuzz.run import sign_in
    from tests.support.local_runtime import http, started, wait_for_state

    delays = []
    with tempfile.TemporaryDirectory() as tmp, started(Path(tmp) / "crm") as running:
        process, output, state_path = running
        state = wait_for_state(process, output, state_path)
        api, token = state["api_url"], sign_in(state, state_path.parent)
        auth = {"Authorization": f"Bearer {token}"}
        me = http("GET", f"{api}/me", headers=auth)[2]
        rule = {"name": "Bench", "user_id": me["user_id"], "filter_groups": [{"filters": [
            {"field": "source", "operator": "eq", "value": "bench"}]}]}
        deadline = time.monotonic() + 60  # the admin reaches sales' directory by an event
        while http("PUT", f"{api}/leads/assignment-rules", {"rules": [rule]},
                   headers=auth)[0] != 200:
            assert time.monotonic() < deadline, "sales never learned of the admin user"
            time.sleep(0.2)
        for n in range(samples):
            status, _, lead = http("POST", f"{api}/leads", {"name": f"Bench {n}",
                                                            "source": "bench"}, headers=auth)
            answered = time.monotonic()
            assert status == 201, lead
            while http("GET", f"{api}/leads/{lead['lead_id']}", headers=auth)[2].get(
                    "assignment_status") != "assigned":
                assert time.monotonic() - answered < 30, "the lead was never assigned"
                time.sleep(0.02)
            delays.append(time.monotonic() - answered)
    delays.sort()
    p95 = delays[max(0, round(0.95 * len(delays)) - 1)]
    return ("lead created -> assigned, local runtime", f"median {statistics.median(delays):.2f} s",
            f"p95 {p95:.2f} s", f"{samples} leads")


def main() -> int:
    counter = CallCounter()
    rows: list[Row] = []
    with fresh_aws() as aws:
        platform, contacts, tenants = aws.clients["platform"], aws.clients["contacts"], aws.tenants
        rows += api_costs(platform, tenants, counter)
        rows += outbox_cost(platform, tenants, counter, aws.runtimes["platform"])
        rows += contact_costs(contacts, tenants, counter, aws.settle)
        rows.append(contact_import(tenants, aws.settle))
        rows += list_page_cost(platform, tenants, counter, (1_000, 5_000))
    # each of these builds a moto of its own, so one's data never slows another's
    from tests.bench.list_pages import list_page_rows
    from tests.bench.marketing_campaign import campaign_rows
    from tests.bench.sales_orders import order_rows
    from tests.bench.sales_reports import sales_rows
    from tests.bench.service_rows import service_rows

    rows += sales_rows(counter)
    rows += order_rows(counter)
    rows += service_rows(counter)
    rows += campaign_rows(counter)
    rows += list_page_rows(counter)
    rows.append(event_delay())
    rows.append(lead_assignment_delay())
    imports = [import_times(svc) for svc in service_names()]
    from tests.bench.packages import package_rows
    from tests.bench.packages import render as render_packages

    report = render(rows, imports, render_packages(package_rows()))
    print(report)
    (ROOT / "docs" / "benchmarks.md").write_text(report)
    write_cost_model(rows)
    return 0


def write_cost_model(rows: list[Row]) -> None:
    """docs/cost.md from this run's measured calls and each write's measured follow-ups."""
    from tests.bench.cost_model import render_cost_model
    from tests.bench.operation_costs import follow_ups, measure_operations

    text = render_cost_model(rows, follow_ups(measure_operations()),
                             generated=f"This copy: `make bench` on {time.strftime('%Y-%m-%d')}.")
    (ROOT / "docs" / "cost.md").write_text(text)
    print(f"docs/cost.md written: {text.splitlines()[0]}")


def render_imports(imports: list[ImportTimes]) -> list[str]:
    """The import table, and what a miss is made of: the libraries, or our code on top."""
    lines = [
        "| service | `import app` (ms) | libraries it loads (ms) | our code (ms) "
        "| `import boto3` (ms) | ratio (budget 1.5) | libraries alone / boto3 |",
        "|---|---|---|---|---|---|---|",
        *[f"| {t.service} | {t.app * 1e3:.0f} | {t.libraries * 1e3:.0f} "
          f"| {(t.app - t.libraries) * 1e3:.0f} | {t.boto3 * 1e3:.0f} | {t.ratio:.2f} "
          f"| {t.libraries_ratio:.2f} |" for t in imports],
        "",
    ]
    missed = [t for t in imports if t.ratio > 1.5]
    if not missed:
        return [*lines, "Every service's import is within the budget.", ""]
    libraries = [t.libraries_ratio for t in missed]
    ours = [(t.app - t.libraries) / t.boto3 for t in missed]
    return [*lines,
            f"Over budget: {', '.join(t.service for t in missed)}. There the libraries the "
            "app loads (botocore through PynamoDB, pydantic with the schema builder its first "
            "model needs, Chalice, powertools) take "
            f"{min(libraries):.2f}x to {max(libraries):.2f}x `import boto3` on their own, "
            f"and our code adds {min(ours):.2f}x to {max(ours):.2f}x.", ""]


def render(rows: list[Row], imports: list[ImportTimes], packages: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Reproduce with `make bench` (moto in-process; counts are exact, times depend on the",
        "machine). Budgets: `GET /me` at most 1 DynamoDB call with the JWKS cached; each",
        "service's `app` import at most 1.5x `import boto3`; a list page reads the page, not",
        "the table; the outbox relay batches up to 10 events per `PutEvents`.",
        "",
        "| operation | DynamoDB calls | items read | AWS calls |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        *render_imports(imports),
        "Each service's Lambda package (`make package`'s steps, prod stage; Lambda allows",
        "50 MB zipped for a direct upload and 250 MB unzipped):",
        "",
        packages,
        "",
        "The cost per tenant these figures imply is in [cost.md](cost.md).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
