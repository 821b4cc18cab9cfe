"""Normalized contact data: emails lowercased and checked, phones in E.164.

Every service that stores people (contacts, leads, tickets) normalizes the same way, so a
duplicate is found whichever service saw the person first.
"""

from __future__ import annotations

from crm_shared.errors import ValidationFailed


def normalize_email(value: str, field: str = "email") -> str:
    """The address lowercased, if it is deliverable-shaped; a 422 naming `field` if not."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed.for_field(field, str(exc)) from None
    return checked.normalized.lower()


def normalize_phone(value: str, default_region: str = "US", field: str = "phone") -> str:
    """E.164 (`+14155550100`); numbers without a country code use the tenant's region."""
    import phonenumbers  # deferred: its metadata is large, and only writes need it

    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed.for_field(field, f"is not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed.for_field(field, "is not a valid phone number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
