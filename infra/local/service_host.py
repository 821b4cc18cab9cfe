"""Host ONE service in its own process, as Lambda gives each service its own functions.

Every service is a module ``app`` with a package ``chalicelib``: two in one interpreter
collide in ``sys.modules`` (architecture §10), hence one process per service. This process
serves the app's routes through Chalice's ``LocalGateway`` (via ``crm_shared.http``) and
runs the app's event sources with ``ServiceRuntime``: stream -> outbox relay, queue ->
consumer, schedules. Started by ``infra.local.run``; by hand::

    python -m infra.local.service_host platform --port 8101

with the environment ``run`` gives it (see ``infra.local.run.service_environment``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
RESOURCES_ENV = "CRM_LOCAL_SERVICE_RESOURCES"
STREAM_EVERY_SECONDS = 0.2
QUEUE_WAIT_SECONDS = 1
RETRY_DELAY_SECONDS = 2
ERROR_PAUSE_SECONDS = 1.0

log = logging.getLogger("service_host")


class Container:
    """One invocation at a time, as in a Lambda container, with API requests served first.

    On AWS a request never queues behind a queue batch: they run in other containers. Here
    they share one, so a plain Lock (not FIFO, and re-taken at once by a busy poller) would
    starve the API while a backlog drains; instead a poller waits while a request does.
    """

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._busy = False
        self._requests_waiting = 0

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._turn:
            self._requests_waiting += 1
            self._turn.wait_for(lambda: not self._busy)
            self._requests_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            self._leave()

    @contextmanager
    def invocation(self) -> Iterator[None]:
        with self._turn:
            self._turn.wait_for(lambda: not self._busy and not self._requests_waiting)
            self._busy = True
        try:
            yield
        finally:
            self._leave()

    def _leave(self) -> None:
        with self._turn:
            self._busy = False
            self._turn.notify_all()


def load_service(service: str) -> ModuleType:
    """Import services/<service>/app.py as ``app``, the way Lambda imports its handler."""
    service_dir = REPO_ROOT / "services" / service
    if not (service_dir / "app.py").is_file():
        raise SystemExit(f"no service {service!r}: services/{service}/app.py does not exist")
    sys.path.insert(0, str(service_dir))
    return importlib.import_module("app")


def first_segments(app: Any) -> list[str]:
    """The first path segments of the app's routes: what the gateway routes to this host."""
    segments = {path.strip("/").split("/", 1)[0] for path in app.routes}
    return sorted(s for s in segments if s and not s.startswith("{"))


