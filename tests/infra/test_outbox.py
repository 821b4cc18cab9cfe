"""The local SES outbox: what a real moto server kept, read over its HTTP API."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from infra.local import outbox


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def send(url: str, to: str, subject: str) -> None:
    ses = boto3.client("ses", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    ses.verify_email_identity(EmailAddress="news@brand.example")
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, "news@brand.example", to
    message["List-Unsubscribe"] = "<http://127.0.0.1:8000/t/u/UUU>"
    message.set_content("Hello")
    message.add_alternative('<p><a href="http://127.0.0.1:8000/t/c/CCC">offer</a>'
                            '<img src="http://127.0.0.1:8000/t/o/OOO"></p>', subtype="html")
    ses.send_raw_email(Source="news@brand.example", Destinations=[to],
                       RawMessage={"Data": message.as_bytes()})


def test_the_outbox_lists_subject_recipient_and_tracking_links(
        endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert outbox.main(["--endpoint", endpoint]) == 0
    assert "no messages sent yet" in capsys.readouterr().out
    send(endpoint, "ada@example.com", "Hi Ada")
    send(endpoint, "bob@example.com", "Hi Bob")

    assert outbox.main(["--endpoint", endpoint, "--to", "ADA@example.com"]) == 0
    out = capsys.readouterr().out
    assert "news@brand.example -> ada@example.com" in out and "subject: Hi Ada" in out
    assert "Bob" not in out
    assert "click       http://127.0.0.1:8000/t/c/CCC" in out
    assert "open        http://127.0.0.1:8000/t/o/OOO" in out
    assert "unsubscribe http://127.0.0.1:8000/t/u/UUU" in out

    assert outbox.main(["--endpoint", endpoint, "--json", "--last", "1"]) == 0
    [last] = json.loads(capsys.readouterr().out)
    assert last["to"] == ["bob@example.com"] and last["subject"] == "Hi Bob"
    assert last["links"]["click"] == ["http://127.0.0.1:8000/t/c/CCC"]


def test_an_unreachable_server_is_a_readable_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert outbox.main(["--endpoint", "http://127.0.0.1:9"]) == 1
    assert "is `make run` running?" in capsys.readouterr().err


def test_the_local_aws_server_serves_only_the_ses_part() -> None:
    """make run's moto answers the outbox route itself (moto's full dump grows with every
    model of a long session); the CLI reads the same shape from either."""
    from werkzeug.test import Client

    from infra.local import aws_server

    def moto(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise AssertionError("the outbox route never reaches moto")

    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="news@brand.example")
        ses.send_raw_email(Source="news@brand.example", Destinations=["cy@example.com"],
                           RawMessage={"Data": b"Subject: Hi Cy\r\nTo: cy@example.com\r\n\r\n"
                                                b'<a href="http://x/t/c/T1">go</a>'})
        reply = Client(aws_server.serve_outbox(moto)).get(aws_server.OUTBOX_PATH)
    assert reply.status_code == 200
    [sent] = outbox.messages_from(reply.get_json())
    assert (sent.to, sent.subject, sent.links) == (["cy@example.com"], "Hi Cy",
                                                   {"click": ["http://x/t/c/T1"]})
