"""`make run` end to end: the supervisor, moto server, a service host per service, the gateway.

Runs `python -m infra.local.run` as a real subprocess on free ports with its local.json in a
temporary directory, and talks to it only over HTTP and the login helper, as a developer or
a script would. Plain urllib on purpose: nothing here may be intercepted by in-process moto.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 45.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def runtime_env(**extra: str) -> dict[str, str]:
    """Our environment without the test suite's CRM_/AWS_/POWERTOOLS_ settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CRM_", "AWS_", "POWERTOOLS_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


class Output:
    """Collects a process's output lines in the background, so the test can wait for one."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> str:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n"
                                         + self.text())
                self._changed.wait(left)

    def text(self) -> str:
        return "\n".join(self.lines[-80:])


def http(method: str, url: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, out, raw = response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        status, out, raw = exc.code, dict(exc.headers.items()), exc.read()
    return status, out, (json.loads(raw) if raw else None)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; only its parent's wait() is missing
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Output, Path]]:
    """`python -m infra.local.run` on free ports; killed with its group if a test fails."""
    local_dir = tmp_path / "crm"
    env = runtime_env(CRM_PORT=str(free_port()), CRM_AWS_PORT=str(free_port()),
                      CRM_LOCAL_DIR=str(local_dir))
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.run"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    state_path = local_dir / "local.json"
    try:
        yield process, Output(process), state_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if state_path.is_file():  # children have their own groups: reap them by pid too
            for pid in json.loads(state_path.read_text()).get("pids", {}).values():
                if alive(int(pid)):
                    os.kill(int(pid), signal.SIGKILL)


def wait_for_state(process: subprocess.Popen[str], output: Output, path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while not path.is_file():
        assert process.poll() is None, f"the runtime exited early:\n{output.text()}"
        assert time.monotonic() < deadline, f"no {path} after {START_TIMEOUT} s:\n{output.text()}"
        time.sleep(0.1)
    return dict(json.loads(path.read_text()))


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
        [sys.executable, "-m", "infra.local.login", "admin@runtime-co.example",
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
