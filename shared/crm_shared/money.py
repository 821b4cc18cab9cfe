"""Money as the API writes it everywhere: integer minor units and an ISO 4217 code.

One definition for every service (company revenue, deal amounts, product prices), so a
typo in a currency is the same 422 naming `<field>.currency` wherever money is written.
"""

from __future__ import annotations

import re

from pydantic import Field, StrictInt, field_validator

from crm_shared.validation import Payload

MAX_AMOUNT = 10**17

# ISO 4217 active codes (list one, 2025), funds and metals included. XTS (testing) and XXX
# (no currency) are left out: an amount in them is always a mistake.
CURRENCIES: frozenset[str] = frozenset(re.findall(r"[A-Z]{3}", """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA
XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG
"""))


# ISO 4217 minor units where they are not 2 (the rest of the world's cents).
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4, "UYW": 4,
}


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in CURRENCIES


def exponent(currency: str) -> int:
    """How many decimals a whole unit of `currency` has (2: cents, unless ISO 4217 says)."""
    return EXPONENTS.get(currency, 2)


def currency_code(value: object) -> object:
    """A field validator's (mode "before") check of a currency code: stripped, upper-cased,
    and a ValueError (a 422 naming the field) unless ISO 4217 knows it."""
    code = value.strip().upper() if isinstance(value, str) else value
    if isinstance(code, str) and not is_currency(code):
        raise ValueError("is not an ISO 4217 currency code")
    return code


class Money(Payload):
    """`{amount, currency}`: amount in minor units (cents), never a float."""

    amount: StrictInt = Field(ge=0, le=MAX_AMOUNT)
    currency: str = Field(min_length=3, max_length=3)

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: object) -> object:
        return currency_code(value)
