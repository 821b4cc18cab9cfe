"""Company rules in plain Python: domain and money normalization, changes, lookup entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crm_shared.errors import ValidationFailed

MAX_ANCESTORS = 20  # a deeper chain is refused: walks up it stay bounded
LIST_FIELDS = ("addresses", "tags")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# ISO 4217 codes in circulation (plus XAU/XAG for metals accounts): a typo is a 422, not a
# silently unconvertible amount.
CURRENCIES = frozenset(re.findall(r"[A-Z]{3}", """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS VES VND VUV WST XAF XAG XAU XCD XCG XOF XPF YER ZAR ZMW ZWG
"""))


def normalize_domain(raw: str, field: str = "domain") -> str:
    """`https://WWW.Acme.com:443/about` -> `acme.com`: the lowercase hostname, no `www.`.

    The normalized form is what the uniqueness claim is keyed by, so spellings of one
    website cannot make two companies.
    """
    value = raw.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = re.split(r"[/?#]", value, maxsplit=1)[0]
    value = value.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    if value.startswith("www."):
        value = value[4:]
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationFailed.for_field(field, "is not a valid domain name") from None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(p) for p in labels) \
            or labels[-1].isdigit():
        raise ValidationFailed.for_field(field, "is not a valid domain name (e.g. acme.com)")
    return value


def check_currency(money: dict[str, Any] | None, field: str = "annual_revenue") -> None:
    if money and money.get("currency") not in CURRENCIES:
        raise ValidationFailed.for_field(f"{field}.currency", "is not an ISO 4217 currency code")


def apply(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record after a merge-patch (null removes), and the fields that really changed."""
    updated = dict(current)
    changed = []
    for name, value in changes.items():
        if value is None and name in LIST_FIELDS:
            value = []
        if updated.get(name, [] if name in LIST_FIELDS else None) != value:
            changed.append(name)
        updated[name] = value
    return {k: v for k, v in updated.items() if v is not None}, sorted(changed)


def require_name(doc: dict[str, Any]) -> None:
    if not doc.get("name"):
        raise ValidationFailed.for_field("name", "is required")


def check_chain(company_id: str | None, parent_id: str, chain: list[str],
                complete: bool) -> None:
    """Refuse a parent whose chain of ancestors (`chain`, parent first) holds the company.

    `complete` is False when the walk stopped at MAX_ANCESTORS before reaching a root.
    """
    if company_id is not None and (parent_id == company_id or company_id in chain):
        raise ValidationFailed.for_field(
            "parent_id", "would make the company its own ancestor", code="parent_cycle")
    if not complete:
        raise ValidationFailed.for_field(
            "parent_id", f"the hierarchy would be deeper than {MAX_ANCESTORS} levels")


@dataclass(frozen=True)
class Entries:
    """The lookup keys a company occupies: the domain claim, tag and name entries."""

    domain: str | None
    tags: frozenset[str]
    name: str


def entries_of(doc: dict[str, Any]) -> Entries:
    return Entries(domain=doc.get("domain"), tags=frozenset(doc.get("tags") or []),
                   name=str(doc.get("name") or "").strip().lower())


FOLD_LIMITS = {"tags": 20, "addresses": 10}
NOT_FOLDED = frozenset({"parent_id", "merged_into", "merged_at"})  # the survivor keeps its place


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def fold(survivor: dict[str, Any], merged: dict[str, Any],
         field: str) -> tuple[dict[str, Any], list[str]]:
    """The survivor's record with a merged company's folded in, and the fields it took.

    The survivor keeps what it has and fills only its empty fields; tags are unioned,
    addresses appended without repeats, custom properties gain the keys it lacks. A 422
    naming `field` when the result would exceed a limit.
    """
    out, taken = dict(survivor), []
    for name, theirs in merged.items():
        mine: Any = out.get(name)
        if name in NOT_FOLDED or _empty(theirs):
            continue
        if _empty(mine):
            folded = theirs
        elif name == "tags":
            folded = sorted(set(mine) | set(theirs))
        elif name == "addresses":
            folded = [*mine, *(a for a in theirs if a not in mine)]
        elif name == "properties":
            folded = {**theirs, **mine}
        else:
            continue
        if folded != mine:
            out[name] = folded
            taken.append(name)
    for name, limit in FOLD_LIMITS.items():
        if len(out.get(name) or ()) > limit:
            raise ValidationFailed.for_field(
                field, f"merging it would give the company {len(out[name])} {name}, more "
                f"than {limit}: remove some from one of the companies first")
    return out, sorted(taken)
