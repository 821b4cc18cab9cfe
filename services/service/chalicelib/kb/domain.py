"""Knowledge-base rules in plain Python: locales, the article status flow, what is indexed."""

from __future__ import annotations

import re
from typing import Any

from crm_shared import text_index
from crm_shared.errors import Conflict

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
# Postings of an article are written in its publish transaction: one put per term and, on a
# republish, one delete per stale term, beside the record, its version, its live copy, the
# outbox and two locale counters: 2 * 47 + 6 = 100 items, DynamoDB's transaction limit.
# An article is found by its 45 most frequent terms (title words count triple).
MAX_TERMS = 45
MAX_QUERY_TERMS = 5
TITLE_WEIGHT, TAG_WEIGHT = 3, 2
SUMMARY_CHARS = 200
MAX_CATEGORY_DEPTH = 8

# RFC 5646 language tag (no grandfathered tags): language, script, region, variants,
# extensions, private use.
_BCP47 = re.compile(
    r"^(?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|\d{3}))?"
    r"(?P<rest>(?:-(?:[a-z0-9]{5,8}|\d[a-z0-9]{3}))*"
    r"(?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?)$")


def canonical_locale(value: str) -> str:
    """A BCP 47 tag in its canonical case (`EN-gb` -> `en-GB`, `zh-hant-tw` ->
    `zh-Hant-TW`); ValueError when it is not one."""
    match = _BCP47.match(value.strip().replace("_", "-").lower()) if len(value) <= 35 else None
    if match is None:
        raise ValueError("must be a BCP 47 language tag such as en, en-GB or zh-Hant-TW")
    parts = [match["language"]]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts) + (match["rest"] or "")


# what each action may start from
PUBLISH_FROM = frozenset({DRAFT, PUBLISHED, ARCHIVED})
ARCHIVE_FROM = frozenset({DRAFT, PUBLISHED})


def check_publish(doc: dict[str, Any]) -> None:
    if doc.get("status") == PUBLISHED and not doc.get("has_unpublished_changes"):
        raise Conflict.for_field("status", "the article is published and has no changes "
                                 "since", code="nothing_to_publish")


def check_archive(doc: dict[str, Any]) -> None:
    if doc.get("status") not in ARCHIVE_FROM:
        raise Conflict.for_field("status", f"{doc.get('status')} may move to published, "
                                 "not archived", code="invalid_transition")


def plain(markdown: str) -> str:
    """Markdown without its markup, for a result line."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[#>*_`~|]+", " ", text)
    return " ".join(text.split())


def summary(body: str) -> str:
    text = plain(body)
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1].rstrip() + "…"


def index_terms(doc: dict[str, Any]) -> tuple[dict[str, int], int]:
    """The article's bounded terms (term -> weighted frequency) and its length in terms."""
    counts = text_index.term_counts(
        [(doc["title"], TITLE_WEIGHT), (doc.get("body") or "", 1),
         (" ".join(doc.get("tags") or []), TAG_WEIGHT)], doc["locale"])
    return text_index.top_terms(counts, MAX_TERMS), sum(counts.values())


def published_copy(doc: dict[str, Any], number: int, at: str) -> dict[str, Any]:
    """What readers get of a version: the content, not the working state."""
    fields = ("title", "body", "category_id", "tags", "locale")
    return {**{k: doc.get(k) for k in fields}, "version_number": number, "published_at": at}
