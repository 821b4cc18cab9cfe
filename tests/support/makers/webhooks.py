"""Makers for /webhooks path parameters, and a real loopback HTTP receiver for deliveries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.support.client import ApiClient, Tenant, Tenants

if TYPE_CHECKING:  # entities imports this module to collect its makers
    from tests.support.entities import Maker

# Nothing listens on the discard port: a maker's webhook never reaches anyone.
NOWHERE = "http://127.0.0.1:9/hook"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An http.server on a free loopback port that records every POST and answers with
    the next status of `answers` (then `default`)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    default: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else self.default

    def of_event(self, event_id: str) -> list[Received]:
        return [r for r in self.received if r.headers.get("X-CRM-Event-Id") == event_id]


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = state.next_status()
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _webhook(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """The tenant's first webhook (made once), so `delivery_id` belongs to `webhook_id`."""
    hooks = clients["platform"].get("/webhooks", token=tenant.admin_token).json["items"]
    if hooks:
        return str(hooks[0]["webhook_id"])
    reply = clients["platform"].post("/webhooks", {
        "url": NOWHERE, "event_types": ["ContractRenewed"]}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["webhook_id"])


def _delivery(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    webhook_id = _webhook(clients, tenants, tenant)
    reply = clients["platform"].post(f"/webhooks/{webhook_id}/ping", token=tenant.admin_token)
    assert reply.status == 202, reply.json
    return str(reply.json["delivery_id"])


MAKERS: dict[str, Maker] = {"webhook_id": _webhook, "delivery_id": _delivery}
