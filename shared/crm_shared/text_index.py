"""Keyword text for inverted indexes kept in DynamoDB: terms, light stemming, BM25 scoring.

One normalization for what is indexed and what is searched, so a query term finds the items
its words were indexed under. Deliberately light: case and accents folded, stop words
dropped, English plural and verb endings trimmed (other languages keep whole words), URLs
and markdown punctuation ignored. A term is at most `MAX_TERM_LENGTH` characters of letters
and digits, so it is always safe inside a key.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

MAX_TERM_LENGTH = 40
_WORD = re.compile(r"[^\W_]+")
_URL = re.compile(r"https?://\S+|www\.\S+")

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "a about after all also am an and any are as at be because been before being but "
        "by can could did do does doing for from had has have having he her here hers him "
        "his how i if in into is it its itself just me more most my no nor not of off on "
        "once only or other our ours out over own same she should so some such than that "
        "the their theirs them then there these they this those through to too under "
        "until up very was we were what when where which while who whom why will with "
        "would you your yours"),
    "de": _words(
        "aber als am an auch auf aus bei bin bis da das dass dem den der des die dies doch "
        "du ein eine einem einen einer es fur hat ich ihr im in ist ja kann mit nach nicht "
        "noch nur oder sich sie sind so um und uns von vor war was wie wir zu zum zur"),
    "fr": _words(
        "a au aux avec ce ces comment dans de des du elle en est et il ils je la le les "
        "leur mais me mes mon ne nous on ou par pas pour qu que qui sa se ses son sur ta te "
        "tu un une vous y"),
    "es": _words(
        "a al como con de del el en es esta este la las lo los mi no o para pero por que "
        "se si sin su sus te tu un una y ya yo"),
}


def language(locale: str) -> str:
    """The primary language subtag of a BCP 47 locale (`en-GB` -> `en`)."""
    return locale.split("-", 1)[0].lower()


def fold(text: str) -> str:
    """Lowercase without accents (`Größe` -> `grosse`, `Café` -> `cafe`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str, lang: str) -> str:
    """Trim the commonest English inflections; other languages are left whole (a wrong
    stem is worse than none)."""
    if lang != "en" or len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # a silent final e goes too, so update, updates, updated and updating meet
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _undouble(word: str) -> str:
    return word[:-1] if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz" \
        else word


def terms(text: str, locale: str) -> list[str]:
    """The index terms of `text`, in order, repeats kept (they are the term frequency)."""
    lang = language(locale)
    stops = STOP_WORDS.get(lang, frozenset())
    found = []
    for word in _WORD.findall(fold(_URL.sub(" ", text))):
        if word in stops or (len(word) < 2 and not word.isdigit()):
            continue
        term = stem(word, lang)[:MAX_TERM_LENGTH]
        if term:
            found.append(term)
    return found


def term_counts(fields: Iterable[tuple[str, int]], locale: str) -> Counter[str]:
    """Weighted term frequencies of several fields: `(text, weight)` pairs (a title counts
    more than the body)."""
    counts: Counter[str] = Counter()
    for text, weight in fields:
        for term in terms(text, locale):
            counts[term] += weight
    return counts


def top_terms(counts: Counter[str], limit: int) -> dict[str, int]:
    """The `limit` most frequent terms (ties alphabetically): an index entry stays bounded."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(ranked[:limit])


def query_terms(text: str, locale: str) -> list[str]:
    """The distinct terms of a search, in the order typed."""
    return list(dict.fromkeys(terms(text, locale)))


def bm25(tf: int, length: int, df: int, documents: int, average_length: float,
         k1: float = 1.2, b: float = 0.75) -> float:
    """Okapi BM25 weight of one term in one document, from stored counts."""
    documents = max(documents, df, 1)
    idf = math.log(1 + (documents - df + 0.5) / (df + 0.5))
    norm = 1 - b + b * (length / average_length if average_length > 0 else 1)
    return idf * tf * (k1 + 1) / (tf + k1 * norm)
