"""Article use cases: write drafts, publish versions (with their index postings), archive,
vote.

A publish is one transaction: the record, the new version, the live copy readers see, the
article's postings in the inverted index (stale ones deleted), the locale's counters and
ArticlePublished. Edits after a publish change the working copy only; readers keep the
published version until the next publish.
"""

from __future__ import annotations

from typing import Any

from chalicelib.kb import domain, repository
from chalicelib.kb.models import ArticleItem, LiveItem, VersionItem
from chalicelib.kb.schemas import ArticleOut, PublicArticleOut, VersionOut, VoteOut
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.service_events import ArticlePublished
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

CONTENT = ("title", "body", "category_id", "tags", "locale")


def counts(live: LiveItem | None) -> dict[str, int]:
    return {"views": int(live.views or 0) if live else 0,
            "helpful_count": int(live.helpful or 0) if live else 0,
            "unhelpful_count": int(live.unhelpful or 0) if live else 0}


def record(item: ArticleItem, live: LiveItem | None, version: int | None = None
           ) -> dict[str, Any]:
    body: dict[str, Any] = {**item.doc, **counts(live), "article_id": item.article_id,
                            "created_at": item.created_at, "updated_at": item.updated_at,
                            "version": version or item.version or 0}
    return ArticleOut(**body).model_dump(mode="json")


def public_record(live: LiveItem) -> dict[str, Any]:
    body: dict[str, Any] = {**(live.doc or {}), **counts(live), "article_id": live.article_id}
    return PublicArticleOut(**body).model_dump(mode="json")


def version_record(item: VersionItem) -> dict[str, Any]:
    return VersionOut(**{k: v for k, v in item.doc.items() if k not in {"version_number",
                                                                     "published_at"}},
                      article_id=item.article_id, version_number=int(item.number),
                      published_at=item.published_at, published_by=item.published_by
                      ).model_dump(mode="json")


def get(tenant_id: str, article_id: str,
        consistent: bool = False) -> tuple[ArticleItem, LiveItem | None]:
    item, live = (repository.get_article(tenant_id, article_id, consistent)
                  if is_id(article_id, "art") else (None, None))
    if item is None:
        raise NotFound("no such article")
    return item, live


def check_category(tenant_id: str, category_id: str | None) -> None:
    if category_id and repository.get_category(tenant_id, category_id) is None:
        raise ValidationFailed.for_field("category_id", "no such category")


def create(principal: Principal, tenant_id: str, fields: dict[str, Any]) -> ArticleItem:
    check_category(tenant_id, fields.get("category_id"))
    doc = {k: v for k, v in fields.items() if v is not None}
    doc["tags"] = sorted(set(doc.get("tags") or []))
    doc.update(status=domain.DRAFT, author_id=principal.subject, has_unpublished_changes=True)
    item = repository.new_article(tenant_id, new_id("art"), doc, clock.iso())
    repository.index_article(item)
    uow = repository.unit_of_work()
    uow.put(item, ArticleItem.PK.does_not_exist(), label="article")
    uow.commit()
    return item


def _check_version(item: ArticleItem, if_match: int | None) -> None:
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the article changed since you read it",
                                 code="version_mismatch")


def update(tenant_id: str, article_id: str, fields: dict[str, Any],
           if_match: int | None) -> tuple[ArticleItem, LiveItem | None]:
    item, live = get(tenant_id, article_id, consistent=True)
    _check_version(item, if_match)
    for required in ("title", "body", "locale"):
        if required in fields and fields[required] is None:
            raise ValidationFailed.for_field(required, "cannot be cleared")
    if fields.get("category_id") != item.doc.get("category_id"):
        check_category(tenant_id, fields.get("category_id"))
    if "tags" in fields:
        fields["tags"] = sorted(set(fields["tags"] or []))
    doc = {**item.doc, **fields}
    if not any(doc.get(k) != item.doc.get(k) for k in fields):
        return item, live
    doc["has_unpublished_changes"] = True
    item.doc = {k: v for k, v in doc.items() if v is not None}
    item.updated_at = clock.iso()
    repository.index_article(item)
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    uow.commit()
    return item, live


