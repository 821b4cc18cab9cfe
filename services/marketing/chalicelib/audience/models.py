"""The contact read model: people and companies as the contacts service announces them."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)

from chalicelib.models import MarketingItem


class PersonItem(MarketingItem):
    """One contact: its fields (from Contact* events), consent and behaviour.

    Behaviour and consent may arrive before the contact itself (events are not ordered):
    such an item has no `doc` yet and stays off the people list until ContactCreated.
    """

    contact_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(null=True)
    contact_updated_at = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    consent_email = UnicodeAttribute(null=True)
    consent_email_at = UnicodeAttribute(null=True)
    consent_sms = UnicodeAttribute(null=True)
    consent_sms_at = UnicodeAttribute(null=True)
    opened = UnicodeSetAttribute(null=True)  # campaign ids
    clicked = UnicodeSetAttribute(null=True)
    won = BooleanAttribute(default=False)
    version = VersionAttribute()


class CompanyItem(MarketingItem):
    """A company's fields, for `{{ company.* }}` in templates."""

    company_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    updated_at = UnicodeAttribute(null=True)
