"""Public tracking routes: the open pixel, click redirects and one-click unsubscribe.

Loaded with the app (not lazily): one-click unsubscribe (RFC 8058) is a form POST, and only
an eagerly registered route can accept that content type. The handlers import their logic
on first use, so the API's cold start pays for this module only.
"""

from __future__ import annotations

import base64

from chalicelib import SERVICE
from crm_shared.http import AUTH_PUBLIC, ApiRequest, RawReply, ServiceApi

api = ServiceApi(SERVICE, "tracking")
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private"}
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
              "application/json"]
PAGE = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
        "<body><p>{text}</p>{form}</body></html>")


def _page(title: str, text: str, form: str = "") -> RawReply:
    return RawReply(PAGE.format(title=title, text=text, form=form), "text/html; charset=utf-8",
                    headers=NO_STORE)


@api.route("/t/o/{token}", "GET", auth=AUTH_PUBLIC, produces="image/gif")
def track_open(req: ApiRequest, token: str) -> RawReply:
    """The open pixel: a 1x1 GIF; the first open counts."""
    from chalicelib.tracking import logic

    logic.opened(token)
    return RawReply(PIXEL, "image/gif", headers=NO_STORE)


@api.route("/t/c/{token}", "GET", auth=AUTH_PUBLIC, status=302)
def track_click(req: ApiRequest, token: str) -> RawReply:
    """Redirect to the link the message held at this token's index (302)."""
    from chalicelib.tracking import logic

    url = logic.clicked(token)
    return RawReply(b"", "text/plain", status=302, headers={"Location": url, **NO_STORE})


@api.route("/t/u/{token}", "GET", auth=AUTH_PUBLIC, produces="text/html")
def unsubscribe_page(req: ApiRequest, token: str) -> RawReply:
    """A page with one button: link scanners fetch GETs, so only the POST unsubscribes."""
    from chalicelib.tracking import logic

    logic.check_unsubscribe(token)
    return _page("Unsubscribe", "Stop receiving these emails?",
                 '<form method="post"><button type="submit">Unsubscribe</button></form>')


@api.route("/t/u/{token}", "POST", auth=AUTH_PUBLIC, content_types=FORM_TYPES,
           produces="text/html")
def unsubscribe(req: ApiRequest, token: str) -> RawReply:
    """One-click unsubscribe (List-Unsubscribe-Post) and the page's button."""
    from chalicelib.tracking import logic

    logic.unsubscribe(token)
    return _page("Unsubscribed", "You are unsubscribed. You will not get these emails again.")
