"""Aggregates kept from order events: per customer, per order, per stats bucket, per pair."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import SalesItem


class ValueItem(SalesItem):
    """A contact's or company's value; `doc` holds revenue, counts, dates, recent products."""

    customer_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    version = VersionAttribute()


class ValueStubItem(SalesItem):
    """The same item seen without its version: an order write makes it exist without
    racing the consumer's versioned folds."""

    customer_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()


class BandsItem(SalesItem):
    """The tenant's RFM quintile cuts, shaped like a value item (no version: last write
    wins) so that one BatchGetItem reads a customer's value and the bands together."""

    customer_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)


class ContributionItem(SalesItem):
    """What one order adds to the aggregates now, and the order version it reflects."""

    order_id = UnicodeAttribute()
    applied_version = NumberAttribute()
    doc = JSONAttribute(default=dict)
    version = VersionAttribute()


class StatsItem(SalesItem):
    """Revenue and orders of one (dimension, month, key, currency) bucket, added to."""

    key = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    month = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    revenue = NumberAttribute(null=True)
    orders = NumberAttribute(null=True)


class HistogramItem(SalesItem):
    """Customers per RFM bucket of the tenant (recency month, frequency, monetary)."""

    customers = NumberAttribute(null=True)


class PairItem(SalesItem):
    """Customers who bought both `product_key` and `other_key`; ranked on GSI1 by count."""

    product_key = UnicodeAttribute()
    other_key = UnicodeAttribute()
    product_name = UnicodeAttribute(null=True)
    other_name = UnicodeAttribute(null=True)
    customers = NumberAttribute(default=0)
    version = VersionAttribute()


class PairSeenItem(SalesItem):
    """This customer was counted for this pair (a pair counts customers, not orders)."""

    customer_id = UnicodeAttribute()
