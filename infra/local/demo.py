"""``python -m infra.local.demo`` (``make demo``): a demo tenant on a running ``make run``.

Provisions "Demo Co", signs in its admin, invites one user of each role (named after the
people of the Maven sales data set in ``demo-data/``), sets every password to the demo
password through a real first login, and builds the "Central" team of that data set. Safe
to repeat: what exists is reused, never duplicated. Each service seeds its own part through
its function in :data:`SEEDERS`; the domain services add theirs as they arrive.
"""

from __future__ import annotations

import csv
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.login import DEMO_PASSWORD, LoginError, cognito_client, login
from infra.local.run import read_state, state_file

DATA_DIR = Path(__file__).resolve().parent / "demo-data"
DOMAIN = "demo-co.example"
REQUEST_TIMEOUT_SECONDS = 65.0  # past the gateway's own 60 s, so a slow call ends as its 504
TENANT = {"name": "Demo Co", "plan": "professional", "external_ref": "demo-co",
          "admin_email": f"admin@{DOMAIN}", "admin_name": "Demo Admin"}
ROLES = ("manager", "sales_rep", "support_agent", "marketer", "viewer")
TEAM_OFFICE = "Central"  # a regional office of sales_teams.csv


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why."""


@dataclass
class Reply:
    status: int
    body: Any


class Api:
    """JSON over the local gateway, answering problem+json as a readable DemoError."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None,
             headers: dict[str, str] | None = None, ok: tuple[int, ...] = (200, 201)) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, headers=sent,
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError as exc:
            message = f"cannot reach {self.base_url} (is `make run` running?): {exc}"
            raise DemoError(message) from exc
        parsed = json.loads(raw) if raw else None
        if status not in ok:
            detail = parsed.get("detail") if isinstance(parsed, dict) else raw[:200]
            raise DemoError(f"{method} {path} answered {status}: {detail}")
        return Reply(status, parsed)

    def poll(self, path: str, token: str) -> dict[str, Any] | None:
        """A status GET while a job runs: None when the service is still busy with a chunk.

        A service container runs one invocation at a time, as a Lambda container does, so
        a status request can wait behind a long import chunk until the gateway gives up.
        """
        try:
            return dict(self.call("GET", path, token=token, ok=(200,)).body)
        except DemoError as exc:
            if "timed out" in str(exc) or "answered 504" in str(exc):
                return None
            raise

    def every(self, path: str, token: str) -> list[dict[str, Any]]:
        """Every item of a paginated list."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = f"?limit=100&cursor={cursor}" if cursor else "?limit=100"
            page = self.call("GET", path + query, token=token).body
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items


@dataclass
class Account:
    email: str
    role: str
    name: str
    user_id: str
    token: str
    note: str


@dataclass
class Demo:
    """What every seeder gets: the API, the tenant, and the accounts made so far."""

    state: dict[str, Any]
    api: Api
    tenant_id: str = ""
    accounts: dict[str, Account] = field(default_factory=dict)  # by role

    def token(self, role: str = "admin") -> str:
        return self.accounts[role].token


def sales_team(office: str) -> tuple[str, list[str]]:
    """The first manager of ``office`` in sales_teams.csv and that manager's agents."""
    with (DATA_DIR / "sales_teams.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["regional_office"] == office]
    if not rows:
        raise DemoError(f"sales_teams.csv has no regional office {office!r}")
    manager = rows[0]["manager"]
    return manager, [row["sales_agent"] for row in rows if row["manager"] == manager]


def activate(demo: Demo, email: str, temporary: str | None) -> tuple[str, str]:
    """Log in, setting the demo password on a first login; returns (token, what happened)."""
    for password in [p for p in (temporary, DEMO_PASSWORD) if p]:
        try:
            token, changed = login(demo.state, email, password, DEMO_PASSWORD)
            return token, "first login: demo password set" if changed else "existing"
        except LoginError:
            continue
    # A repeat after an interrupted run: invited, never logged in, temporary password lost.
    client = cognito_client(demo.state)
    user = client.admin_get_user(UserPoolId=demo.state["user_pool_id"], Username=email)
    if user.get("UserStatus") != "FORCE_CHANGE_PASSWORD":
        raise DemoError(f"{email}: the demo password no longer works (changed by hand?)")
    client.admin_set_user_password(UserPoolId=demo.state["user_pool_id"], Username=email,
                                   Password=DEMO_PASSWORD, Permanent=True)
    token, _ = login(demo.state, email, DEMO_PASSWORD)
    return token, "demo password reset"


def provision_tenant(demo: Demo) -> None:
    """The operator's step: the tenant and its admin (idempotent on external_ref)."""
    reply = demo.api.call("POST", "/tenants", TENANT,
                          headers={"X-Operator-Key": demo.state["operator_key"]})
    tenant, admin = reply.body["tenant"], reply.body["admin"]
    demo.tenant_id = tenant["tenant_id"]
    token, note = activate(demo, admin["email"], admin.get("temporary_password"))
    created = "provisioned" if reply.status == 201 else "already provisioned"
    demo.accounts["admin"] = Account(admin["email"], "admin", TENANT["admin_name"],
                                     admin["user_id"], token, f"tenant {created}; {note}")


def seed_platform(demo: Demo) -> None:
    """One user per role, named after the data set's people, and the office's team."""
    manager_name, agents = sales_team(TEAM_OFFICE)
    names = dict(zip(ROLES, [manager_name, *agents], strict=False))
    admin = demo.token()
    existing: dict[str, dict[str, Any]] | None = None
    for role in ROLES:
        email = f"{role}@{DOMAIN}"
        name = names.get(role, role.replace("_", " ").title())
        reply = demo.api.call("POST", "/users", {"email": email, "name": name, "roles": [role]},
                              token=admin, ok=(201, 409))
        if reply.status == 201:
            user_id, temporary = reply.body["user_id"], reply.body.get("temporary_password")
        else:
            if existing is None:
                existing = {u["email"]: u for u in demo.api.every("/users", admin)}
            if email not in existing:
                raise DemoError(f"{email} is taken by another tenant")
            user_id, temporary = existing[email]["user_id"], None
        token, note = activate(demo, email, temporary)
        demo.accounts[role] = Account(email, role, name, user_id, token,
                                      ("invited; " if reply.status == 201 else "") + note)

    teams = {team["name"]: team for team in demo.api.every("/teams", admin)}
    if TEAM_OFFICE not in teams:
        members = [demo.accounts["manager"].user_id, demo.accounts["sales_rep"].user_id]
        demo.api.call("POST", "/teams", {"name": TEAM_OFFICE, "manager_id": members[0],
                                         "member_ids": members}, token=admin)
        print(f'team "{TEAM_OFFICE}" created: {manager_name} (manager) and {names["sales_rep"]}')
    else:
        print(f'team "{TEAM_OFFICE}" exists')


IMPORT_WAIT_SECONDS = 120.0


def account_contacts() -> str:
    """A buyer at each account of accounts.csv, as CSV (emails make a re-import an upsert)."""
    import io
    import re

    with (DATA_DIR / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        accounts = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["first_name", "last_name", "email", "title", "stage", "tags"])
    for account in accounts:
        slug = re.sub(r"[^a-z0-9]+", "-", account["account"].lower()).strip("-")
        writer.writerow(["Buyer", account["account"], f"buyer@{slug}.example",
                         "Purchasing", "customer", account["sector"]])
    return out.getvalue()


def wait_for_import(demo: Demo, import_id: str) -> dict[str, Any]:
    """Poll the import until it is done (the jobs queue runs it in the background)."""
    import time

    deadline = time.monotonic() + IMPORT_WAIT_SECONDS
    while True:
        job = demo.api.poll(f"/imports/{import_id}", demo.token()) or {"status": "busy"}
        if job["status"] in ("completed", "failed"):
            return dict(job)
        if time.monotonic() > deadline:
            raise DemoError(f"import {import_id} is still {job['status']} after "
                            f"{IMPORT_WAIT_SECONDS:.0f} s: is the contacts jobs queue "
                            "(crm-local-contacts-jobs) being polled?")
        time.sleep(1.0)


def seed_contacts(demo: Demo) -> None:
    """A contact per account of accounts.csv through POST /imports (an upsert by email, so
    a second run updates nothing and creates nothing). The companies and their
    `subsidiary_of` network follow once the companies import exists."""
    mapping = {"first_name": "first_name", "last_name": "last_name", "email": "email",
               "title": "title", "stage": "lifecycle_stage", "tags": "tags"}
    job = demo.api.call("POST", "/imports", {
        "object_type": "contact", "format": "csv", "mapping": mapping, "upsert_key": "email",
        "csv": account_contacts()}, token=demo.token(), ok=(202,)).body
    done = wait_for_import(demo, job["import_id"])
    if done["status"] != "completed":
        raise DemoError(f"the contacts import failed: {done.get('reason')}")
    print(f"contacts from accounts.csv: {done['created']} created, {done['updated']} updated, "
          f"{done['skipped']} unchanged, {done['failed']} failed")


SECTORS = {"technolgy": "technology"}  # the data set's own misspelling, mended on the way in


def account_companies() -> str:
    """accounts.csv as a company import's CSV: the sector mended, revenue (USD millions in
    the data set) in whole dollars, the sector as a tag too."""
    import io
    from decimal import Decimal

    with (DATA_DIR / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        accounts = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "industry", "employees", "annual_revenue", "tags",
                     "subsidiary_of"])
    for account in accounts:
        sector = SECTORS.get(account["sector"], account["sector"])
        revenue = Decimal(account["revenue"]) * 1_000_000 if account["revenue"] else ""
        writer.writerow([account["account"], sector, account["employees"], revenue, sector,
                         account["subsidiary_of"].strip()])
    return out.getvalue()


