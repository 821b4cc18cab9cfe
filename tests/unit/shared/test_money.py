"""crm_shared.money: the currency check and the minor units every service scales by."""

from __future__ import annotations

import pytest

from crm_shared.money import Money, currency_code, exponent


def test_minor_units_follow_iso_4217() -> None:
    assert (exponent("USD"), exponent("JPY"), exponent("KWD"), exponent("CLF")) == (2, 0, 3, 4)


def test_a_currency_code_is_stripped_upper_cased_and_checked() -> None:
    assert currency_code(" eur ") == "EUR"
    assert currency_code(None) is None  # the field's own type check reports it
    with pytest.raises(ValueError, match="ISO 4217"):
        currency_code("EUX")
    assert Money(amount=5, currency="usd").currency == "USD"
