"""What a converted lead's snapshot becomes, in plain Python."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.companies.domain import normalize_domain
from crm_shared.errors import ValidationFailed

# mailbox providers: their domain says nothing about the person's company
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "aol.com", "icloud.com", "me.com", "mail.com", "gmx.com", "gmx.de",
    "web.de", "proton.me", "protonmail.com", "yandex.com", "yandex.ru", "qq.com", "163.com",
})


def split_name(name: str | None) -> dict[str, str]:
    """`Ada King` -> first Ada, last King; `King, Ada` likewise; one word is a first name."""
    text = " ".join((name or "").split())
    if not text:
        return {}
    if "," in text:
        last, _, first = (p.strip() for p in text.partition(","))
        return {k: v for k, v in (("first_name", first), ("last_name", last)) if v}
    first, _, last = text.partition(" ")
    return {"first_name": first, "last_name": last} if last else {"first_name": first}


def employees(size: Any) -> int | None:
    """A company size as a head count when it is one number (`250`, `1,200`), else None."""
    if isinstance(size, bool):
        return None
    if isinstance(size, int):
        return size if 0 <= size <= 10**8 else None
    text = re.sub(r"[\s,_]", "", str(size or ""))
    return int(text) if text.isdigit() and int(text) <= 10**8 else None


def company_domain(lead: dict[str, Any]) -> str | None:
    """The company's domain: the lead's website, else its email's domain unless a mailbox
    provider's; None when neither gives a valid one."""
    candidates = [lead.get("website"), lead.get("domain")]
    email = str(lead.get("email") or "")
    if "@" in email:
        candidates.append(email.rsplit("@", 1)[1])
    for raw in candidates:
        if not raw:
            continue
        try:
            found = normalize_domain(str(raw))
        except ValidationFailed:
            continue
        if found not in FREE_MAIL:
            return found
    return None