def seed_companies(demo: Demo) -> dict[str, str]:
    """accounts.csv as companies through POST /imports (object_type company): matched by
    name, so a second run creates nothing; `subsidiary_of` becomes parent_id in the import's
    second pass, once every row exists."""
    mapping = {"name": "name", "industry": "industry", "employees": "employees",
               "annual_revenue": "annual_revenue", "tags": "tags",
               "subsidiary_of": "subsidiary_of"}
    token = demo.token()
    job = demo.api.call("POST", "/imports", {
        "object_type": "company", "format": "csv", "mapping": mapping, "upsert_key": "name",
        "csv": account_companies()}, token=token, ok=(202,)).body
    done = wait_for_import(demo, job["import_id"])
    if done["status"] != "completed":
        raise DemoError(f"the companies import failed: {done.get('reason')}")
    ids = {c["name"]: c["company_id"] for c in demo.api.every("/companies", token)}
    print(f"companies from accounts.csv: {done['created']} created, {done['updated']} "
          f"updated, {done['skipped']} unchanged, {done['failed']} failed, "
          f"{done['linked']} subsidiaries linked")
    acme = ids.get("Acme Corporation")
    if acme:
        tree = demo.api.call("GET", f"/companies/{acme}/hierarchy?depth=2", token=token).body
        names = [n["name"] for n in tree.get("descendants", [])]
        print(f"  Acme Corporation's subsidiaries: {', '.join(names) or 'none'}")
        print(f"  curl -H \"Authorization: Bearer $TOKEN\" "
              f"{demo.api.base_url}/companies/{acme}/hierarchy")
    return ids


