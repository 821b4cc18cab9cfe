"""The local edge: one port in front of every service host, routing by the first path segment.

The route table is not written down here: each service host answers ``GET /__routes`` with
the first segments of its own Chalice ``app.routes``, so the table follows the apps (one
public API surface, architecture §1). Errors the edge itself answers are problem+json, as
the cloud edge's gateway responses are.
"""

from __future__ import annotations

import html
import http.client
import json
import logging
import socket
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from crm_shared.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Problem,
    Unavailable,
)
from crm_shared.ids import new_id
from crm_shared.validation import MAX_BODY_BYTES

log = logging.getLogger("gateway")
PROXY_TIMEOUT_SECONDS = 60.0
#: Connection-scoped headers (RFC 9110 §7.6.1): never forwarded by a proxy.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"})
ROUTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_DRAIN_LIMIT_BYTES = 64 * MAX_BODY_BYTES  # read and drop at most this much of a refused body


class RouteConflict(RuntimeError):
    """Two services claim the same first path segment: the public API would be ambiguous."""


def service_prefixes(base_url: str, timeout: float = 5.0) -> list[str]:
    """The first path segments a service host serves, from its own ``GET /__routes``."""
    with urllib.request.urlopen(f"{base_url}/__routes", timeout=timeout) as response:
        prefixes = json.loads(response.read())
    return sorted(str(p) for p in prefixes)


def route_table(services: dict[str, str]) -> dict[str, str]:
    """``{first segment: service}`` built from every host's answer; refuses an overlap."""
    table: dict[str, str] = {}
    for service, url in sorted(services.items()):
        for prefix in service_prefixes(url):
            owner = table.setdefault(prefix, service)
            if owner != service:
                raise RouteConflict(f"/{prefix} is served by both {owner} and {service}")
    return table


class Gateway(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows the services (name -> base URL) and the route table."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], services: dict[str, str]) -> None:
        self.services = dict(services)
        self.routes = route_table(self.services)
        super().__init__(address, _Handler)

    def index(self) -> dict[str, Any]:
        by_service = {name: sorted(p for p, s in self.routes.items() if s == name)
                      for name in self.services}
        return {"services": {name: {"url": self.services[name],
                                    "prefixes": [f"/{p}" for p in prefixes]}
                             for name, prefixes in by_service.items()}}


    def openapi(self) -> dict[str, Any]:
        """Every service's /<service>/openapi.json merged into one document."""
        from crm_shared.openapi import merge

        documents = []
        for name, url in sorted(self.services.items()):
            with urllib.request.urlopen(f"{url}/{name}/openapi.json", timeout=30) as response:
                documents.append(json.loads(response.read()))
        return merge(documents)


def docs_page(doc: dict[str, Any]) -> str:
    """A self-contained HTML index of the merged document (no script, no CDN)."""
    rows: dict[str, list[str]] = {}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            def schema_name(part: dict[str, Any] | None) -> str:
                content = (part or {}).get("content", {})
                for media in content.values():
                    return str(media["schema"].get("$ref", "")).rsplit("/", 1)[-1]
                return ""
            ok = next((v for k, v in op["responses"].items() if k.startswith("2")), None)
            auth = ", ".join(k for s in op.get("security", []) for k in s) or "public"
            rows.setdefault(op.get("tags", ["other"])[0], []).append(
                f"<tr><td><b>{html.escape(method.upper())}</b></td><td><code>"
                f"{html.escape(path)}</code></td><td>{html.escape(op.get('summary', ''))}</td>"
                f"<td>{html.escape(schema_name(op.get('requestBody')))}</td>"
                f"<td>{html.escape(schema_name(ok))}</td><td>{html.escape(auth)}</td>"
                f"<td>{html.escape(', '.join(op.get('x-crm-roles', [])))}</td></tr>")
    sections = "".join(
        f"<h2 id='{html.escape(tag)}'>/{html.escape(tag)}</h2><table><tr><th>method</th>"
        "<th>path</th><th>summary</th><th>request</th><th>response</th><th>auth</th>"
        f"<th>roles</th></tr>{''.join(lines)}</table>" for tag, lines in sorted(rows.items()))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>CRM API</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>"
            "<h1>CRM API</h1><p>Every service behind this gateway. The full contract, with "
            "each request and response schema: <a href='/openapi.json'>/openapi.json</a>."
            f"</p>{sections}</body></html>")


