"""`make run` end to end: the supervisor, moto server, a service host per service, the gateway.

Runs `python -m infra.local.run` as a real subprocess on free ports with its local.json in a
temporary directory, and talks to it only over HTTP and the login helper, as a developer or
a script would.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_runtime import (
    ROOT,
    Output,
    alive,
    free_port,
    http,
    runtime_env,
    started,
    wait_for_state,
)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Output, Path]]:
    with started(tmp_path / "crm") as running:
        yield running


def test_make_run_serves_logs_in_handles_events_and_stops_cleanly(runtime: Any) -> None:
    process, output, state_path = runtime
    state = wait_for_state(process, output, state_path)
    api = state["api_url"]
    for key in ("aws_endpoint_url", "region", "user_pool_id", "user_pool_client_id",
                "operator_key"):
        assert state[key], key
    for service in state["services"].values():
        assert http("GET", f"{service['url']}/__health")[0] == 200

    status, _, index = http("GET", f"{api}/")
    assert status == 200
    assert "/tenants" in index["services"]["platform"]["prefixes"]

    status, _, provisioned = http("POST", f"{api}/tenants", {
        "name": "Runtime Co", "plan": "starter", "admin_email": "admin@runtime-co.example",
        "external_ref": "runtime-co",
    }, headers={"X-Operator-Key": state["operator_key"]})
    assert status == 201, provisioned
    tenant_id = provisioned["tenant"]["tenant_id"]

    login = subprocess.run(
        [sys.executable, "-m", "infra.local.login", "--", "admin@runtime-co.example",
         provisioned["admin"]["temporary_password"]],
        cwd=ROOT, env=runtime_env(CRM_LOCAL_DIR=str(state_path.parent)), capture_output=True,
        text=True, timeout=30, check=False,
    )
    assert login.returncode == 0, login.stderr
    token = login.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token  # stdout is the ID token only

    status, headers, me = http("GET", f"{api}/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, me
    assert me["tenant_id"] == tenant_id
    assert me["email"] == "admin@runtime-co.example"
    assert headers.get("X-Correlation-Id")

    status, headers, problem = http("GET", f"{api}/no-such-thing/1")
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert set(problem) >= {"type", "title", "status", "detail", "code", "errors",
                            "correlation_id"}

    status, _, merged = http("GET", f"{api}/openapi.json")
    assert status == 200 and merged["openapi"].startswith("3.1")
    assert {"/me", "/tenants", "/contacts/{contact_id}"} <= set(merged["paths"])
    with urllib.request.urlopen(f"{api}/docs", timeout=30) as page:
        assert page.headers["Content-Type"].startswith("text/html")
        assert "/contacts/{contact_id}" in page.read().decode()

    output.wait_for(rf"platform \| handled TenantProvisioned evt_\S+ \(tenant {tenant_id}\)",
                    timeout=15)

    children = [int(pid) for pid in state["pids"].values()]
    assert children and all(alive(pid) for pid in children)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0, output.text()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)], output.text()


def test_a_busy_port_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "infra.local.run"], cwd=ROOT, capture_output=True,
            text=True, timeout=30, check=False,
            env=runtime_env(CRM_PORT=str(port), CRM_AWS_PORT=str(free_port()),
                            CRM_LOCAL_DIR=str(tmp_path)),
        )
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert f"port {port} is in use" in out and "CRM_PORT=" in out
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1
    assert not (tmp_path / "local.json").exists()
