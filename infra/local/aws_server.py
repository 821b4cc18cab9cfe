"""The embedded AWS of `make run`: moto server, with DynamoDB's atomicity.

moto serves each request on its own thread and its DynamoDB backend checks a condition
and applies the write as two steps, so two concurrent conditional writes can both pass:
a lost update real DynamoDB never allows. Every DynamoDB request is therefore served one
at a time; other services (an SQS long poll, say) stay concurrent.

    python -m infra.local.aws_server -H 127.0.0.1 -p 4566
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from infra.local.moto_patches import apply_all

DYNAMODB_TARGETS = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")
OUTBOX_PATH = "/_crm/ses/messages"  # python -m infra.local.outbox reads it

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialize_dynamodb(app: WsgiApp) -> WsgiApp:
    """Run DynamoDB requests under one lock, the response body included."""
    lock = threading.Lock()

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(DYNAMODB_TARGETS):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))

    return wrapped


def ses_messages() -> dict[str, Any]:
    """Every email SES accepted, in the shape of moto's /moto-api/data.json `ses` part,
    without dumping every other model (a long local session makes that dump huge)."""
    from moto.ses.models import RawMessage, ses_backends

    raw: list[dict[str, Any]] = []
    plain: list[dict[str, Any]] = []
    for account in list(ses_backends):
        for region in list(ses_backends[account]):
            for sent in list(ses_backends[account][region].sent_messages):
                if isinstance(sent, RawMessage):
                    raw.append({"id": sent.id, "source": sent.source,
                                "destinations": list(sent.destinations),
                                "raw_data": sent.raw_data})
                else:
                    plain.append({"id": sent.id, "source": sent.source,
                                  "subject": sent.subject, "body": sent.body,
                                  "destinations": sent.destinations})
    return {"ses": {"RawMessage": raw, "Message": plain}}


def serve_outbox(app: WsgiApp) -> WsgiApp:
    """Answer GET OUTBOX_PATH with `ses_messages()`; everything else goes to moto."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != OUTBOX_PATH or environ.get("REQUEST_METHOD") != "GET":
            return app(environ, start_response)
        body = json.dumps(ses_messages()).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    return wrapped


def _errors_only(record: logging.LogRecord) -> bool:
    """Keep werkzeug's access-log lines of 5xx answers only (`make run` shows no others,
    and formatting one line per AWS call cost the server a tenth of its time)."""
    args = record.args if isinstance(record.args, tuple) else ()
    return not (len(args) == 3 and str(getattr(args[1], "value", args[1]))[:1] in "234")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # moto's costs that grow with the data (infra/local/moto_patches.py): the Maven demo's
    # thousands of deals and events made each call walk tables and queues
    apply_all()
    if os.environ.get("CRM_AWS_ACCESS_LOG") != "1":
        logging.getLogger("werkzeug").addFilter(_errors_only)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, serve_outbox(serialize_dynamodb(app)), threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