class _Handler(BaseHTTPRequestHandler):
    server: Gateway
    server_version = "crm-local-gateway"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            body = json.dumps(self.server.index(), indent=2).encode()
            self._send(200, [("Content-Type", "application/json")], body)
        elif path in ("/openapi.json", "/docs"):
            try:
                merged = self.server.openapi()
            except (OSError, ValueError) as exc:
                self._problem(Unavailable(f"a service did not answer its document ({exc})",
                                          code="service_unavailable"), new_id("req"))
                return
            if path == "/docs":
                self._send(200, [("Content-Type", "text/html; charset=utf-8")],
                           docs_page(merged).encode())
            else:
                self._send(200, [("Content-Type", "application/json")],
                           json.dumps(merged).encode())
        else:
            self._proxy()

    def _proxy(self) -> None:
        started = time.monotonic()
        correlation_id = self.headers.get("X-Correlation-Id") or new_id("req")
        first = urlsplit(self.path).path.lstrip("/").split("/", 1)[0]
        service = self.server.routes.get(first)
        if service is None:
            self._problem(NotFound(f"no service serves /{first}", code="no_route"), correlation_id)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or ("Content-Length" not in self.headers
                          and "chunked" in self.headers.get("Transfer-Encoding", "").lower()):
            self.close_connection = True
            self._problem(BadRequest("send a valid Content-Length (no chunked bodies locally)"),
                          correlation_id)
            return
        if length > MAX_BODY_BYTES:
            self._problem(PayloadTooLarge(f"the body exceeds {MAX_BODY_BYTES} bytes"),
                          correlation_id)
            self._drain(length)
            return
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Correlation-Id"] = correlation_id
        headers["X-Forwarded-For"] = self.client_address[0]
        target = urlsplit(self.server.services[service])
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port,
                                                timeout=PROXY_TIMEOUT_SECONDS)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._problem(Unavailable(f"the {service} service is not answering ({exc})",
                                      code="service_unavailable"), correlation_id)
            return
        finally:
            connection.close()
        out = [(k, v) for k, v in response.getheaders()
               if k.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}]
        self._send(response.status, out, payload)
        log.info("%s %s -> %s %d (%.0f ms)", self.command, self.path, service, response.status,
                 (time.monotonic() - started) * 1000)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _proxy

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, CONNECT, ...) is a 405 problem, not http.server's 501
        HTML page: API Gateway serves only the methods a route declares."""
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        problem = MethodNotAllowed(f"{self.command} is not supported")
        problem.headers = {"Allow": ", ".join(ROUTED_METHODS)}
        self._problem(problem, self.headers.get("X-Correlation-Id") or new_id("req"))

    def _problem(self, problem: Problem, correlation_id: str) -> None:
        body = json.dumps(problem.body(correlation_id)).encode()
        headers = [("Content-Type", "application/problem+json"),
                   ("X-Correlation-Id", correlation_id), *problem.headers.items()]
        self._send(problem.status, headers, body)
        log.info("%s %s -> %d %s", self.command, self.path, problem.status, problem.code)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain(self, length: int) -> None:
        """Swallow (up to a cap) a refused body, so that the client reads our 413, not a reset."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(2.0)
            left = min(length, _DRAIN_LIMIT_BYTES)
            while left > 0 and (chunk := self.rfile.read1(min(left, 65536))):
                left -= len(chunk)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: _proxy() and _problem() log one line per request themselves."""


def serve(port: int, services: dict[str, str], host: str = "127.0.0.1") -> Gateway:
    """Build the gateway bound to ``host:port`` (serve_forever() is the caller's to run)."""
    return Gateway((host, port), services)