def seed_contacts_and_companies(demo: Demo) -> None:
    seed_companies(demo)
    seed_contacts(demo)


PRODUCT_ALIASES = {"GTX Pro": ["GTXPro"]}  # sales_pipeline.csv's spelling of the product
PIPELINE_WAIT_SECONDS = 1800.0  # 8,800 deals at about 20 rows/s on moto
OWNER_RETRIES = 10


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # sales_rep (an agent) or manager
    office: str
    manager: str | None


def sales_people() -> list[Person]:
    """sales_teams.csv's agents and managers (a manager once, first office seen)."""
    with (DATA_DIR / "sales_teams.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    people = [Person(r["sales_agent"], "sales_rep", r["regional_office"], r["manager"])
              for r in rows]
    managers = {r["manager"]: r["regional_office"] for r in reversed(rows)}
    return people + [Person(name, "manager", office, None)
                     for name, office in sorted(managers.items())]


def person_email(name: str) -> str:
    """`Anna Snelling` -> `anna.snelling@demo-co.example`."""
    import re

    return re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") + f"@{DOMAIN}"


def office_teams(people: list[Person]) -> dict[str, tuple[str, list[str]]]:
    """office -> (its first manager, everyone else of the office), by name."""
    teams: dict[str, tuple[str, list[str]]] = {}
    for person in people:
        if person.role == "sales_rep" and person.office not in teams and person.manager:
            teams[person.office] = (person.manager, [])
    for person in people:
        manager, members = teams[person.office]
        if person.name != manager:
            members.append(person.name)
    return teams


def product_bodies() -> list[dict[str, Any]]:
    """products.csv as POST /products bodies (sales_price in whole USD)."""
    with (DATA_DIR / "products.csv").open(encoding="utf-8", newline="") as handle:
        return [{"name": r["product"], "series": r["series"],
                 "price": {"amount": int(r["sales_price"]) * 100, "currency": "USD"},
                 "aliases": PRODUCT_ALIASES.get(r["product"], [])}
                for r in csv.DictReader(handle)]


