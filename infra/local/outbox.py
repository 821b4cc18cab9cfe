"""``python -m infra.local.outbox``: the emails the local runtime "sent", as moto keeps them.

SES on moto delivers nothing: it keeps every accepted message. This reads them from the
running moto server (the endpoint ``make run`` wrote into its state file: its own
``/_crm/ses/messages``, or ``/moto-api/data.json`` of a plain moto server) and prints
each one's sender, recipients, subject and its tracking links
(``/t/o`` open pixel, ``/t/c`` clicks, ``/t/u`` unsubscribe), so opening or clicking a
campaign can be tried by hand with curl or a browser.

    python -m infra.local.outbox                   # every message
    python -m infra.local.outbox --to ada@example.com --last 5
    python -m infra.local.outbox --json            # for scripts
"""

from __future__ import annotations

import argparse
import email
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from email.message import Message
from typing import Any

OUTBOX_PATH = "/_crm/ses/messages"  # served by infra.local.aws_server (make run)
TRACK = re.compile(r"https?://[^\s\"'<>]+/t/([ocu])/[A-Za-z0-9_-]+")
KINDS = {"o": "open", "c": "click", "u": "unsubscribe"}


@dataclass
class Sent:
    message_id: str
    sender: str
    to: list[str]
    subject: str
    text: str = ""
    links: dict[str, list[str]] = field(default_factory=dict)


def _bodies(message: Message) -> tuple[str, str]:
    text = html = ""
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        decoded = payload.decode(part.get_content_charset() or "utf-8", "replace") if isinstance(
            payload, bytes) else str(payload or "")
        if part.get_content_type() == "text/html":
            html += decoded
        else:
            text += decoded
    return text, html


def links_in(*bodies: str) -> dict[str, list[str]]:
    """Tracking links by kind (open, click, unsubscribe), each once, in order."""
    found: dict[str, list[str]] = {}
    for body in bodies:
        for match in TRACK.finditer(body):
            urls = found.setdefault(KINDS[match.group(1)], [])
            if match.group(0) not in urls:
                urls.append(match.group(0))
    return found


def messages_from(data: dict[str, Any]) -> list[Sent]:
    """The SES messages in moto's model dump (raw ones parsed with the email package)."""
    ses = data.get("ses") or {}
    found: list[Sent] = []
    for raw in ses.get("RawMessage") or []:
        message = email.message_from_string(str(raw.get("raw_data") or ""))
        text, html = _bodies(message)
        # moto lists Destinations and the To header alike: each address once
        to = list(dict.fromkeys(raw.get("destinations") or [])) or [str(message.get("To"))]
        found.append(Sent(str(raw.get("id")), str(raw.get("source") or message.get("From")),
                          to, str(message.get("Subject") or ""), text.strip(),
                          links_in(html, text, str(message.get("List-Unsubscribe") or ""))))
    for plain in ses.get("Message") or []:
        destinations = plain.get("destinations") or {}
        to = [a for key in ("ToAddresses", "CcAddresses", "BccAddresses")
              for a in destinations.get(key, [])]
        body = str(plain.get("body") or "")
        found.append(Sent(str(plain.get("id")), str(plain.get("source")), to,
                          str(plain.get("subject") or ""), body, links_in(body)))
    return found


def fetch(endpoint: str) -> dict[str, Any]:
    """The SES part of the moto server's state: the local runtime's own light route
    (infra.local.aws_server), else moto's dump of every model (any plain moto server)."""
    base = endpoint.rstrip("/")
    try:
        with urllib.request.urlopen(base + OUTBOX_PATH, timeout=60) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError:
        with urllib.request.urlopen(f"{base}/moto-api/data.json", timeout=120) as response:
            data = json.loads(response.read())
    return data if isinstance(data, dict) else {}


def show(messages: list[Sent]) -> str:
    lines = []
    for sent in messages:
        lines.append(f"{sent.message_id}  {sent.sender} -> {', '.join(sent.to)}")
        lines.append(f"  subject: {sent.subject}")
        for kind, urls in sent.links.items():
            for url in urls:
                lines.append(f"  {kind:<11} {url}")
    return "\n".join(lines) if lines else "no messages sent yet"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.outbox",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", help="the moto server (default: make run's)")
    parser.add_argument("--to", help="only messages to this address")
    parser.add_argument("--last", type=int, default=0, help="only the last N messages")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    endpoint = args.endpoint
    if endpoint is None:
        from infra.local.run import read_state, state_file

        state = read_state()
        if state is None:
            print(f"no {state_file()}: start the local runtime first (make run)",
                  file=sys.stderr)
            return 1
        endpoint = str(state["aws_endpoint_url"])
    try:
        messages = messages_from(fetch(endpoint))
    except OSError as exc:
        print(f"cannot read the outbox from {endpoint} (is `make run` running?): {exc}",
              file=sys.stderr)
        return 1
    if args.to:
        wanted = args.to.strip().lower()
        messages = [m for m in messages if any(wanted in a.lower() for a in m.to)]
    if args.last > 0:
        messages = messages[-args.last:]
    print(json.dumps([asdict(m) for m in messages], indent=2) if args.json else show(messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
