"""CSV rows as companies: the mapping, and row values as the company API's own payloads.

A row becomes a `CompanyCreate` (new) or `CompanyFields` (upsert hit) payload and goes
through the same pydantic models and normalization as `POST /companies` and
`PATCH /companies/{id}`. Two targets are the import's own: `external_id` (the id the
company has in the system the file comes from; a key item of the transfers feature maps
it to the company) and `subsidiary_of` (the parent's name, domain or external_id, set in
a second pass once every row exists).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.properties import store
from chalicelib.transfers.contact_rows import (
    LIST_SEPARATOR,
    _typed,
    check_upsert_key,
    mapped_targets,
)
from crm_shared.errors import ValidationFailed
from crm_shared.money import exponent, is_currency

ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")
FIELDS = ("name", "domain", "industry", "employees", "annual_revenue", "currency",
          "owner_id", "team_id", "tags", "external_id", "subsidiary_of",
          *(f"address.{p}" for p in ADDRESS_PARTS))
UPSERT_KEYS = ("domain", "external_id", "name")
DEFAULT_CURRENCY = "USD"


def check_mapping(tenant_id: str, mapping: dict[str, str], upsert_key: str | None) -> None:
    """A 422 naming `mapping.<column>` (or `upsert_key`) the import cannot honour."""
    targets = mapped_targets(tenant_id, "company", FIELDS, mapping)
    if "name" not in targets:
        raise ValidationFailed.for_field("mapping", "no column is mapped to name (a company "
                                         "needs one)")
    check_upsert_key(upsert_key, UPSERT_KEYS, targets, "companies")


def _money(raw: str, currency: str) -> dict[str, Any]:
    """`1,100.04` (whole units) or `1100.04 EUR` -> {amount in minor units, currency}."""
    parts = raw.replace(",", "").replace("_", "").split()
    if len(parts) == 2 and parts[0].isalpha():
        parts.reverse()
    if len(parts) == 2:
        currency = parts[1].upper()
    if not is_currency(currency):
        raise ValidationFailed.for_field("annual_revenue.currency",
                                         f"{currency!r} is not an ISO 4217 currency code")
    try:
        value = Decimal(parts[0]) if parts else Decimal("x")
    except InvalidOperation:
        raise ValidationFailed.for_field("annual_revenue", f"{raw!r} is not an amount "
                                         "(whole units, e.g. 1250000.50)") from None
    scaled = value.scaleb(exponent(currency))
    if not value.is_finite() or value < 0 or scaled != scaled.to_integral_value():
        raise ValidationFailed.for_field("annual_revenue", f"{raw!r} is not an amount in "
                                         f"{currency}")
    return {"amount": int(scaled), "currency": currency}


def payload(tenant_id: str, values: dict[str, str]) -> tuple[dict[str, Any], str | None,
                                                              str | None]:
    """(the JSON a client would send, external_id, subsidiary_of) for the mapped cells."""
    definitions = store.definitions(tenant_id, "company")
    out: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    address: dict[str, str] = {}
    for target, raw in values.items():
        if target.startswith("properties."):
            name = target.removeprefix("properties.")
            properties[name] = _typed(definitions.get(name), raw)
        elif target.startswith("address."):
            part = target.removeprefix("address.")
            address[part] = raw.upper() if part == "country" else raw
        elif target == "employees":
            try:
                out["employees"] = int(raw.replace(",", "").replace("_", ""))
            except ValueError:
                raise ValidationFailed.for_field("employees", f"{raw!r} is not a whole "
                                                 "number") from None
        elif target == "annual_revenue":
            out["annual_revenue"] = _money(raw, values.get("currency", DEFAULT_CURRENCY)
                                           .strip().upper())
        elif target == "tags":
            out["tags"] = [t.strip() for t in raw.split(LIST_SEPARATOR) if t.strip()]
        elif target not in ("currency", "external_id", "subsidiary_of"):
            out[target] = raw
    if address:
        out["addresses"] = [address]
    if properties:
        out["properties"] = properties
    return out, values.get("external_id"), values.get("subsidiary_of")


def merged(update: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """An upsert adds to lists rather than replacing them: tags unite, a new address joins."""
    out = dict(update)
    if "tags" in out:
        out["tags"] = sorted(set(current.get("tags") or []) | {t.lower() for t in out["tags"]})
    if "addresses" in out:
        known = list(current.get("addresses") or [])
        out["addresses"] = known + [a for a in out["addresses"] if a not in known]
    return out


def column_of(field: str, mapping: dict[str, str]) -> str:
    """The CSV column an error about `field` (e.g. `annual_revenue.currency`) comes from."""
    by_target = {t: c for c, t in mapping.items()}
    if field.startswith("addresses"):
        part = field.rsplit(".", 1)[-1]
        return by_target.get(f"address.{part}", "")
    if field == "annual_revenue.currency" and "currency" in by_target:
        return by_target["currency"]
    if field.startswith("properties."):
        return by_target.get(".".join(field.split(".", 2)[:2]), "")
    return by_target.get(field.split("[", 1)[0].split(".", 1)[0], "")
