"""Reading an inbound email in plain Python: no AWS, no DynamoDB.

Python's `email` package (policy.default) decodes the MIME tree: charsets, quoted-printable
and base64 parts, RFC 2047 headers. This module decides what the service needs from it:
who sent it, to which tenant, which ticket it answers, the text and the attachments.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

MAX_BYTES = 10 * 1024 * 1024
MAX_SUBJECT = 300
MAX_TEXT = 20_000
MAX_ATTACHMENTS = 10
# support+<tenant id>@<any domain>: the tenant's inbound address, no setup needed
TENANT_ADDRESS = re.compile(r"^[a-z0-9._-]+\+(ten_[0-9a-hjkmnp-tv-z]{26})@[a-z0-9.-]+$", re.I)
TICKET_REF = re.compile(r"\[#(tkt_[0-9A-HJKMNP-TV-Z]{26})\]", re.I)
RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "x-forwarded-to")
RECEIVED_FOR = re.compile(r"\bfor\s+<?([^\s<>;]+@[^\s<>;]+)>?", re.I)


class Unreadable(Exception):
    """The message cannot become a ticket; `reason` says why (kept on the quarantine)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Mail:
    """What the service takes from a message."""

    message_id: str
    sender: str
    sender_name: str | None
    subject: str
    text: str
    recipients: list[str]
    references: list[str]
    attachments: list[Attachment] = field(default_factory=list)
    dropped_attachments: int = 0


def parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def recipients(msg: EmailMessage) -> list[str]:
    """Every address the message was delivered to (headers and Received `for`), lowercased."""
    found: list[str] = []
    try:
        values = [str(v) for name in RECIPIENT_HEADERS for v in msg.get_all(name) or []]
        found += [a for _, a in getaddresses(values) if "@" in a]
        found += [m for v in msg.get_all("received") or [] for m in RECEIVED_FOR.findall(str(v))]
    except (ValueError, TypeError, IndexError):
        pass  # a broken header names no recipient; the others still count
    return list(dict.fromkeys(a.strip().lower() for a in found))


def tenant_of(addresses: list[str]) -> str | None:
    """The tenant id of the first `support+<tenant id>@...` address (ULID upper-cased)."""
    for address in addresses:
        match = TENANT_ADDRESS.match(address)
        if match:
            return "ten_" + match.group(1)[4:].upper()
    return None


def message_key(msg: EmailMessage, raw: bytes) -> str:
    """A stable id of the message: its Message-ID, else a hash of its bytes."""
    value = str(msg.get("message-id") or "").strip()
    return value if value else "sha256:" + hashlib.sha256(raw).hexdigest()


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:40]


def ticket_ref(subject: str) -> str | None:
    match = TICKET_REF.search(subject or "")
    return "tkt_" + match.group(1)[4:].upper() if match else None


def references(msg: EmailMessage) -> list[str]:
    """Message-IDs this one answers, the nearest first (In-Reply-To, then References
    newest first), at most ten."""
    ids: list[str] = []
    for name in ("in-reply-to", "references"):
        values = re.findall(r"<[^<>\s]+>", str(msg.get(name) or ""))
        ids += values if name == "in-reply-to" else list(reversed(values))
    return list(dict.fromkeys(ids))[:10]


def read(raw: bytes) -> Mail:
    """The parts of a message the service keeps; `Unreadable` when it cannot be a ticket."""
    if len(raw) > MAX_BYTES:
        raise Unreadable("too_large", f"{len(raw)} bytes, at most {MAX_BYTES}")
    if not raw.strip():
        raise Unreadable("malformed", "the message is empty")
    msg = parse(raw)
    sender, name = _sender(msg)
    try:
        subject = " ".join(str(msg.get("subject") or "").split())
        text = body_text(msg)
        attachments, dropped = _attachments(msg)
    except (LookupError, ValueError, UnicodeError, AttributeError, TypeError) as exc:
        raise Unreadable("malformed", f"cannot decode the message: {exc}") from None
    return Mail(message_id=message_key(msg, raw), sender=sender, sender_name=name,
                subject=subject[:MAX_SUBJECT] or "(no subject)", text=text[:MAX_TEXT],
                recipients=recipients(msg), references=references(msg),
                attachments=attachments, dropped_attachments=dropped)


def _sender(msg: EmailMessage) -> tuple[str, str | None]:
    try:
        header = msg.get("from")  # not Reply-To: the sender is who the ticket belongs to
        addresses: tuple[Address, ...] = header.addresses if header is not None else ()
    except (AttributeError, IndexError, ValueError, TypeError):
        addresses = ()
    for address in addresses:
        email = (address.addr_spec or "").strip().lower()
        if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            return email, (address.display_name or None)
    raise Unreadable("malformed", "no sender address (From)")


def body_text(msg: EmailMessage) -> str:
    """The plain-text part, else the HTML part as text, else empty."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def _attachments(msg: EmailMessage) -> tuple[list[Attachment], int]:
    found: list[Attachment] = []
    dropped = 0
    for part in msg.iter_attachments():
        if not isinstance(part, EmailMessage) or part.is_multipart():
            continue
        if len(found) >= MAX_ATTACHMENTS:
            dropped += 1
            continue
        content = part.get_content()
        data = content.encode() if isinstance(content, str) else content
        if not isinstance(data, bytes):  # an attached message (message/rfc822)
            data = bytes(part.get_payload(decode=True) or b"")
        found.append(Attachment(safe_name(part.get_filename() or f"part-{len(found) + 1}"),
                                part.get_content_type(), data))
    return found, dropped


def safe_name(filename: str) -> str:
    """A file name fit for an S3 key: no path, no control or odd characters, bounded."""
    base = re.split(r"[\\/]", filename)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "attachment"
    return cleaned[-100:]


class _TextOf(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                       "blockquote", "pre", "table", "ul", "ol"})
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: tags, scripts and styles gone, blocks on lines."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(html.unescape(line).split()) for line in "".join(parser.chunks).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
