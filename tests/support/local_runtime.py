"""Start `python -m infra.local.run` as a real subprocess and talk to it over HTTP.

Shared by the local-runtime flow test and `make bench` (end-to-end event delay). Plain
urllib on purpose: nothing here may be intercepted by in-process moto.
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0  # a loaded 2-core machine can take a while to start moto and the hosts


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


@contextmanager
def started(local_dir: Path) -> Iterator[tuple[subprocess.Popen[str], Output, Path]]:
    """`python -m infra.local.run` on free ports; killed with its group afterwards."""
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


