"""Reading a shop's payload through its connector's mapping, and checking its signature.
Pure Python: the output is the body POST /orders takes (validated there)."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_shared.errors import ValidationFailed

_MISSING = object()


def signature_ok(secret: str, raw: bytes, header: str | None) -> bool:
    """`X-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):].strip().lower())


def email_digest(tenant_id: str, email: str) -> str:
    """What finds a person's carts by email without keeping the address in a key: a hash of
    the tenant and the address as the shop or the contact spells it, case and spaces aside."""
    return hashlib.sha256(f"{tenant_id}:{email.strip().lower()}".encode()).hexdigest()[:32]


def sign(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def pick(payload: Any, path: str | None, required: bool = False) -> Any:
    """The value at a dotted path (None when absent); required and absent is a 422."""
    value: Any = payload
    for part in (path or "").split(".") if path else []:
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING:
            break
    if value is _MISSING or value is None or path is None:
        if required:
            raise ValidationFailed.for_field(path or "payload", "is missing from the payload")
        return None
    return value


def amount(value: Any, path: str, units: str) -> int:
    """Money from the shop: major units (12.50, "12.50") or minor (1250), as minor units."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.for_field(path, "is not an amount") from None
    minor = number * 100 if units == "major" else number
    if minor != minor.to_integral_value() or minor < 0:
        raise ValidationFailed.for_field(path, "is not an amount in whole minor units")
    return int(minor)


def kind_of(payload: dict[str, Any], mapping: dict[str, Any]) -> str:
    value = pick(payload, mapping["kind"])
    return "cart" if str(value) in mapping["cart_kinds"] else "order"


def _lines(payload: dict[str, Any], path: str, mapping: dict[str, Any],
           currency: str) -> list[dict[str, Any]]:
    raw = pick(payload, path, required=True)
    if not isinstance(raw, list):
        raise ValidationFailed.for_field(path, "must be a list of lines")
    units, line_map, out = mapping["amounts"], mapping["line"], []
    for index, item in enumerate(raw):
        where = f"{path}[{index}]"
        price_path = line_map["unit_price"]
        line: dict[str, Any] = {
            "sku": _text(pick(item, line_map.get("sku"))),
            "product_id": pick(item, line_map.get("product_id")),
            "name": _text(pick(item, line_map.get("name"))),
            "quantity": pick(item, line_map["quantity"], required=True),
            "unit_price": {"amount": amount(pick(item, price_path, required=True),
                                            f"{where}.{price_path}", units),
                           "currency": currency},
        }
        discount = pick(item, line_map.get("discount"))
        if discount:
            line["discount"] = {"amount": amount(discount, f"{where}.{line_map['discount']}",
                                                 units), "currency": currency}
        out.append({k: v for k, v in line.items() if v is not None})
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def order_body(payload: dict[str, Any], mapping: dict[str, Any],
               source: str) -> tuple[dict[str, Any], str | None]:
    """The POST /orders body the payload describes, and the shop's cart id it closes."""
    m = mapping["order"]
    currency = str(pick(payload, m["currency"], required=True)).upper()
    shop_status = pick(payload, m.get("status"))
    status = mapping["status_map"].get(str(shop_status)) if shop_status is not None else "placed"
    if status is None:
        raise ValidationFailed.for_field(m["status"], f"{shop_status!r} is not in the "
                                         "connector's status_map")
    body: dict[str, Any] = {
        "source": source,
        "external_id": _text(pick(payload, m["external_id"], required=True)),
        "status": status,
        "placed_at": pick(payload, m.get("placed_at")),
        "contact_id": pick(payload, m.get("contact_id")),
        "lines": _lines(payload, m["lines"], mapping, currency),
        "totals": {"amount": amount(pick(payload, m["total"], required=True), m["total"],
                                    mapping["amounts"]), "currency": currency},
        "customer": {k: v for k, v in {
            "email": pick(payload, m.get("customer_email")),
            "name": pick(payload, m.get("customer_name"))}.items() if v is not None} or None,
        "shipping": {k: v for k, v in {
            "carrier": pick(payload, m.get("carrier")),
            "tracking_number": pick(payload, m.get("tracking_number"))}.items()
            if v is not None} or None,
    }
    return {k: v for k, v in body.items() if v is not None}, _text(pick(payload,
                                                                         m.get("cart_id")))


def cart_doc(payload: dict[str, Any], mapping: dict[str, Any]) -> dict[str, Any]:
    m = mapping["cart"]
    currency = str(pick(payload, m["currency"], required=True)).upper()
    doc = {
        "external_id": _text(pick(payload, m["external_id"], required=True)),
        "contact_id": pick(payload, m.get("contact_id")),
        "email": pick(payload, m.get("email")),
        "lines": _lines(payload, m["lines"], mapping, currency),
        "totals": {"amount": amount(pick(payload, m["total"], required=True), m["total"],
                                    mapping["amounts"]), "currency": currency},
    }
    return {k: v for k, v in doc.items() if v is not None}
