"""Knowledge-base items: articles with their live copy, versions, votes and index postings,
categories, settings and the public site key."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models import ServiceItem


class ArticleItem(ServiceItem):
    """The working copy agents edit. `indexed` remembers the postings of the last publish
    (locale, term -> frequency, length) so the next publish or archive removes exactly them."""

    article_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    doc = JSONAttribute(default=dict)
    indexed = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class LiveItem(ServiceItem):
    """What readers see: the last published version while `live`, with the counters.

    No version attribute: views and votes are atomic ADDs that never conflict with an edit,
    and a publish SETs the copy without touching the counts."""

    article_id = UnicodeAttribute(null=True)
    doc = JSONAttribute(null=True)
    live = BooleanAttribute(null=True)
    views = NumberAttribute(null=True)
    helpful = NumberAttribute(null=True)
    unhelpful = NumberAttribute(null=True)


class VersionItem(ServiceItem):
    article_id = UnicodeAttribute()
    number = NumberAttribute()
    doc = JSONAttribute(default=dict)
    published_at = UnicodeAttribute()
    published_by = UnicodeAttribute(null=True)


class VoteItem(ServiceItem):
    """One voter's vote on one article: the item's key is the claim."""

    article_id = UnicodeAttribute()
    helpful = BooleanAttribute()
    user_id = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class PostingItem(ServiceItem):
    """An article under one term of the inverted index, with what ranking and a result line
    need (so a search reads postings only)."""

    article_id = UnicodeAttribute()
    tf = NumberAttribute()
    length = NumberAttribute()
    title = UnicodeAttribute()
    summary = UnicodeAttribute(null=True)
    category_id = UnicodeAttribute(null=True)


class LocaleStatsItem(ServiceItem):
    """Live articles of a locale and their total length: BM25's N and average length."""

    articles = NumberAttribute(null=True)
    total_length = NumberAttribute(null=True)


class CategoryItem(ServiceItem):
    category_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    parent_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class SettingsItem(ServiceItem):
    tenant_id = UnicodeAttribute()
    site_key = UnicodeAttribute(null=True)
    default_locale = UnicodeAttribute(default="en")
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class SiteKeyItem(ServiceItem):
    """Which tenant a public site key opens (the key itself says nothing of it)."""

    tenant_id = UnicodeAttribute()
    default_locale = UnicodeAttribute(default="en")
