"""The only code that knows knowledge-base keys.

- an article's partition `T#<t>#KB_ARTICLE#<art>` holds the working copy `A#RECORD` (lists:
  GSI1 `T#<t>#KB_ARTICLES`, GSI2 `..#STATUS#<s>`, GSI3 `..#CATEGORY#<c>`, GSI4
  `..#LOCALE#<l>`, newest first), the live copy with its counters `A#LIVE` (while live:
  GSI1 `T#<t>#KB_LIVE#<locale>`, GSI2 `..#CATEGORY#<c>`, newest publish first), each
  published version `V#<n:06>` and each vote `VOTE#<voter>` (GSI1 `T#<t>#KB_VOTER#<con>`
  when a contact voted, for erasure); one Query on `A#` reads an article with its counters;
- the inverted index: `T#<t>#KB_TERM#<locale>#<term>` / `<9999-tf:04>#<art>` (a term's
  postings come highest frequency first), and `T#<t>#KB_LOCALE#<locale>` / `STATS`;
- categories `T#<t>#KB_CATEGORY#<cat>` / `CATEGORY` (GSI1 `T#<t>#KB_CATEGORIES` by name,
  GSI2 `..#PARENT#<parent or ROOT>`);
- settings `T#<t>#KB_SETTINGS` / `SETTINGS`; the public site key
  `T#_system#KB_SITE_KEY#<key>` / `KEY` (one GetItem finds the tenant).
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib import SERVICE
from chalicelib.kb.models import (
    ArticleItem,
    CategoryItem,
    LiveItem,
    LocaleStatsItem,
    PostingItem,
    SettingsItem,
    SiteKeyItem,
    VersionItem,
    VoteItem,
)
from crm_shared.dynamo import SYSTEM_TENANT, tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

RECORD, LIVE, VERSION, VOTE = "A#RECORD", "A#LIVE", "V#", "VOTE#"
MAX_TF = 9999
ARTICLE_LISTS = {"status": (2, "STATUS"), "category_id": (3, "CATEGORY"),
                 "locale": (4, "LOCALE")}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


# -- articles ---------------------------------------------------------------------------

def article_pk(tenant_id: str, article_id: str) -> str:
    return tenant_key(tenant_id, "KB_ARTICLE", article_id)


def new_article(tenant_id: str, article_id: str, doc: dict[str, Any], now: str) -> ArticleItem:
    return ArticleItem(PK=article_pk(tenant_id, article_id), SK=RECORD, article_id=article_id,
                       tenant_id=tenant_id, doc=doc, created_at=now, updated_at=now)


def index_article(item: ArticleItem) -> None:
    """Set the record's list keys from its document."""
    sort = f"{item.created_at}#{item.article_id}"
    item.GSI1PK, item.GSI1SK = tenant_key(item.tenant_id, "KB_ARTICLES"), sort
    for field, (number, part) in ARTICLE_LISTS.items():
        value = item.doc.get(field)
        setattr(item, f"GSI{number}PK",
                tenant_key(item.tenant_id, "KB_ARTICLES", part, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)


def get_article(tenant_id: str, article_id: str,
                consistent: bool = False) -> tuple[ArticleItem | None, LiveItem | None]:
    """The working copy and the live copy in one Query."""
    found = ArticleItem._get_connection().query(
        article_pk(tenant_id, article_id), ArticleItem.SK.between("A#", "A#~"),
        consistent_read=consistent)
    raw = {item["SK"]["S"]: item for item in found.get("Items", [])}
    if RECORD not in raw:
        return None, None
    return ArticleItem.from_raw_data(raw[RECORD]), (
        LiveItem.from_raw_data(raw[LIVE]) if LIVE in raw else None)


def list_articles(tenant_id: str, limit: int, cursor: str | None, field: str | None,
                  value: str | None) -> tuple[list[ArticleItem], str | None]:
    if field is None or value is None:
        number, pk = 1, tenant_key(tenant_id, "KB_ARTICLES")
    else:
        number, part = ARTICLE_LISTS[field]
        pk = tenant_key(tenant_id, "KB_ARTICLES", part, value)
    idx = getattr(ArticleItem, f"gsi{number}")
    return query_page(lambda **kw: idx.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:kb_articles", cursor, limit)


def has_articles_in(tenant_id: str, category_id: str) -> bool:
    items, _ = list_articles(tenant_id, 1, None, "category_id", category_id)
    return bool(items)


def live_key(tenant_id: str, article_id: str) -> LiveItem:
    return LiveItem(PK=article_pk(tenant_id, article_id), SK=LIVE)


def live_lists(tenant_id: str, locale: str, category_id: str | None) -> tuple[str, str | None]:
    """The live copy's list partitions: GSI1 by locale, GSI2 by locale and category."""
    return (tenant_key(tenant_id, "KB_LIVE", locale),
            tenant_key(tenant_id, "KB_LIVE", locale, "CATEGORY", category_id)
            if category_id else None)


def stage_live(uow: UnitOfWork, tenant_id: str, article_id: str, doc: dict[str, Any],
               sort: str) -> None:
    """SET the live copy (counters untouched: an update, not a put)."""
    by_locale, by_category = live_lists(tenant_id, doc["locale"], doc.get("category_id"))
    item = live_key(tenant_id, article_id)
    actions: list[Action] = [
        LiveItem.article_id.set(article_id), LiveItem.doc.set(doc), LiveItem.live.set(True),
        LiveItem.GSI1PK.set(by_locale), LiveItem.GSI1SK.set(sort)]
    if by_category:
        actions += [LiveItem.GSI2PK.set(by_category), LiveItem.GSI2SK.set(sort)]
    else:
        actions += [LiveItem.GSI2PK.remove(), LiveItem.GSI2SK.remove()]
    uow.update(item, actions, label="article_live")


def stage_unlive(uow: UnitOfWork, tenant_id: str, article_id: str) -> None:
    uow.update(live_key(tenant_id, article_id), [
        LiveItem.live.set(False), LiveItem.GSI1PK.remove(), LiveItem.GSI1SK.remove(),
        LiveItem.GSI2PK.remove(), LiveItem.GSI2SK.remove()], label="article_live")


def read_live(tenant_id: str, article_id: str) -> LiveItem | None:
    """A reader's view: count it and return the live copy in one UpdateItem; None unless
    the article is live in this tenant."""
    item = live_key(tenant_id, article_id)
    try:
        item.update([LiveItem.views.add(1)], condition=LiveItem.live == True)  # noqa: E712
    except UpdateError as failed:
        if failed.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


def list_live(tenant_id: str, locale: str, category_id: str | None, limit: int,
              cursor: str | None) -> tuple[list[LiveItem], str | None]:
    by_locale, by_category = live_lists(tenant_id, locale, category_id)
    number, pk = (2, by_category) if by_category else (1, by_locale)
    idx = getattr(LiveItem, f"gsi{number}")
    return query_page(lambda **kw: idx.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:kb_live", cursor, limit)


def new_version(tenant_id: str, article_id: str, number: int, doc: dict[str, Any], at: str,
                by: str | None) -> VersionItem:
    return VersionItem(PK=article_pk(tenant_id, article_id), SK=f"{VERSION}{number:06d}",
                       article_id=article_id, number=number, doc=doc, published_at=at,
                       published_by=by)


def get_version(tenant_id: str, article_id: str, number: int) -> VersionItem | None:
    try:
        return VersionItem.get(article_pk(tenant_id, article_id), f"{VERSION}{number:06d}")
    except VersionItem.DoesNotExist:
        return None


def list_versions(tenant_id: str, article_id: str, limit: int,
                  cursor: str | None) -> tuple[list[VersionItem], str | None]:
    pk = article_pk(tenant_id, article_id)
    return query_page(lambda **kw: VersionItem.query(pk, VersionItem.SK.startswith(VERSION),
                                                     scan_index_forward=False, **kw),
                      f"{pk}:kb_versions", cursor, limit)


# -- votes ------------------------------------------------------------------------------

def new_vote(tenant_id: str, article_id: str, voter: str, helpful: bool, now: str,
             user_id: str | None, contact_id: str | None) -> VoteItem:
    item = VoteItem(PK=article_pk(tenant_id, article_id), SK=VOTE + voter,
                    article_id=article_id, helpful=helpful, user_id=user_id,
                    contact_id=contact_id, created_at=now)
    if contact_id:
        item.GSI1PK, item.GSI1SK = tenant_key(tenant_id, "KB_VOTER", contact_id), article_id
    return item


def stage_vote(uow: UnitOfWork, vote: VoteItem, tenant_id: str) -> None:
    """The claim (one per voter) and the live copy's counter, while the article is live."""
    uow.put(vote, VoteItem.PK.does_not_exist(), label="vote_claim")
    counter = LiveItem.helpful if vote.helpful else LiveItem.unhelpful
    uow.update(live_key(tenant_id, vote.article_id), [counter.add(1)],
               LiveItem.live == True, label="article_live")  # noqa: E712


def votes_of_contact(tenant_id: str, contact_id: str, limit: int) -> list[VoteItem]:
    pk = tenant_key(tenant_id, "KB_VOTER", contact_id)
    return list(VoteItem.gsi1.query(pk, limit=limit))


# -- the inverted index -----------------------------------------------------------------

def posting_sort(article_id: str, tf: int) -> str:
    return f"{MAX_TF - min(tf, MAX_TF):04d}#{article_id}"


def term_pk(tenant_id: str, locale: str, term: str) -> str:
    return tenant_key(tenant_id, "KB_TERM", locale, term)


def new_posting(tenant_id: str, locale: str, term: str, article_id: str, tf: int,
                length: int, title: str, summary: str | None,
                category_id: str | None) -> PostingItem:
    return PostingItem(PK=term_pk(tenant_id, locale, term), SK=posting_sort(article_id, tf),
                       article_id=article_id, tf=tf, length=length, title=title,
                       summary=summary, category_id=category_id)


def posting_key(tenant_id: str, locale: str, term: str, article_id: str,
                tf: int) -> PostingItem:
    return PostingItem(PK=term_pk(tenant_id, locale, term), SK=posting_sort(article_id, tf))


def postings(tenant_id: str, locale: str, term: str,
             limit: int) -> tuple[list[PostingItem], bool]:
    """A term's best `limit` postings (one Query) and whether more exist."""
    result = PostingItem.query(term_pk(tenant_id, locale, term), limit=limit, page_size=limit)
    items = list(result)
    return items, result.last_evaluated_key is not None


def locale_stats_key(tenant_id: str, locale: str) -> LocaleStatsItem:
    return LocaleStatsItem(PK=tenant_key(tenant_id, "KB_LOCALE", locale), SK="STATS")


def stage_locale_stats(uow: UnitOfWork, tenant_id: str, locale: str, articles: int,
                       length: int) -> None:
    uow.update(locale_stats_key(tenant_id, locale),
               [LocaleStatsItem.articles.add(articles),
                LocaleStatsItem.total_length.add(length)], label="kb_locale")


def locale_stats(tenant_id: str, locale: str) -> tuple[int, int]:
    try:
        item = LocaleStatsItem.get(tenant_key(tenant_id, "KB_LOCALE", locale), "STATS")
    except LocaleStatsItem.DoesNotExist:
        return 0, 0
    return int(item.articles or 0), int(item.total_length or 0)


# -- categories -------------------------------------------------------------------------

ROOT = "ROOT"


def category_pk(tenant_id: str, category_id: str) -> str:
    return tenant_key(tenant_id, "KB_CATEGORY", category_id)


def new_category(tenant_id: str, category_id: str, now: str, **fields: Any) -> CategoryItem:
    return CategoryItem(PK=category_pk(tenant_id, category_id), SK="CATEGORY",
                        category_id=category_id, tenant_id=tenant_id, created_at=now,
                        updated_at=now, **fields)


def index_category(item: CategoryItem) -> None:
    sort = f"{item.name.casefold()[:100]}#{item.category_id}"
    item.GSI1PK, item.GSI1SK = tenant_key(item.tenant_id, "KB_CATEGORIES"), sort
    item.GSI2PK = tenant_key(item.tenant_id, "KB_CATEGORIES", "PARENT", item.parent_id or ROOT)
    item.GSI2SK = sort


def get_category(tenant_id: str, category_id: str,
                 consistent: bool = False) -> CategoryItem | None:
    try:
        return CategoryItem.get(category_pk(tenant_id, category_id), "CATEGORY",
                                consistent_read=consistent)
    except CategoryItem.DoesNotExist:
        return None


def list_categories(tenant_id: str, limit: int, cursor: str | None,
                    parent_id: str | None = None) -> tuple[list[CategoryItem], str | None]:
    if parent_id is None:
        pk, idx = tenant_key(tenant_id, "KB_CATEGORIES"), CategoryItem.gsi1
    else:
        pk, idx = tenant_key(tenant_id, "KB_CATEGORIES", "PARENT", parent_id), CategoryItem.gsi2
    return query_page(lambda **kw: idx.query(pk, **kw), f"{pk}:kb_categories", cursor, limit)


def has_children(tenant_id: str, category_id: str) -> bool:
    items, _ = list_categories(tenant_id, 1, None, category_id)
    return bool(items)


# -- settings and the public site key ---------------------------------------------------

def settings_key(tenant_id: str) -> SettingsItem:
    return SettingsItem(PK=tenant_key(tenant_id, "KB_SETTINGS"), SK="SETTINGS",
                        tenant_id=tenant_id)


def get_settings(tenant_id: str, consistent: bool = False) -> SettingsItem | None:
    try:
        return SettingsItem.get(tenant_key(tenant_id, "KB_SETTINGS"), "SETTINGS",
                                consistent_read=consistent)
    except SettingsItem.DoesNotExist:
        return None


def site_key_item(site_key: str, tenant_id: str = "", default_locale: str = "en"
                  ) -> SiteKeyItem:
    return SiteKeyItem(PK=tenant_key(SYSTEM_TENANT, "KB_SITE_KEY", site_key), SK="KEY",
                       tenant_id=tenant_id, default_locale=default_locale)


def by_site_key(site_key: str) -> SiteKeyItem | None:
    try:
        return SiteKeyItem.get(tenant_key(SYSTEM_TENANT, "KB_SITE_KEY", site_key), "KEY")
    except SiteKeyItem.DoesNotExist:
        return None