def publish(principal: Principal, tenant_id: str, article_id: str,
            if_match: int | None) -> tuple[ArticleItem, LiveItem | None]:
    item, live = get(tenant_id, article_id, consistent=True)
    _check_version(item, if_match)
    domain.check_publish(item.doc)
    doc, now = item.doc, clock.iso()
    was_live = doc.get("status") == domain.PUBLISHED
    number = int(doc.get("published_version") or 0) + 1
    copy = domain.published_copy(doc, number, now)
    terms, length = domain.index_terms(doc)
    uow = repository.unit_of_work()
    _stage_postings(uow, item, terms, length, doc, was_live)
    item.indexed = {"locale": doc["locale"], "terms": terms, "length": length}
    item.doc = {**doc, "status": domain.PUBLISHED, "published_version": number,
                "published_at": now, "has_unpublished_changes": False}
    item.updated_at = now
    repository.index_article(item)
    uow.put(item, label="version")
    uow.put(repository.new_version(tenant_id, article_id, number, copy, now,
                                   principal.subject), label="article_version")
    repository.stage_live(uow, tenant_id, article_id, copy, f"{now}#{article_id}")
    uow.emit(ArticlePublished(article_id=article_id, version_number=number,
                              locale=copy["locale"], article={**copy,
                                                              "article_id": article_id}),
             tenant_id, principal.actor)
    uow.commit()
    return item, live


def _stage_postings(uow: UnitOfWork, item: ArticleItem, terms: dict[str, int], length: int,
                    doc: dict[str, Any], was_live: bool) -> None:
    """Put the article's postings and delete the stale ones of its last publish; keep the
    locale counters (live articles, total length) BM25 reads."""
    tenant_id, article_id, locale = item.tenant_id, item.article_id, doc["locale"]
    old = item.indexed or {}
    old_terms: dict[str, int] = old.get("terms") or {}
    old_locale = old.get("locale")
    for term, tf in old_terms.items():
        if old_locale != locale or terms.get(term) != tf:
            uow.delete(repository.posting_key(tenant_id, str(old_locale), term, article_id, tf),
                       label="posting")
    summary = domain.summary(doc.get("body") or "")
    for term, tf in terms.items():
        uow.put(repository.new_posting(tenant_id, locale, term, article_id, tf, length,
                                       doc["title"], summary, doc.get("category_id")),
                label="posting")
    if was_live and old_locale == locale:
        repository.stage_locale_stats(uow, tenant_id, locale, 0,
                                      length - int(old.get("length") or 0))
        return
    if was_live and old_locale:
        repository.stage_locale_stats(uow, tenant_id, str(old_locale), -1,
                                      -int(old.get("length") or 0))
    repository.stage_locale_stats(uow, tenant_id, locale, 1, length)


def archive(principal: Principal, tenant_id: str, article_id: str,
            if_match: int | None) -> tuple[ArticleItem, LiveItem | None]:
    """Readers lose the article (its postings and live copy go); versions stay."""
    item, live = get(tenant_id, article_id, consistent=True)
    _check_version(item, if_match)
    domain.check_archive(item.doc)
    uow = repository.unit_of_work()
    old = item.indexed or {}
    if item.doc.get("status") == domain.PUBLISHED:
        for term, tf in (old.get("terms") or {}).items():
            uow.delete(repository.posting_key(tenant_id, str(old["locale"]), term, article_id,
                                              tf), label="posting")
        repository.stage_locale_stats(uow, tenant_id, str(old["locale"]), -1,
                                      -int(old.get("length") or 0))
        repository.stage_unlive(uow, tenant_id, article_id)
    item.indexed = None
    item.doc = {**item.doc, "status": domain.ARCHIVED}
    item.updated_at = clock.iso()
    repository.index_article(item)
    uow.put(item, label="version")
    uow.commit()
    if live is not None:
        live.live = False
    return item, live


def vote(principal: Principal, tenant_id: str, article_id: str, helpful: bool | None,
         contact_id: str | None) -> dict[str, Any]:
    """One vote per voter (the caller, or the contact it votes for) on a live article."""
    _, live = get(tenant_id, article_id)
    if helpful is None:
        raise ValidationFailed.for_field("helpful", "is required")
    if live is None or not live.live:
        raise Conflict.for_field("status", "only a published article takes votes",
                                 code="not_published")
    voter = contact_id or principal.subject
    vote_item = repository.new_vote(tenant_id, article_id, voter, helpful, clock.iso(),
                                    None if contact_id else principal.subject, contact_id)
    uow = repository.unit_of_work()
    repository.stage_vote(uow, vote_item, tenant_id)
    try:
        uow.commit()
    except TransactionConflict as failed:
        if "vote_claim" in failed.labels:
            raise Conflict.for_field("contact_id" if contact_id else "helpful",
                                     "this voter already voted on the article",
                                     code="already_voted") from None
        raise Conflict.for_field("status", "only a published article takes votes",
                                 code="not_published") from None
    shown = counts(live)
    shown["helpful_count" if helpful else "unhelpful_count"] += 1
    return VoteOut(article_id=article_id, helpful=helpful, helpful_count=shown["helpful_count"],
                   unhelpful_count=shown["unhelpful_count"]).model_dump(mode="json")