def _describe_sqs(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(detail-type, event id, tenant id) of each SQS record carrying a bus event."""
    found = []
    for record in records:
        try:
            event = json.loads(record["body"])
            meta = (event.get("detail") or {}).get("metadata") or {}
            found.append((str(event.get("detail-type", "?")), str(meta.get("event_id", "?")),
                          str(meta.get("tenant_id", "?"))))
        except (ValueError, KeyError, TypeError, AttributeError):
            found.append(("unreadable", record.get("messageId", "?"), "?"))
    return found


def _describe_outbox(records: list[dict[str, Any]]) -> list[str]:
    """'DetailType evt_...' of each outbox INSERT among stream records."""
    from crm_shared.events.outbox import OUTBOX_SK

    found = []
    for record in records:
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if record.get("eventName") != "INSERT" or image.get("SK", {}).get("S") != OUTBOX_SK:
            continue
        try:
            event_id = json.loads(image["detail"]["S"])["metadata"]["event_id"]
        except (ValueError, KeyError, TypeError):
            event_id = "?"
        found.append(f"{image.get('detail_type', {}).get('S', '?')} {event_id}")
    return found


def make_runtime(module: ModuleType, container: Container) -> Any:
    """A ServiceRuntime whose invocations are serialized with HTTP requests and logged.

    One invocation at a time, like a Lambda container: Chalice keeps ``current_request`` on
    the app object and powertools keeps log keys on a shared logger, neither per thread.
    """
    import boto3

    from infra.local.lambda_runtime import ServiceRuntime

    class HostedRuntime(ServiceRuntime):
        def _handler(self, name: str) -> Any:
            handler = super()._handler(name)

            def invoke(event: dict[str, Any], context: Any) -> Any:
                records = event.get("Records") or []
                with container.invocation():
                    try:
                        result = handler(event, context)
                    except Exception:
                        log.exception("%s crashed; its batch will be retried", name)
                        raise
                _report(name, records, result or {})
                return result

            return invoke

    resources = json.loads(os.environ.get(RESOURCES_ENV) or "{}")
    endpoint = os.environ.get("CRM_AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or "us-east-1"
    return HostedRuntime(module, resources, boto3.session.Session(region_name=region), endpoint,
                         retry_delay=RETRY_DELAY_SECONDS)


def _report(name: str, records: list[dict[str, Any]], result: dict[str, Any]) -> None:
    failed = {f.get("itemIdentifier") for f in result.get("batchItemFailures") or []}
    if name == "handle_events":
        for record, (detail_type, event_id, tenant_id) in zip(
            records, _describe_sqs(records), strict=True
        ):
            if record.get("messageId") in failed:
                log.warning("FAILED %s %s (tenant %s); redelivery in ~%d s", detail_type,
                            event_id, tenant_id, RETRY_DELAY_SECONDS)
            else:
                log.info("handled %s %s (tenant %s)", detail_type, event_id, tenant_id)
    elif name == "publish_outbox":
        published = _describe_outbox(records)
        if failed:
            log.warning("outbox relay reported a failure; the stream will retry")
        elif published:
            log.info("published %s", ", ".join(published))
    else:
        log.info("ran schedule %s", name)


def _loop(name: str, step: Callable[[], Any], every: float, stop: threading.Event) -> None:
    """Run ``step`` until stopped: an exception is logged with its traceback, the loop goes on."""
    while not stop.is_set():
        try:
            step()
        except Exception:
            log.exception("%s failed; trying again", name)
            stop.wait(ERROR_PAUSE_SECONDS)
        stop.wait(every)


def start_loops(runtime: Any, stop: threading.Event) -> list[threading.Thread]:
    """Background threads for the event sources this app actually declares."""
    schedule_seconds = float(os.environ.get("CRM_SCHEDULE_SECONDS") or 60)

    def ticks() -> None:
        while not stop.wait(schedule_seconds):
            try:
                runtime.tick()
            except Exception:
                log.exception("a scheduled function failed; next tick in %.0f s",
                              schedule_seconds)

    loops: list[tuple[str, Callable[[], None]]] = []
    missing = [key for key, wanted in (("table_stream_arn", runtime.has_stream),
                                       ("queue_url", runtime.has_queue))
               if wanted and not runtime.resources.get(key)]
    if missing:  # a service without resources.yaml: serve its routes, say why events stay put
        log.warning("no %s for this service: its event loops are off", " or ".join(missing))
        return []
    if runtime.has_stream:
        loops.append(("stream", lambda: _loop("pump_stream", runtime.pump_stream,
                                              STREAM_EVERY_SECONDS, stop)))
    if runtime.has_queue:
        loops.append(("queue", lambda: _loop(
            "pump_queue", lambda: runtime.pump_queue(QUEUE_WAIT_SECONDS), 0.0, stop)))
    if runtime.schedules:
        loops.append(("schedules", ticks))
    threads = [threading.Thread(target=target, name=name, daemon=True) for name, target in loops]
    for thread in threads:
        thread.start()
    return threads


class ServiceServer(ThreadingHTTPServer):
    """Serves one app's routes plus ``/__health`` and ``/__routes``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], service: str, app: Any,
                 container: Container, listening_fd: int | None = None) -> None:
        from chalice.config import Config
        from chalice.local import LocalGateway

        self.service = service
        self.app = app
        self.container = container
        self.gateway = LocalGateway(app, Config())
        super().__init__(address, _Handler, bind_and_activate=listening_fd is None)
        if listening_fd is not None:  # the supervisor bound and listens already: no port race
            self.socket.close()
            self.socket = socket.socket(fileno=listening_fd)
            self.server_address = self.socket.getsockname()


class _Handler(BaseHTTPRequestHandler):
    server: ServiceServer

    def _serve(self) -> None:
        from crm_shared.http import handle_local
        from crm_shared.validation import MAX_BODY_BYTES

        if self.command == "GET" and self.path in ("/__health", "/__routes"):
            answer: Any = (first_segments(self.server.app) if self.path == "/__routes"
                           else {"status": "ok", "service": self.server.service,
                                 "pid": os.getpid()})
            self._send(200, {"Content-Type": "application/json"}, json.dumps(answer).encode())
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:  # let handle_local answer its 413 without reading it all
            self.close_connection = True
            body = b" " * (MAX_BODY_BYTES + 1)
        else:
            body = self.rfile.read(length) if length > 0 else b""
        headers = dict(self.headers.items())
        with self.server.container.request():
            status, out_headers, payload = handle_local(
                self.server.app, self.server.gateway, self.command, self.path, headers, body
            )
        self._send(status, out_headers, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the app's middleware logs every request already."""


class _Formatter(logging.Formatter):
    """Plain INFO lines (the supervisor prefixes the service name); others say their level."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno == logging.INFO and record.name == log.name:
            return text
        return f"{record.levelname} {record.name}: {text}"


def _watch_parent(stop: Callable[[], None]) -> None:
    """Exit when the supervisor is gone (even SIGKILLed), so no host outlives it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        log.warning("the supervisor (pid %d) is gone; stopping", parent)
        stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Host one CRM service locally.")
    parser.add_argument("service")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--fd", type=int, help="an inherited socket already listening on --port")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    log.setLevel(logging.INFO)

    module = load_service(args.service)
    container = Container()
    stop = threading.Event()
    server = ServiceServer((args.host, args.port), args.service, module.app, container, args.fd)
    runtime = make_runtime(module, container)
    threads = start_loops(runtime, stop)

    def shutdown() -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        shutdown()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _watch_parent(shutdown)
    log.info("serving %s on http://%s:%d (routes: %s; event loops: %s)", args.service,
             args.host, args.port, " ".join(f"/{s}" for s in first_segments(module.app)),
             ", ".join(t.name for t in threads) or "none")
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    for thread in threads:
        thread.join(timeout=QUEUE_WAIT_SECONDS + 2)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
