"""Knowledge-base routes: thin; the rules live in logic.py, search.py, categories.py, site.py.

Literal paths (/kb/articles/search) come before /kb/articles/{article_id}. The public site
(/kb/public/{site_key}/...) needs no sign-in: its key alone names the tenant, and it shows
live articles only.
"""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.kb import categories, logic, repository, search, site
from chalicelib.kb.models import ArticleItem, CategoryItem, LiveItem
from chalicelib.kb.schemas import (
    ArticleCreate,
    ArticleFields,
    ArticleOut,
    ArticlePage,
    CategoryCreate,
    CategoryFields,
    CategoryOut,
    CategoryPage,
    HitPage,
    PublicArticleOut,
    SettingsIn,
    SettingsOut,
    VersionOut,
    VersionPage,
    VoteIn,
    VoteOut,
)
from crm_shared.auth.roles import ADMINS, ALL_ROLES, WRITERS, Role
from crm_shared.errors import BadRequest, NotFound
from crm_shared.http import AUTH_PUBLIC, ApiRequest, Reply, ServiceApi, etag
from crm_shared.ids import is_id
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "kb")
AGENTS = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPPORT_AGENT})
ARTICLE_FILTERS = ("status", "category_id", "locale")
STATUSES = ("draft", "published", "archived")


def shown(item: ArticleItem, live: LiveItem | None, status: int | None = None) -> Reply:
    body = ArticleOut(**logic.record(item, live))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/kb/articles", "POST", roles=AGENTS, body=ArticleCreate, response=ArticleOut,
           status=201)
def create_article(req: ApiRequest) -> Reply:
    """Write a draft; readers see it once it is published."""
    item = logic.create(req.principal, req.tenant_id, req.body.model_dump(mode="json"))
    reply = shown(item, None)
    reply.headers["Location"] = f"/kb/articles/{item.article_id}"
    return reply


@api.route("/kb/articles", "GET", roles=ALL_ROLES, response=ArticlePage)
def list_articles(req: ApiRequest) -> ArticlePage:
    """Every article (drafts too), newest first; filter by one of status, category_id or
    locale."""
    filters = {k: req.query[k] for k in ARTICLE_FILTERS if req.query.get(k)}
    if len(filters) > 1:
        raise BadRequest.for_field(sorted(filters)[1], "filter by one of "
                                   + ", ".join(ARTICLE_FILTERS) + " at a time")
    field, value = next(iter(filters.items()), (None, None))
    if field == "status" and value not in STATUSES:
        raise BadRequest.for_field("status", "must be one of " + ", ".join(STATUSES))
    if field == "locale":
        value = search.locale_param(value, "en")
    if field == "category_id":
        value = search.category_param(value)
    items, cursor = repository.list_articles(req.tenant_id, parse_limit(req.query.get("limit")),
                                             req.query.get("cursor"), field, value)
    return ArticlePage(items=[ArticleOut(**logic.record(i, None)) for i in items],
                       next_cursor=cursor)


def _search(tenant_id: str, query: dict[str, str], default_locale: str | None) -> HitPage:
    locale = search.locale_param(query.get("locale"),
                                 default_locale or site.default_locale(tenant_id))
    category_id = search.category_param(query.get("category_id"))
    limit = parse_limit(query.get("limit"))
    if (query.get("q") or "").strip():
        return HitPage(items=search.search(tenant_id, query["q"], locale, category_id, limit),
                       next_cursor=None)
    items, cursor = search.browse(tenant_id, locale, category_id, limit, query.get("cursor"))
    return HitPage(items=items, next_cursor=cursor)


@api.route("/kb/articles/search", "GET", roles=ALL_ROLES, response=HitPage)
def search_articles(req: ApiRequest) -> HitPage:
    """Published articles matching `q` (up to 5 terms), best first; `locale` defaults to the
    tenant's; without `q`, the newest published."""
    return _search(req.tenant_id, req.query, None)


@api.route("/kb/articles/{article_id}", "GET", roles=ALL_ROLES, response=ArticleOut)
def get_article(req: ApiRequest, article_id: str) -> Reply:
    """The working copy with its counters: one Query."""
    return shown(*logic.get(req.tenant_id, article_id))


@api.route("/kb/articles/{article_id}", "PATCH", roles=AGENTS, body=ArticleFields,
           response=ArticleOut)
def update_article(req: ApiRequest, article_id: str) -> Reply:
    """Edit the working copy (readers keep the published version); `If-Match` guards it."""
    return shown(*logic.update(req.tenant_id, article_id,
                               req.body.model_dump(mode="json", exclude_unset=True),
                               req.if_match()))


@api.route("/kb/articles/{article_id}/publish", "POST", roles=AGENTS, response=ArticleOut)
def publish_article(req: ApiRequest, article_id: str) -> Reply:
    """Publish the working copy as the next version and index it for search."""
    return shown(*logic.publish(req.principal, req.tenant_id, article_id, req.if_match()))


@api.route("/kb/articles/{article_id}/archive", "POST", roles=AGENTS, response=ArticleOut)
def archive_article(req: ApiRequest, article_id: str) -> Reply:
    """Take the article off the site and out of search; its versions stay."""
    return shown(*logic.archive(req.principal, req.tenant_id, article_id, req.if_match()))


@api.route("/kb/articles/{article_id}/versions", "GET", roles=ALL_ROLES, response=VersionPage)
def list_versions(req: ApiRequest, article_id: str) -> VersionPage:
    """Every published version, newest first."""
    logic.get(req.tenant_id, article_id)
    items, cursor = repository.list_versions(req.tenant_id, article_id,
                                             parse_limit(req.query.get("limit")),
                                             req.query.get("cursor"))
    return VersionPage(items=[VersionOut(**logic.version_record(i)) for i in items],
                       next_cursor=cursor)


