"""Build the message a recipient gets: rendered, links tracked, unsubscribe headers.

Every http(s) link of the rendered HTML becomes `/t/c/<token>` naming the link's index in
the send record, so a click can only ever redirect to a URL that was in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from typing import Any

from chalicelib.config import public_api_url
from chalicelib.templates import logic as templates
from chalicelib.templates.models import TemplateItem
from chalicelib.tracking import tokens

LINK = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)


@dataclass
class Composed:
    subject: str | None
    html: str | None
    text: str | None
    links: list[str]
    unsubscribe_url: str | None


def track_url(kind: str, ref: tokens.Ref) -> str:
    return f"{public_api_url()}/t/{kind}/{tokens.make(kind, ref)}"


def compose(template: TemplateItem, context: dict[str, Any], ref: tokens.Ref | None,
            marketing: bool) -> Composed:
    """Render the template for one recipient; tracked when `ref` names its send record."""
    unsubscribe = track_url("u", ref) if ref is not None and marketing else None
    rendered = templates.render_all(template, {**context, "unsubscribe_url": unsubscribe or ""})
    html, links = rendered["html"], []
    if html and ref is not None:
        def tracked(match: re.Match[str]) -> str:
            url = match.group(1).replace("&amp;", "&")
            if url == unsubscribe:
                return match.group(0)
            links.append(url)
            link_ref = tokens.Ref(ref.tenant_id, ref.send_pk, ref.send_sk, len(links) - 1)
            return f'href="{track_url("c", link_ref)}"'

        html = LINK.sub(tracked, html)
        pixel = f'<img src="{track_url("o", ref)}" width="1" height="1" alt="">'
        html = html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel
    return Composed(rendered["subject"], html, rendered["text"], links, unsubscribe)


def mime(composed: Composed, sender_email: str, sender_name: str | None, to: str) -> bytes:
    """The raw email, with one-click unsubscribe headers (RFC 8058) on marketing mail."""
    # long lines instead of folding: a folded List-Unsubscribe URL gets RFC 2047-encoded
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    message["Subject"] = composed.subject or ""
    message["From"] = formataddr((sender_name or "", sender_email))
    message["To"] = to
    if composed.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{composed.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(composed.text or "")
    if composed.html:
        message.add_alternative(composed.html, subtype="html")
    return message.as_bytes()
