"""`make fuzz`: schemathesis against every service of the local runtime, as a tenant admin.

Starts `python -m infra.local.run` on free ports, provisions a tenant, signs its admin in
through Cognito, then runs schemathesis on each service's own /<service>/openapi.json
with two checks: no 5xx, and every documented response matches its schema. Exit status 1
names the services with failures; the reports land in build/fuzz/.

    python -m tests.fuzz.run [--examples N] [--service NAME ...] [--seed S]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.local_runtime import ROOT, http, runtime_env, started, wait_for_state
from tests.support.services import service_names

CHECKS = "not_a_server_error,response_schema_conformance"
REPORTS = ROOT / "build" / "fuzz"


def sign_in(state: dict[str, object], local_dir: Path) -> str:
    """A new tenant's admin ID token (the README walkthrough, scripted)."""
    api = str(state["api_url"])
    ref = f"fuzz-{int(time.time() * 1000)}"
    status, _, provisioned = http("POST", f"{api}/tenants", {
        "name": "Fuzz Co", "plan": "starter", "admin_email": f"admin@{ref}.example",
        "external_ref": ref}, headers={"X-Operator-Key": str(state["operator_key"])})
    if status != 201:
        raise SystemExit(f"provisioning failed ({status}): {provisioned}")
    login = subprocess.run(
        [sys.executable, "-m", "infra.local.login", "--", f"admin@{ref}.example",
         provisioned["admin"]["temporary_password"]],
        cwd=ROOT, env=runtime_env(CRM_LOCAL_DIR=str(local_dir)), capture_output=True,
        text=True, timeout=60, check=False)
    if login.returncode != 0:
        raise SystemExit(f"sign-in failed: {login.stderr}")
    return login.stdout.strip()


def fuzz(service: str, api: str, token: str, examples: int, seed: int) -> int:
    """One schemathesis run; returns its exit status (0: no failure found)."""
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{api}/{service}/openapi.json",
        "--url", api, "--checks", CHECKS, "--max-examples", str(examples),
        "--seed", str(seed), "--generation-database", "none", "--workers", "1",
        "--phases", "examples,coverage,fuzzing", "--request-timeout", "30",
        "--header", f"Authorization: Bearer {token}", "--no-color",
        "--suppress-health-check", "all", "--warnings", "off",
        "--report", "junit", "--report-junit-path", str(REPORTS / f"{service}.xml"),
    ]
    print(f"--- fuzzing {service} ({examples} examples per operation)", flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="per operation")
    parser.add_argument("--service", action="append", help="default: every service")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    REPORTS.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, started(Path(tmp) / "crm") as running:
        process, output, state_path = running
        state = wait_for_state(process, output, state_path)
        token = sign_in(state, state_path.parent)
        for service in args.service or service_names():
            if fuzz(service, str(state["api_url"]), token, args.examples, args.seed) != 0:
                failed.append(service)
    if failed:
        print(f"fuzz: failures in {', '.join(failed)} (reports in {REPORTS})")
        return 1
    print("fuzz: no server error and no response off its schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