def seed_sales_people(demo: Demo) -> dict[str, str]:
    """Every agent (sales_rep) and manager of sales_teams.csv as a user, and a team per
    regional office; a person the platform seeder already made (same name) is reused."""
    admin, people = demo.token(), sales_people()
    users = demo.api.every("/users", admin)
    by_name = {u["name"]: u["user_id"] for u in users if u.get("name")}
    by_email = {u["email"]: u["user_id"] for u in users}
    invited = 0
    for person in people:
        if person.name in by_name:
            continue
        email = person_email(person.name)
        reply = demo.api.call("POST", "/users", {"email": email, "name": person.name,
                                                 "roles": [person.role]},
                              token=admin, ok=(201, 409))
        if reply.status == 409 and email not in by_email:
            raise DemoError(f"{email} is taken by another tenant")
        by_name[person.name] = reply.body["user_id"] if reply.status == 201 else by_email[email]
        invited += 1
    teams = {t["name"]: t for t in demo.api.every("/teams", admin)}
    changed = 0
    for office, (manager, members) in office_teams(people).items():
        wanted = {"manager_id": by_name[manager],
                  "member_ids": sorted({by_name[manager], *(by_name[m] for m in members)})}
        team = teams.get(office)
        if team is None:
            demo.api.call("POST", "/teams", {"name": office, **wanted}, token=admin)
            changed += 1
        elif team["manager_id"] != wanted["manager_id"] or \
                set(wanted["member_ids"]) - set(team["member_ids"]):
            members_now = sorted(set(team["member_ids"]) | set(wanted["member_ids"]))
            demo.api.call("PATCH", f"/teams/{team['team_id']}",
                          {"manager_id": wanted["manager_id"], "member_ids": members_now},
                          token=admin)
            changed += 1
    print(f"sales people from sales_teams.csv: {invited} invited, {len(people) - invited} "
          f"existing; {changed} office teams created or completed")
    return by_name


def seed_products(demo: Demo) -> None:
    """products.csv as products (matched by name), `GTXPro` an alias of `GTX Pro`."""
    token = demo.token()
    existing = {p["name"] for p in demo.api.every("/products", token)}
    bodies = [b for b in product_bodies() if b["name"] not in existing]
    for body in bodies:
        demo.api.call("POST", "/products", body, token=token, ok=(201,))
    print(f"products from products.csv: {len(bodies)} created, {len(existing)} existing")


def wait_for_opportunity_import(demo: Demo, import_id: str) -> dict[str, Any]:
    """Poll the import until completed, printing its progress now and then."""
    import time

    started = time.monotonic()
    shown = 0.0
    while True:
        job = demo.api.poll(f"/opportunities/imports/{import_id}", demo.token())
        if job and job["status"] == "completed":
            return job
        waited = time.monotonic() - started
        if waited > PIPELINE_WAIT_SECONDS:
            raise DemoError(f"import {import_id} is still running after {waited:.0f} s: is "
                            "the sales jobs queue (crm-local-sales-jobs) being polled?")
        if job and waited - shown >= 15:
            shown = waited
            print(f"  ... {job['processed']:,} of {job['total']:,} rows after {waited:.0f} s")
        time.sleep(2.0)


def seed_opportunities(demo: Demo) -> None:
    """sales_pipeline.csv as it is through POST /opportunities/imports (Maven's columns are
    the default mapping). Rows are matched by their opportunity_id, so a second run skips
    all of them. A row whose agent the sales directory does not know yet (the UserInvited
    events are on their way) fails; the import is then repeated until none does."""
    import time

    text = (DATA_DIR / "sales_pipeline.csv").read_text(encoding="utf-8")
    for attempt in range(1, OWNER_RETRIES + 1):
        job = demo.api.call("POST", "/opportunities/imports", {"csv": text},
                            token=demo.token(), ok=(202,)).body
        done = wait_for_opportunity_import(demo, job["import_id"])
        print(f"opportunities from sales_pipeline.csv: {done['created']:,} created, "
              f"{done['updated']:,} updated, {done['skipped']:,} unchanged, "
              f"{done['failed']:,} failed")
        waiting = {e["row"] for e in done["errors"] or [] if e["field"] == "owner_id"}
        if not waiting or attempt == OWNER_RETRIES:
            break
        print(f"  {len(waiting):,} rows name agents sales does not know yet; importing again")
        time.sleep(3.0)
    for error in (done["errors"] or [])[:5]:
        print(f"  row {error['row']} {error['column']}: {error['message']}")


