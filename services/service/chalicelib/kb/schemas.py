"""Request and response bodies of /kb: articles, versions, votes, categories, settings and the
public self-service site."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.kb.domain import canonical_locale
from chalicelib.tickets.schemas import CONTACT_ID, Tag
from crm_shared.validation import Payload

CATEGORY_ID = r"^kbc_[0-9A-HJKMNP-TV-Z]{26}$"
Locale = Annotated[str, AfterValidator(canonical_locale)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(max_length=100_000)]


class ArticleFields(Payload):
    """On PATCH only the fields sent change (null clears category_id)."""

    title: Title | None = None
    body: Body | None = None
    category_id: str | None = Field(default=None, pattern=CATEGORY_ID)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    locale: Locale | None = None


class ArticleCreate(ArticleFields):
    title: Title
    body: Body = ""
    locale: Locale = "en"


class ArticleOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    article_id: str
    title: str
    body: str
    category_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    locale: str
    status: str
    author_id: str | None = None
    published_version: int | None = None
    published_at: str | None = None
    has_unpublished_changes: bool = False
    views: int = 0
    helpful_count: int = 0
    unhelpful_count: int = 0
    created_at: str
    updated_at: str
    version: int


class ArticlePage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ArticleOut]
    next_cursor: str | None


class VersionOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    article_id: str
    version_number: int
    title: str
    body: str
    category_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    locale: str
    published_at: str
    published_by: str | None = None


class VersionPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[VersionOut]
    next_cursor: str | None


class VoteIn(Payload):
    """`helpful` is optional here so an unknown article is a 404 before the body is judged.
    `contact_id` records a customer's vote an agent or the portal passes on: the claim is
    then the contact's, not the caller's."""

    helpful: bool | None = None
    contact_id: str | None = Field(default=None, pattern=CONTACT_ID)


class VoteOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    article_id: str
    helpful: bool
    helpful_count: int
    unhelpful_count: int


class HitOut(BaseModel):
    """A search or browse result: enough for a result line."""

    model_config = ConfigDict(defer_build=True)

    article_id: str
    title: str
    summary: str | None = None
    category_id: str | None = None
    locale: str
    score: float | None = None


class HitPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[HitOut]
    next_cursor: str | None


class PublicArticleOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    article_id: str
    title: str
    body: str
    category_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    locale: str
    version_number: int
    published_at: str
    views: int = 0
    helpful_count: int = 0
    unhelpful_count: int = 0


class CategoryFields(Payload):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    parent_id: str | None = Field(default=None, pattern=CATEGORY_ID)


class CategoryCreate(CategoryFields):
    name: str = Field(min_length=1, max_length=100)


class CategoryOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    category_id: str
    name: str
    description: str | None = None
    parent_id: str | None = None
    created_at: str
    updated_at: str
    version: int


class CategoryPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[CategoryOut]
    next_cursor: str | None


class SettingsIn(Payload):
    default_locale: Locale


class SettingsOut(BaseModel):
    """`site_key` opens /kb/public/{site_key}/... to anyone: rotate it to shut old links."""

    model_config = ConfigDict(defer_build=True)

    site_key: str | None = None
    default_locale: str
    version: int
