"""Marketing's pure rules: the template sandbox, suppression hashing, tracking tokens and
segment filters, without AWS."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.errors import ValidationFailed
from tests.support.services import load_app


@pytest.fixture(scope="module")
def lib() -> Any:
    load_app("marketing")
    import chalicelib.segments.domain as segments
    import chalicelib.suppressions.domain as suppression
    import chalicelib.templates.rendering as rendering
    import chalicelib.tracking.tokens as tokens

    return type("Lib", (), {"rendering": rendering, "suppression": suppression,
                            "tokens": tokens, "segments": segments})


@pytest.mark.parametrize("source", ["{{ ''.__class__ }}", "{{ x['__globals__'] }}",
                                    "{{ x|attr('__init__') }}", "{% if %}",
                                    "{{ range(10**9)|list }}"])
def test_the_sandbox_refuses_unsafe_or_broken_templates(lib: Any, source: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        lib.rendering.check("html", source, html=True)
    assert refused.value.errors[0]["field"] == "html"


def test_missing_values_render_empty_and_html_is_escaped(lib: Any) -> None:
    out = lib.rendering.render("<b>{{ contact.first_name }}</b>{{ company.name.x }}",
                               {"contact": {"first_name": "<i>"}}, html=True)
    assert out == "<b>&lt;i&gt;</b>"
    assert lib.rendering.UNSUBSCRIBE in lib.rendering.check("html", "{{ unsubscribe_url }}")


def test_suppression_hashes_are_per_tenant_and_normalized(lib: Any) -> None:
    rules = lib.suppression
    one = rules.address_hash("ten_a", rules.normalized("email", "Ada@Example.COM"))
    assert one == rules.address_hash("ten_a", "ada@example.com")
    assert one != rules.address_hash("ten_b", "ada@example.com")
    assert rules.blocks({"unsubscribe"}, transactional=True) is None
    assert rules.blocks({"unsubscribe"}, transactional=False) == "unsubscribe"
    assert rules.blocks({"hard_bounce", "unsubscribe"}, transactional=True) == "hard_bounce"


def test_tracking_tokens_are_signed_per_kind(lib: Any) -> None:
    tokens = lib.tokens
    ref = tokens.Ref("ten_a", "CAMPAIGN_SENDS#cam_1", "con_1", 2)
    made = tokens.make("c", ref)
    assert tokens.read("c", made) == ref
    assert tokens.read("o", made) is None and tokens.read("u", made) is None
    assert tokens.read("c", made[:-2] + ("AA" if made[-2:] != "AA" else "BB")) is None
    assert tokens.read("c", "") is None and tokens.read("x", made) is None


def test_segment_filters_name_unknown_fields(lib: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        lib.segments.parse_filter({"filter_groups": [{"filters": [
            {"field": "shoe_size", "operator": "eq", "value": 1}]}]})
    assert refused.value.errors[0]["field"] == "filter.filter_groups[0].filters[0].field"
    stored = lib.segments.stored(lib.segments.parse_filter({"filter_groups": [{"filters": [
        {"field": "tags", "operator": "contains", "value": "vip"}]}]}))
    assert lib.segments.matches(stored, {"tags": ["vip", "x"]})
    assert not lib.segments.matches(stored, {"tags": ["x"]})
    assert not lib.segments.matches(None, {"tags": ["vip"]})