def seed_sales(demo: Demo) -> None:
    seed_sales_people(demo)
    seed_products(demo)
    seed_opportunities(demo)
    seed_orders(demo)


def seed_orders(demo: Demo) -> None:
    """A few paid orders for the first demo contacts (external ids `demo-<contact>-<n>`, so a
    second run finds them), with loyalty switched on, so segments, the 360 view, customer
    value and loyalty have data. Runs after the sales seeder (products first)."""
    token = demo.token()
    demo.api.call("PUT", "/loyalty/program", {
        "enabled": True, "points_per_unit": 1, "tiers": [
            {"name": "Bronze", "threshold": 0},
            {"name": "Silver", "threshold": 1000, "benefits": ["free shipping"]},
            {"name": "Gold", "threshold": 5000, "benefits": ["free shipping",
                                                            "priority support"]}]},
        token=token)
    contacts = demo.api.call("GET", "/contacts?limit=6", token=token).body["items"]
    products = demo.api.call("GET", "/products?limit=4", token=token).body["items"]
    priced = [p for p in products if p.get("price")] or [
        {"product_id": None, "name": "Demo item", "price": {"amount": 4900, "currency": "USD"}}]
    made = 0
    for index, contact in enumerate(contacts):
        for n in range(1 + index % 3):
            product = priced[(index + n) % len(priced)]
            line = {"quantity": 1 + n, "unit_price": product["price"], "name": product["name"]}
            line |= {"product_id": product["product_id"]} if product["product_id"] else {
                "sku": "DEMO"}
            total = line["quantity"] * product["price"]["amount"]
            reply = demo.api.call("POST", "/orders", {
                "source": "shop", "external_id": f"demo-{contact['contact_id']}-{n}",
                "contact_id": contact["contact_id"], "company_id": contact.get("company_id"),
                "status": "delivered" if n else "paid", "lines": [line],
                "totals": {"amount": total, "currency": product["price"]["currency"]}},
                token=token)
            made += reply.status == 201
    print(f"orders for {len(contacts)} demo contacts: {made} created, loyalty switched on")


DEMO_SUBSCRIBERS = 5  # demo contacts who grant email consent and get the demo campaign


