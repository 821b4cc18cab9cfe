"""Keyword search over live articles, ranked by BM25 from the counts the index stores.

A search of up to five terms reads one Query per term (its best `POSTINGS` postings,
highest frequency first) and the locale's counters (one GetItem): never the table. A term
found in more articles than one Query returns counts as found in that many (a lower bound;
such a term weighs little anyway). Without terms it browses the live articles, newest
publish first.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from chalicelib.kb import domain, repository
from chalicelib.kb.models import LiveItem
from chalicelib.kb.schemas import HitOut
from crm_shared import text_index
from crm_shared.errors import ValidationFailed
from crm_shared.ids import is_id

POSTINGS = 200
MAX_QUERY_CHARS = 200


def search(tenant_id: str, query: str, locale: str, category_id: str | None,
           limit: int) -> list[HitOut]:
    """The `limit` best live articles for `query`, best first."""
    if len(query) > MAX_QUERY_CHARS:
        raise ValidationFailed.for_field("q", f"at most {MAX_QUERY_CHARS} characters")
    terms = text_index.query_terms(query, locale)
    if len(terms) > domain.MAX_QUERY_TERMS:
        raise ValidationFailed.for_field(
            "q", f"at most {domain.MAX_QUERY_TERMS} search terms (stop words aside), "
            f"not {len(terms)}")
    if not terms:
        return []
    documents, total_length = repository.locale_stats(tenant_id, locale)
    average = total_length / documents if documents else 0.0
    scores: dict[str, float] = defaultdict(float)
    lines: dict[str, dict[str, Any]] = {}
    for term in terms:
        found, _ = repository.postings(tenant_id, locale, term, POSTINGS)
        df = len(found)
        for posting in found:
            if category_id and posting.category_id != category_id:
                continue
            scores[posting.article_id] += text_index.bm25(
                int(posting.tf), int(posting.length), df, documents, average)
            lines[posting.article_id] = {"article_id": posting.article_id,
                                         "title": posting.title, "summary": posting.summary,
                                         "category_id": posting.category_id, "locale": locale}
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [HitOut(**lines[article_id], score=round(score, 4)) for article_id, score in ranked]


def hit(live: LiveItem) -> HitOut:
    doc = live.doc or {}
    return HitOut(article_id=str(live.article_id), title=doc["title"],
                  summary=domain.summary(doc.get("body") or ""),
                  category_id=doc.get("category_id"), locale=doc["locale"])


def browse(tenant_id: str, locale: str, category_id: str | None, limit: int,
           cursor: str | None) -> tuple[list[HitOut], str | None]:
    items, next_cursor = repository.list_live(tenant_id, locale, category_id, limit, cursor)
    return [hit(i) for i in items], next_cursor


def locale_param(raw: str | None, default: str) -> str:
    """`?locale=` in canonical form (the tenant's default when absent); 422 naming it."""
    if not raw:
        return default
    try:
        return domain.canonical_locale(raw)
    except ValueError as failed:
        raise ValidationFailed.for_field("locale", str(failed)) from None


def category_param(raw: str | None) -> str | None:
    if raw and not is_id(raw, "kbc"):
        raise ValidationFailed.for_field("category_id", "must be an id starting kbc_")
    return raw or None
