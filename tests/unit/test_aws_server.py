"""The embedded AWS logs the AWS calls that failed on its side, not every call."""

from __future__ import annotations

import logging
from http import HTTPStatus

from infra.local.aws_server import _errors_only


def _access(code: object) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s %s',
                             ('POST / HTTP/1.1', code, "-"), None)


def test_only_server_errors_of_the_access_log_are_kept() -> None:
    assert not _errors_only(_access("200"))
    assert not _errors_only(_access(HTTPStatus.BAD_REQUEST))
    assert _errors_only(_access("500"))
    assert _errors_only(_access(HTTPStatus.SERVICE_UNAVAILABLE))


def test_other_messages_are_kept() -> None:
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "Running on %s",
                               ("http://127.0.0.1:4566",), None)
    assert _errors_only(record)