def wait_for(what: str, probe: Callable[[], Any], seconds: float = 120) -> Any:
    """Poll ``probe`` until it answers something truthy (the local runtime is async)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(1)
    raise DemoError(f"gave up waiting for {what} after {seconds:.0f} s")


def grant_demo_consents(demo: Demo) -> list[str]:
    """Email consent for the first few demo contacts with an address (once: a contact
    whose consent is granted already is left alone)."""
    token = demo.token("admin")
    contacts = demo.api.call("GET", "/contacts?limit=50", token=token).body["items"]
    chosen = [c["contact_id"] for c in contacts if c.get("emails")][:DEMO_SUBSCRIBERS]
    for contact_id in chosen:
        current = demo.api.call("GET", f"/contacts/{contact_id}/consents",
                                token=token).body["items"]
        if not any(c["channel"] == "email" and c["status"] == "granted" for c in current):
            demo.api.call("PUT", f"/contacts/{contact_id}/consents/email",
                          {"status": "granted", "legal_basis": "consent", "source": "demo"},
                          token=token)
    return chosen


def seed_marketing(demo: Demo) -> None:
    """A sender identity, a "Demo subscribers" segment (email consent granted, for a few
    demo contacts) and the "Demo newsletter" campaign to it, launched and waited for: its
    messages are in the local SES outbox (``make outbox``). Found by name on a second run,
    and launching again answers the same launch, so a second run sends nothing."""
    token = demo.token("admin")
    sender = f"news@{DOMAIN}"
    senders = demo.api.call("GET", "/sender-identities", token=token).body["items"]
    if not any(s["email"] == sender for s in senders):
        demo.api.call("POST", "/sender-identities", {"email": sender, "name": "Demo Co News"},
                      token=token)
    marketer = demo.token("marketer") if "marketer" in demo.accounts else token
    subscribers = grant_demo_consents(demo) if "contacts" in demo.state.get(
        "services", {}) else []
    if not subscribers:
        print("marketing: no demo contacts with an email address: no campaign")
        return
    segment = next((s for s in demo.api.every("/segments", marketer)
                    if s["name"] == "Demo subscribers"), None)
    if segment is None:
        segment = demo.api.call("POST", "/segments", {
            "name": "Demo subscribers", "description": "Demo contacts who opted in to email",
            "filter": {"filter_groups": [{"filters": [
                {"field": "consent_email", "operator": "eq", "value": "granted"}]}]}},
            token=marketer).body
    path = f"/segments/{segment['segment_id']}"

    def segment_ready() -> bool:  # consents reach marketing's read model asynchronously
        found = demo.api.call("GET", path, token=marketer).body
        return bool(found["evaluation"]["status"] == "complete"
                    and found["member_count"] >= len(subscribers))

    wait_for("the subscribers segment", segment_ready)
    template = next(t for t in demo.api.every("/templates", marketer)
                    if t["name"] == "Newsletter")
    campaign = next((c for c in demo.api.every("/campaigns", marketer)
                     if c["name"] == "Demo newsletter"), None)
    if campaign is None:
        campaign = demo.api.call("POST", "/campaigns", {
            "name": "Demo newsletter", "channel": "email", "segment_ids": [segment["segment_id"]],
            "template_id": template["template_id"], "cost": {"amount": 25_000,
                                                             "currency": "USD"}},
            token=marketer).body
    launched = demo.api.call("POST", f"/campaigns/{campaign['campaign_id']}/launch",
                             token=marketer, ok=(200, 202))
    again = " (launched before: nothing sent again)" if launched.status == 200 else ""

    def finished() -> dict[str, Any] | None:
        found = demo.api.call("GET", f"/campaigns/{campaign['campaign_id']}",
                              token=marketer).body
        return found if found["status"] in ("sent", "cancelled") else None

    done = wait_for("the demo campaign to finish", finished)
    stats = done["stats"]
    print(f"marketing: campaign 'Demo newsletter' {done['status']}{again}: "
          f"{stats['sent']} sent, {stats['skipped']} skipped to segment 'Demo subscribers'; "
          "see the messages with `make outbox`")


#: One seeding function per service, run in this order for each service that is running.
#: Sales goes last: its 8,800 deals leave tens of thousands of events queued for every
#: consumer, and marketing's campaign waits on events (consents into its read model).
SEEDERS: dict[str, Callable[[Demo], None]] = {
    "platform": seed_platform,
    "contacts": seed_contacts_and_companies,
    "marketing": seed_marketing,
    "sales": seed_sales,
}


def print_accounts(demo: Demo) -> None:
    rows = [("email", "role", "name", "password", "")]
    rows += [(a.email, a.role, a.name, DEMO_PASSWORD, a.note) for a in demo.accounts.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print(f"\nDemo Co ({demo.tenant_id}) on {demo.state['api_url']}:")
    for row in rows:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        print(f"  {cells}  {row[4]}".rstrip())
    email = demo.accounts["manager"].email
    print(f"\nTOKEN=$(python -m infra.local.login {email} '{DEMO_PASSWORD}')\n"
          f'curl -H "Authorization: Bearer $TOKEN" {demo.state["api_url"]}/me')


def main() -> int:
    state = read_state()
    if state is None:
        print(f"no {state_file()}: start the local runtime first (make run)", file=sys.stderr)
        return 1
    demo = Demo(state, Api(state["api_url"]))
    try:
        provision_tenant(demo)
        for service, seed in SEEDERS.items():
            if service in state.get("services", {}):
                seed(demo)
            else:
                print(f"{service} is not running: its demo data is skipped")
    except (DemoError, LoginError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    print_accounts(demo)
    print_backlog(state)
    return 0


def print_backlog(state: dict[str, Any]) -> None:
    """Say how many events the consumers still have to handle: reports, forecasts and
    timelines are kept from events, so they fill in as the queues drain."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=state["aws_endpoint_url"], region_name=state["region"],
                       aws_access_key_id="local", aws_secret_access_key="local")
    waiting = 0
    for url in sqs.list_queues(QueueNamePrefix=f"crm-{state['stage']}-").get("QueueUrls", []):
        if url.endswith("-events"):
            found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            waiting += sum(int(n) for n in found["Attributes"].values())
    if waiting:
        print(f"\nAt least {waiting:,} events are still queued for the services' consumers, and "
              "more are still\nleaving the tables' streams: reports, forecasts and timelines "
              "fill in as they drain\n(the Maven deals' take an hour or more on the embedded "
              "AWS; `make run` shows them).")


if __name__ == "__main__":
    sys.exit(main())
