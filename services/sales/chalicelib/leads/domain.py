"""Lead rules in plain Python: the status flow, which leads are open, email domain kinds."""

from __future__ import annotations

from typing import Any

from crm_shared.errors import Conflict, ValidationFailed

NEW, WORKING, QUALIFIED, DISQUALIFIED, CONVERTED = (
    "new", "working", "qualified", "disqualified", "converted")
OPEN = frozenset({NEW, WORKING, QUALIFIED})
# new -> working -> qualified | disqualified; a closed lead may be reopened to working
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({WORKING, DISQUALIFIED}),
    WORKING: frozenset({QUALIFIED, DISQUALIFIED}),
    QUALIFIED: frozenset({WORKING, DISQUALIFIED}),
    DISQUALIFIED: frozenset({WORKING}),
    CONVERTED: frozenset(),
}
PERSONAL = ("name", "email", "phone", "notes", "utm")
FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "aol.com", "icloud.com", "me.com", "gmx.com", "gmx.de", "web.de", "proton.me",
    "protonmail.com", "mail.com", "yandex.com", "yandex.ru", "qq.com", "163.com",
})


def check_transition(current: str, wanted: str) -> None:
    """A 409 naming `status` for a move the flow does not allow."""
    if current == wanted:
        return
    if current == CONVERTED:
        raise Conflict.for_field("status", "a converted lead cannot change status",
                                 code="lead_converted")
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing"
        raise Conflict.for_field("status", f"{current} may move to {allowed}, not {wanted}",
                                 code="invalid_transition")


def require_identity(doc: dict[str, Any]) -> None:
    """A lead names someone: a name, an email or a phone."""
    if not any(doc.get(k) for k in ("name", "email", "phone")):
        raise ValidationFailed.for_field("name", "a lead needs a name, an email or a phone")


def apply(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The document after a merge-patch (null removes), and the fields that changed."""
    updated = dict(current)
    changed = []
    for name, value in changes.items():
        if updated.get(name) != value:
            changed.append(name)
        updated[name] = value
    return {k: v for k, v in updated.items() if v is not None and v != {}}, sorted(changed)


def email_kind(email: str | None) -> str:
    """`business`, `free` (webmail) or `none`: what an address says about the buyer."""
    if not email or "@" not in email:
        return "none"
    return "free" if email.rsplit("@", 1)[1] in FREEMAIL else "business"
