"""The keyword normalization shared by indexing and searching, and BM25 from stored counts."""

from __future__ import annotations

from collections import Counter

from crm_shared import text_index


def test_terms_fold_case_accents_stop_words_urls_and_markup() -> None:
    text = "## How do I *reset* my Café password? See https://example.com/help_page now"
    assert text_index.terms(text, "en-GB") == ["reset", "cafe", "password", "see", "now"]


def test_english_inflections_meet_and_other_languages_stay_whole() -> None:
    for family in (["update", "updates", "updated", "updating"], ["reply", "replies"],
                   ["stop", "stopped", "stopping"], ["password", "passwords"]):
        assert len({text_index.stem(w, "en") for w in family}) == 1, family
    assert text_index.stem("glass", "en") == "glass" and text_index.stem("bus", "en") == "bus"
    assert text_index.terms("Die Passwörter der Kunden", "de") == ["passworter", "kunden"]


def test_terms_are_bounded_and_key_safe() -> None:
    assert text_index.terms("x" * 80 + " ab_cd#ef 7", "en") == ["x" * 40, "ab", "cd", "ef", "7"]
    assert all(t.isalnum() for t in text_index.terms("a#b|c/d e-mail ünïcode", "en"))


def test_top_terms_keep_the_most_frequent_then_alphabetical() -> None:
    counts = Counter({"zeta": 2, "alpha": 2, "beta": 5, "gamma": 1})
    assert text_index.top_terms(counts, 3) == {"beta": 5, "alpha": 2, "zeta": 2}
    weighted = text_index.term_counts([("Printer", 3), ("printer jams", 1)], "en")
    assert weighted == Counter({"printer": 4, "jam": 1})


def test_query_terms_are_distinct_in_order() -> None:
    assert text_index.query_terms("reset the Reset password", "en") == ["reset", "password"]


def test_bm25_prefers_rare_terms_frequent_use_and_short_documents() -> None:
    common = text_index.bm25(tf=1, length=10, df=90, documents=100, average_length=10)
    rare = text_index.bm25(tf=1, length=10, df=2, documents=100, average_length=10)
    often = text_index.bm25(tf=5, length=10, df=2, documents=100, average_length=10)
    longer = text_index.bm25(tf=1, length=40, df=2, documents=100, average_length=10)
    assert 0 < common < rare < often and longer < rare
    assert text_index.bm25(tf=1, length=5, df=3, documents=0, average_length=0) > 0