@api.route("/kb/articles/{article_id}/versions/{number}", "GET", roles=ALL_ROLES,
           response=VersionOut)
def get_version(req: ApiRequest, article_id: str, number: str) -> VersionOut:
    """One published version, as it was published: one GetItem."""
    valid = number.isascii() and number.isdigit() and 0 < int(number) < 1_000_000
    found = (repository.get_version(req.tenant_id, article_id, int(number))
             if valid and is_id(article_id, "art") else None)
    if found is None:
        raise NotFound("no such version")
    return VersionOut(**logic.version_record(found))


@api.route("/kb/articles/{article_id}/votes", "POST", roles=WRITERS, body=VoteIn,
           response=VoteOut, status=201)
def vote_on_article(req: ApiRequest, article_id: str) -> VoteOut:
    """Was the article helpful? One vote per user (or per contact voted for)."""
    return VoteOut(**logic.vote(req.principal, req.tenant_id, article_id, req.body.helpful,
                                req.body.contact_id))


# -- categories -------------------------------------------------------------------------

def shown_category(item: CategoryItem) -> Reply:
    body = CategoryOut(**categories.record(item))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/kb/categories", "POST", roles=AGENTS, body=CategoryCreate, response=CategoryOut,
           status=201)
def create_category(req: ApiRequest) -> Reply:
    """A category, under `parent_id` when given."""
    item = categories.create(req.tenant_id, req.body.model_dump(mode="json"))
    reply = shown_category(item)
    reply.headers["Location"] = f"/kb/categories/{item.category_id}"
    return reply


@api.route("/kb/categories", "GET", roles=ALL_ROLES, response=CategoryPage)
def list_categories(req: ApiRequest) -> CategoryPage:
    """Categories by name; `parent_id` lists one level (`root` for the top)."""
    parent = req.query.get("parent_id")
    if parent is not None and parent != "root":
        search.category_param(parent)
    items, cursor = repository.list_categories(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("cursor"),
        None if parent is None else (repository.ROOT if parent == "root" else parent))
    return CategoryPage(items=[CategoryOut(**categories.record(i)) for i in items],
                        next_cursor=cursor)


@api.route("/kb/categories/{category_id}", "GET", roles=ALL_ROLES, response=CategoryOut)
def get_category(req: ApiRequest, category_id: str) -> Reply:
    return shown_category(categories.get(req.tenant_id, category_id))


@api.route("/kb/categories/{category_id}", "PATCH", roles=AGENTS, body=CategoryFields,
           response=CategoryOut)
def update_category(req: ApiRequest, category_id: str) -> Reply:
    """Rename or move a category (never below itself); `If-Match` guards it."""
    return shown_category(categories.update(
        req.tenant_id, category_id, req.body.model_dump(mode="json", exclude_unset=True),
        req.if_match()))


@api.route("/kb/categories/{category_id}", "DELETE", roles=AGENTS, status=204)
def delete_category(req: ApiRequest, category_id: str) -> None:
    """Delete an empty category (409 while it holds subcategories or articles)."""
    categories.delete(req.tenant_id, category_id)


# -- settings ---------------------------------------------------------------------------

@api.route("/kb/settings", "GET", roles=ADMINS, response=SettingsOut)
def get_kb_settings(req: ApiRequest) -> Reply:
    """The public site's key and the default locale."""
    body = site.shown(site.read(req.tenant_id))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/kb/settings", "PATCH", roles=ADMINS, body=SettingsIn, response=SettingsOut)
def update_kb_settings(req: ApiRequest) -> SettingsOut:
    return site.shown(site.update(req.tenant_id, req.body.default_locale, req.if_match()))


@api.route("/kb/settings/site-key", "POST", roles=ADMINS, response=SettingsOut, status=201)
def rotate_site_key(req: ApiRequest) -> SettingsOut:
    """Create the public site key, or replace it (the old one stops working at once)."""
    return site.shown(site.rotate_key(req.tenant_id))


@api.route("/kb/settings/site-key", "DELETE", roles=ADMINS, status=204)
def remove_site_key(req: ApiRequest) -> None:
    """Close the public site."""
    site.remove_key(req.tenant_id)


# -- the public self-service site -------------------------------------------------------

@api.route("/kb/public/{site_key}/articles", "GET", auth=AUTH_PUBLIC, response=HitPage)
def public_articles(req: ApiRequest, site_key: str) -> HitPage:
    """Public: published articles, newest first (`locale`, `category_id`)."""
    key = site.resolve(site_key)
    locale = search.locale_param(req.query.get("locale"), key.default_locale)
    items, cursor = search.browse(key.tenant_id, locale,
                                  search.category_param(req.query.get("category_id")),
                                  parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return HitPage(items=items, next_cursor=cursor)


@api.route("/kb/public/{site_key}/articles/{article_id}", "GET", auth=AUTH_PUBLIC,
           response=PublicArticleOut)
def public_article(req: ApiRequest, site_key: str, article_id: str) -> PublicArticleOut:
    """Public: a published article; the read counts as a view."""
    key = site.resolve(site_key)
    live = repository.read_live(key.tenant_id, article_id) if is_id(article_id, "art") else None
    if live is None:
        raise NotFound("no such article")
    return PublicArticleOut(**logic.public_record(live))


@api.route("/kb/public/{site_key}/search", "GET", auth=AUTH_PUBLIC, response=HitPage)
def public_search(req: ApiRequest, site_key: str) -> HitPage:
    """Public: published articles matching `q`, best first."""
    key = site.resolve(site_key)
    return _search(key.tenant_id, req.query, key.default_locale)
