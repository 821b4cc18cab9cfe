"""Tests of crm_shared.filters: operators, validation errors, properties against a
reference evaluator, and query planning."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_shared.filters import (
    MAX_FILTER_GROUPS,
    MAX_FILTERS_PER_GROUP,
    MAX_IN_VALUES,
    Filter,
    FilterError,
    FilterGroup,
    IndexSpec,
    QueryPlan,
    SearchRequest,
    SortCondition,
    matches,
    parse_search,
    plan,
)

PROPERTY_SETTINGS = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def f(field: Any, operator: str, **operands: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, **operands}


def search(*groups: list[dict[str, Any]], **extra: Any) -> SearchRequest:
    return parse_search({"filter_groups": [{"filters": g} for g in groups], **extra})


def one(filter_: dict[str, Any], record: dict[str, Any]) -> bool:
    return search([filter_]).matches(record)


def errors_of(payload: Any, allowed: AbstractSet[str] | None = None) -> list[dict[str, str]]:
    with pytest.raises(FilterError) as info:
        parse_search(payload, allowed)
    return info.value.errors


def error_fields(payload: Any, allowed: AbstractSet[str] | None = None) -> set[str]:
    return {e["field"] for e in errors_of(payload, allowed)}


RECORD: dict[str, Any] = {
    "email": "ada@example.com",
    "lifecycle_stage": "lead",
    "score": 42,
    "ratio": 0.5,
    "is_active": True,
    "tags": ["vip", "partner"],
    "numbers": [1, 2, 3],
    "created_at": "2024-03-01T10:00:00Z",
    "nothing": None,
    "empty_list": [],
    "properties": {"employees": 800, "industry": "software", "deep": {"level": 3}},
    "utm": {"source": "newsletter"},
}


# --------------------------------------------------------------------------- operators


class TestEq:
    def test_string_case_insensitive(self) -> None:
        assert one(f("lifecycle_stage", "eq", value="lead"), RECORD)
        assert one(f("lifecycle_stage", "eq", value="LEAD"), RECORD)
        assert not one(f("lifecycle_stage", "eq", value="customer"), RECORD)

    def test_numbers_int_and_float(self) -> None:
        assert one(f("score", "eq", value=42), RECORD)
        assert one(f("score", "eq", value=42.0), RECORD)
        assert one(f("ratio", "eq", value=0.5), RECORD)

    def test_bool(self) -> None:
        assert one(f("is_active", "eq", value=True), RECORD)
        assert not one(f("is_active", "eq", value=False), RECORD)

    def test_bool_is_not_a_number(self) -> None:
        assert not one(f("is_active", "eq", value=1), RECORD)
        assert not one(f("flag", "eq", value=True), {"flag": 1})

    def test_type_mismatch(self) -> None:
        assert not one(f("score", "eq", value="42"), RECORD)
        assert not one(f("properties", "eq", value="x"), RECORD)

    def test_missing_and_null(self) -> None:
        assert not one(f("missing", "eq", value="x"), RECORD)
        assert not one(f("nothing", "eq", value="x"), RECORD)

    def test_list_any_element(self) -> None:
        assert one(f("tags", "eq", value="vip"), RECORD)
        assert one(f("tags", "eq", value="VIP"), RECORD)
        assert one(f("numbers", "eq", value=2), RECORD)
        assert not one(f("tags", "eq", value="gold"), RECORD)
        assert not one(f("empty_list", "eq", value="x"), RECORD)

    def test_dotted_path(self) -> None:
        assert one(f("properties.industry", "eq", value="software"), RECORD)
        assert one(f("utm.source", "eq", value="newsletter"), RECORD)
        assert one(f("properties.deep.level", "eq", value=3), RECORD)
        assert not one(f("properties.missing", "eq", value=3), RECORD)
        # a scalar in the middle of the path is a missing field, not an error
        assert not one(f("score.x", "eq", value=3), RECORD)
        assert not one(f("tags.x", "eq", value=3), RECORD)

    def test_decimal_from_dynamodb(self) -> None:
        record = {"amount": Decimal("0.1"), "count": Decimal(3)}
        assert one(f("amount", "eq", value=0.1), record)
        assert one(f("count", "eq", value=3), record)
        assert one(f("amount", "lt", value=0.2), record)

    def test_nan_in_a_record_is_comparable_with_nothing(self) -> None:
        for nan in (float("nan"), Decimal("NaN"), Decimal("sNaN")):
            record = {"x": nan}
            assert not one(f("x", "eq", value=1), record)
            assert not one(f("x", "neq", value=1), record)
            assert not one(f("x", "lt", value=1), record)
            assert not one(f("x", "between", value=0, high_value=1), record)
            assert one(f("x", "exists"), record)


class TestNeq:
    def test_basic(self) -> None:
        assert one(f("lifecycle_stage", "neq", value="customer"), RECORD)
        assert not one(f("lifecycle_stage", "neq", value="LEAD"), RECORD)

    def test_missing_matches(self) -> None:
        assert one(f("missing", "neq", value="x"), RECORD)
        assert one(f("nothing", "neq", value="x"), RECORD)
        assert one(f("properties.missing", "neq", value=1), RECORD)

    def test_type_mismatch_never_matches(self) -> None:
        assert not one(f("score", "neq", value="x"), RECORD)
        assert not one(f("is_active", "neq", value=0), RECORD)
        assert not one(f("properties", "neq", value=1), RECORD)

    def test_list_no_element(self) -> None:
        assert one(f("tags", "neq", value="gold"), RECORD)
        assert not one(f("tags", "neq", value="Vip"), RECORD)
        assert one(f("empty_list", "neq", value="x"), RECORD)


class TestOrdering:
    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("lt", 43, True),
            ("lt", 42, False),
            ("lte", 42, True),
            ("lte", 41.5, False),
            ("gt", 41, True),
            ("gt", 42, False),
            ("gte", 42, True),
            ("gte", 42.5, False),
        ],
    )
    def test_numbers(self, operator: str, value: float, expected: bool) -> None:
        assert one(f("score", operator, value=value), RECORD) is expected

    def test_iso_timestamps_compare_as_strings(self) -> None:
        assert one(f("created_at", "gte", value="2024-03-01"), RECORD)
        assert one(f("created_at", "lt", value="2024-03-02"), RECORD)
        assert not one(f("created_at", "gt", value="2024-03-01T10:00:00Z"), RECORD)

    def test_strings_are_ordinal(self) -> None:
        # ordinal, like a DynamoDB sort key: "B" < "a"
        assert one(f("name", "lt", value="a"), {"name": "B"})

    def test_type_mismatch_and_missing(self) -> None:
        assert not one(f("score", "gt", value="1"), RECORD)
        assert not one(f("created_at", "gt", value=1), RECORD)
        assert not one(f("is_active", "gte", value=0), RECORD)
        assert not one(f("missing", "lt", value=1), RECORD)
        assert not one(f("numbers", "gt", value=0), RECORD)  # lists never range-match

    def test_nested(self) -> None:
        assert one(f("properties.employees", "gt", value=500), RECORD)
        assert not one(f("properties.employees", "gt", value=800), RECORD)


class TestBetween:
    def test_inclusive(self) -> None:
        assert one(f("score", "between", value=42, high_value=50), RECORD)
        assert one(f("score", "between", value=1, high_value=42), RECORD)
        assert one(f("score", "between", value=42, high_value=42), RECORD)
        assert not one(f("score", "between", value=43, high_value=50), RECORD)

    def test_strings(self) -> None:
        rng = f("created_at", "between", value="2024-03-01", high_value="2024-03-31")
        assert one(rng, RECORD)
        assert not one(rng, {"created_at": "2024-04-01T00:00:00Z"})

    def test_mismatch_and_missing(self) -> None:
        assert not one(f("score", "between", value="a", high_value="z"), RECORD)
        assert not one(f("missing", "between", value=1, high_value=2), RECORD)
        assert not one(f("is_active", "between", value=0, high_value=2), RECORD)


class TestInNotIn:
    def test_in(self) -> None:
        assert one(f("lifecycle_stage", "in", values=["customer", "LEAD"]), RECORD)
        assert not one(f("lifecycle_stage", "in", values=["customer"]), RECORD)
        assert one(f("score", "in", values=[1, 42]), RECORD)

    def test_in_list_field(self) -> None:
        assert one(f("tags", "in", values=["gold", "partner"]), RECORD)
        assert not one(f("tags", "in", values=["gold"]), RECORD)

    def test_in_missing_or_mismatch(self) -> None:
        assert not one(f("missing", "in", values=["x"]), RECORD)
        assert not one(f("score", "in", values=["42"]), RECORD)

    def test_not_in(self) -> None:
        assert one(f("lifecycle_stage", "not_in", values=["customer"]), RECORD)
        assert not one(f("lifecycle_stage", "not_in", values=["customer", "Lead"]), RECORD)

    def test_not_in_missing_matches_mismatch_does_not(self) -> None:
        assert one(f("missing", "not_in", values=["x"]), RECORD)
        assert one(f("nothing", "not_in", values=[1]), RECORD)
        assert not one(f("score", "not_in", values=["x"]), RECORD)

    def test_not_in_list_field(self) -> None:
        assert one(f("tags", "not_in", values=["gold"]), RECORD)
        assert not one(f("tags", "not_in", values=["gold", "vip"]), RECORD)


class TestContainsPrefix:
    def test_substring_case_insensitive(self) -> None:
        assert one(f("email", "contains", value="EXAMPLE"), RECORD)
        assert not one(f("email", "contains", value="acme"), RECORD)

    def test_list_membership(self) -> None:
        assert one(f("tags", "contains", value="VIP"), RECORD)
        assert not one(f("tags", "contains", value="vi"), RECORD)  # membership, not substring
        assert one(f("numbers", "contains", value=3), RECORD)

    def test_contains_mismatch_and_missing(self) -> None:
        assert not one(f("score", "contains", value="4"), RECORD)
        assert not one(f("email", "contains", value=1), RECORD)
        assert not one(f("missing", "contains", value="a"), RECORD)

    def test_prefix(self) -> None:
        assert one(f("email", "prefix", value="ADA@"), RECORD)
        assert not one(f("email", "prefix", value="example"), RECORD)
        assert not one(f("score", "prefix", value="4"), RECORD)
        assert not one(f("tags", "prefix", value="v"), RECORD)
        assert not one(f("missing", "prefix", value=""), RECORD)


class TestExists:
    def test_exists(self) -> None:
        assert one(f("email", "exists"), RECORD)
        assert one(f("empty_list", "exists"), RECORD)
        assert one(f("properties.deep", "exists"), RECORD)
        assert not one(f("missing", "exists"), RECORD)
        assert not one(f("nothing", "exists"), RECORD)  # null is missing

    def test_not_exists(self) -> None:
        assert one(f("missing", "not_exists"), RECORD)
        assert one(f("nothing", "not_exists"), RECORD)
        assert one(f("score.sub", "not_exists"), RECORD)
        assert not one(f("utm.source", "not_exists"), RECORD)


class TestGroups:
    def test_empty_filter_groups_match_everything(self) -> None:
        assert parse_search({}).matches({})
        assert matches([], RECORD)

    def test_or_of_ands(self) -> None:
        request = search(
            [f("lifecycle_stage", "eq", value="customer"), f("score", "gt", value=1)],
            [f("tags", "eq", value="vip"), f("properties.employees", "gt", value=500)],
        )
        assert request.matches(RECORD)
        assert matches(request.filter_groups, RECORD)
        assert not request.matches({**RECORD, "tags": []})

    def test_and_within_group(self) -> None:
        request = search([f("score", "gt", value=1), f("score", "lt", value=10)])
        assert not request.matches(RECORD)
        assert request.matches({"score": 5})

    def test_defaults_and_round_trip(self) -> None:
        request = search(
            [f("score", "between", value=1, high_value=2)],
            sort=[{"field": "updated_at", "direction": "desc"}],
            cursor="abc",
        )
        assert request.limit == 25
        assert request.sort[0].direction == "desc"
        dumped = request.model_dump(exclude_none=True)
        assert parse_search(dumped) == request

    def test_decimal_operands_from_stored_rules(self) -> None:
        request = search([f("score", "between", value=Decimal(40), high_value=Decimal("42.5"))])
        assert request.filter_groups[0].filters[0].value == 40
        assert request.matches(RECORD)

    def test_models_can_be_built_directly(self) -> None:
        group = FilterGroup(filters=[Filter(field="score", operator="eq", value=42)])
        assert matches([group], RECORD)


# --------------------------------------------------------------------------- validation

P = "filter_groups[0].filters[0]"


def single(filter_: Any) -> dict[str, Any]:
    return {"filter_groups": [{"filters": [filter_]}]}


@pytest.mark.parametrize(
    ("filter_", "field", "message"),
    [
        (f("a", "like", value="x"), f"{P}.operator", "Input should be"),
        ({"field": "a", "value": 1}, f"{P}.operator", "required"),
        ({"operator": "exists"}, f"{P}.field", "required"),
        (f("Properties.x", "exists"), f"{P}.field", "dotted path"),
        (f("a..b", "exists"), f"{P}.field", "dotted path"),
        (f("a-b", "exists"), f"{P}.field", "dotted path"),
        (f("", "exists"), f"{P}.field", "dotted path"),
        (f(5, "exists"), f"{P}.field", "string"),
        (f("a", "eq"), f"{P}.value", "required"),
        (f("a", "eq", value=None), f"{P}.value", "required"),
        (f("a", "eq", value={"x": 1}), f"{P}.value", "string, a number or a boolean"),
        (f("a", "eq", value=["x"]), f"{P}.value", "string, a number or a boolean"),
        (f("a", "eq", value=float("nan")), f"{P}.value", "finite"),
        (f("a", "lt", value=True), f"{P}.value", "number or a string"),
        (f("a", "gte"), f"{P}.value", "required"),
        (f("a", "prefix", value=1), f"{P}.value", "string"),
        (f("a", "contains"), f"{P}.value", "required"),
        (f("a", "between", value=1), f"{P}.high_value", "required"),
        (f("a", "between", high_value=1), f"{P}.value", "required"),
        (f("a", "between", value=1, high_value="2"), f"{P}.high_value", "same type"),
        (f("a", "between", value=2, high_value=1), f"{P}.high_value", "less than"),
        (f("a", "between", value=False, high_value=True), f"{P}.value", "number or a string"),
        (f("a", "eq", value=1, high_value=2), f"{P}.high_value", "only allowed"),
        (f("a", "in"), f"{P}.values", "required"),
        (f("a", "in", values=[]), f"{P}.values", "non-empty"),
        (f("a", "in", values="x"), f"{P}.values", "non-empty list"),
        (f("a", "in", value="x"), f"{P}.value", "values"),
        (f("a", "not_in", values=[1, "1"]), f"{P}.values", "all strings"),
        (f("a", "not_in", values=[1, True]), f"{P}.values", "all strings"),
        (f("a", "in", values=[{"x": 1}]), f"{P}.values", "string, a number or a boolean"),
        (f("a", "in", values=list(range(MAX_IN_VALUES + 1))), f"{P}.values", "at most"),
        (f("a", "eq", value=1, values=[1]), f"{P}.values", "only allowed"),
        (f("a", "exists", value=1), f"{P}.value", "not allowed"),
        (f("a", "not_exists", values=[1]), f"{P}.values", "only allowed"),
        (f("a", "exists", extra=1), f"{P}.extra", "Extra inputs"),
        ("eq", P, "valid dictionary"),
    ],
)
def test_bad_filter(filter_: Any, field: str, message: str) -> None:
    errors = errors_of(single(filter_))
    assert field in {e["field"] for e in errors}, errors
    assert any(e["field"] == field and message in e["message"] for e in errors), errors


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"filter_groups": [{"filters": [f("a", "exists")]}] * 6}, "filter_groups"),
        ({"filter_groups": [{"filters": [f("a", "exists")] * 11}]}, "filter_groups[0].filters"),
        ({"filter_groups": [{"filters": []}]}, "filter_groups[0].filters"),
        ({"filter_groups": [{}]}, "filter_groups[0].filters"),
        ({"filter_groups": [{"filters": [], "x": 1}]}, "filter_groups[0].x"),
        ({"filter_groups": {"filters": []}}, "filter_groups"),
        ({"sort": [{"field": "a"}] * 4}, "sort"),
        ({"sort": [{"field": "a", "direction": "up"}]}, "sort[0].direction"),
        ({"sort": [{"field": "A"}]}, "sort[0].field"),
        ({"sort": [{"direction": "asc"}]}, "sort[0].field"),
        ({"sort": [{"field": "a", "order": "asc"}]}, "sort[0].order"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"limit": True}, "limit"),
        ({"limit": 1.5}, "limit"),
        ({"cursor": 5}, "cursor"),
        ({"query": "x"}, "query"),
        ([], "body"),
    ],
)
def test_bad_request(payload: Any, field: str) -> None:
    assert field in error_fields(payload)


def test_limits_are_the_constants() -> None:
    group = {"filters": [f("a", "exists")] * MAX_FILTERS_PER_GROUP}
    assert len(parse_search({"filter_groups": [group] * MAX_FILTER_GROUPS}).filter_groups) == 5
    assert parse_search({"limit": 100}).limit == 100


def test_all_errors_are_reported_with_their_location() -> None:
    payload = {
        "filter_groups": [
            {"filters": [f("a", "exists")]},
            {"filters": [f("a", "eq", value=1), f("b", "between", value=1, high_value="z")]},
        ],
        "limit": 0,
    }
    assert error_fields(payload) == {"filter_groups[1].filters[1].high_value", "limit"}
    error = FilterError([{"field": "limit", "message": "too small"}])
    assert str(error) == "limit: too small"
    assert isinstance(error, Exception)


class TestAllowedFields:
    allowed = frozenset({"email", "properties", "utm.source"})

    def test_allowed_and_prefixes(self) -> None:
        payload = single(f("properties.employees", "gt", value=1))
        assert parse_search(payload, self.allowed).filter_groups
        assert parse_search(single(f("utm.source", "exists")), self.allowed)
        assert parse_search(single(f("utm.source.x", "exists")), self.allowed)

    @pytest.mark.parametrize("field", ["score", "utm", "utm.medium", "prop", "email_x"])
    def test_not_allowed(self, field: str) -> None:
        errors = errors_of(single(f(field, "exists")), self.allowed)
        assert errors == [{"field": f"{P}.field", "message": errors[0]["message"]}]
        assert field in errors[0]["message"]

    def test_sort_fields_are_checked_too(self) -> None:
        payload = {"sort": [{"field": "email"}, {"field": "score", "direction": "desc"}]}
        assert error_fields(payload, self.allowed) == {"sort[1].field"}

    def test_no_allow_list_allows_any_well_formed_field(self) -> None:
        assert parse_search(single(f("anything.at.all", "exists")))


# --------------------------------------------------------------------------- properties
# A deliberately plain reference evaluator, sharing no code with the module.

MISSING = object()
FIELDS = ["n", "s", "tags", "flag", "props.x", "props.y", "props.x.z"]
# Small pools, so that equal values, prefixes and bounds collide often.
STRINGS = ["", "a", "A", "ab", "aB", "b", "2024-01-01", "2024-01-01T09:00:00Z"]
NUMBERS: list[int | float] = [-1, 0, 1, 2, 1.0, 0.5]

strings = st.sampled_from(STRINGS)
numbers = st.sampled_from(NUMBERS)
scalars = st.one_of(strings, numbers, st.booleans())
record_values = st.one_of(
    scalars,
    scalars,
    scalars,
    st.lists(st.one_of(strings, numbers, st.booleans()), max_size=3),
    st.none(),
    st.fixed_dictionaries({}, optional={"z": scalars}),
)


@st.composite
def records(draw: st.DrawFn, values: st.SearchStrategy[Any] = record_values) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in ["n", "s", "tags", "flag"]:
        if draw(st.integers(0, 3)):
            record[name] = draw(values)
    shape = draw(st.sampled_from(["missing", "dict", "dict", "scalar"]))
    if shape == "dict":
        props: dict[str, Any] = {}
        for name in ["x", "y"]:
            if draw(st.integers(0, 3)):
                props[name] = draw(values)
        record["props"] = props
    elif shape == "scalar":
        record["props"] = draw(scalars)
    return record


@st.composite
def filters(draw: st.DrawFn, fields: list[str] = FIELDS) -> dict[str, Any]:
    field = draw(st.sampled_from(fields))
    op = draw(
        st.sampled_from(
            [
                "eq", "neq", "lt", "lte", "gt", "gte", "between", "in", "not_in",
                "contains", "prefix", "exists", "not_exists",
            ]
        )
    )  # fmt: skip
    if op in ("eq", "neq", "contains"):
        return f(field, op, value=draw(scalars))
    if op in ("lt", "lte", "gt", "gte"):
        return f(field, op, value=draw(st.one_of(strings, numbers)))
    if op == "between":
        kind = draw(st.sampled_from([strings, numbers]))
        low, high = sorted([draw(kind), draw(kind)])
        return f(field, op, value=low, high_value=high)
    if op in ("in", "not_in"):
        kind = draw(st.sampled_from([strings, numbers, st.booleans()]))
        return f(field, op, values=draw(st.lists(kind, min_size=1, max_size=3)))
    if op == "prefix":
        return f(field, op, value=draw(strings))
    return f(field, op)


filter_groups = st.lists(
    st.lists(filters(), min_size=1, max_size=4).map(lambda fs: {"filters": fs}), max_size=3
)


def ref_get(record: dict[str, Any], field: str) -> Any:
    current: Any = record
    for part in field.split("."):
        if type(current) is not dict or part not in current:
            return MISSING
        current = current[part]
    if current is None:
        return MISSING
    return current


def ref_type(value: Any) -> str:
    if value is True or value is False:
        return "bool"
    if type(value) in (int, float):
        return "number"
    if type(value) is str:
        return "string"
    return "other"


def ref_same(a: Any, b: Any) -> bool:
    if ref_type(a) == "other" or ref_type(a) != ref_type(b):
        return False
    if ref_type(a) == "string":
        return bool(a.lower() == b.lower())
    return bool(a == b)


def ref_eq(actual: Any, expected: Any) -> bool:
    if type(actual) is list:
        return any(ref_same(item, expected) for item in actual)
    return ref_same(actual, expected)


def ref_less(a: Any, b: Any) -> bool | None:
    """None when a and b cannot be ordered against each other."""
    if ref_type(a) not in ("number", "string") or ref_type(a) != ref_type(b):
        return None
    return bool(a < b)


def ref_filter(flt: dict[str, Any], record: dict[str, Any]) -> bool:
    op = flt["operator"]
    actual = ref_get(record, flt["field"])
    value: Any = flt.get("value")
    if op == "exists":
        return actual is not MISSING
    if op == "not_exists":
        return actual is MISSING
    if op == "neq":
        if actual is MISSING or type(actual) is list:
            return not ref_eq(actual, value)
        return ref_type(actual) == ref_type(value) and not ref_same(actual, value)
    if op == "not_in":
        if actual is MISSING or type(actual) is list:
            return all(not ref_eq(actual, v) for v in flt["values"])
        if ref_type(actual) != ref_type(flt["values"][0]):
            return False
        return all(not ref_same(actual, v) for v in flt["values"])
    if actual is MISSING:
        return False
    if op == "eq":
        return ref_eq(actual, value)
    if op == "in":
        return any(ref_eq(actual, v) for v in flt["values"])
    if op == "contains":
        if type(actual) is list:
            return any(ref_same(item, value) for item in actual)
        if type(actual) is str and type(value) is str:
            return value.lower() in actual.lower()
        return False
    if op == "prefix":
        return type(actual) is str and actual.lower()[: len(value)] == value.lower()
    if op == "lt":
        return ref_less(actual, value) is True
    if op == "gt":
        return ref_less(value, actual) is True
    if op == "lte":
        return ref_less(value, actual) is False
    if op == "gte":
        return ref_less(actual, value) is False
    if op == "between":
        return ref_less(actual, value) is False and ref_less(flt["high_value"], actual) is False
    raise AssertionError(op)


def ref_matches(groups: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    if not groups:
        return True
    return any(all(ref_filter(x, record) for x in g["filters"]) for g in groups)


@PROPERTY_SETTINGS
@given(groups=filter_groups, record=records())
def test_matches_agrees_with_reference(
    groups: list[dict[str, Any]], record: dict[str, Any]
) -> None:
    request = parse_search({"filter_groups": groups})
    assert request.matches(record) == ref_matches(groups, record)
    for group, model in zip(groups, request.filter_groups, strict=True):
        for raw, flt in zip(group["filters"], model.filters, strict=True):
            assert flt.matches(record) == ref_filter(raw, record), (raw, record)


@settings(max_examples=300, deadline=None)
@given(flt=filters(), record=records())
def test_single_filter_agrees_with_reference(flt: dict[str, Any], record: dict[str, Any]) -> None:
    assert one(flt, record) == ref_filter(flt, record)


@PROPERTY_SETTINGS
@given(flt=filters())
def test_negations_are_complements_on_present_comparable_fields(flt: dict[str, Any]) -> None:
    """neq/not_in are exact complements of eq/in where the field holds a string."""
    listed = "values" in flt and type(flt["values"][0]) is not str
    if flt["operator"] not in ("eq", "in") or listed:
        return
    if "value" in flt and type(flt["value"]) is not str:
        return
    negated = {**flt, "operator": "neq" if flt["operator"] == "eq" else "not_in"}
    for text in STRINGS:
        record = {"s": text, "tags": [text], "n": text, "flag": text, "props": {"x": text}}
        assert one(flt, record) != one(negated, record)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
vocabulary = st.sampled_from(
    ["filter_groups", "filters", "field", "operator", "value", "high_value", "values",
     "sort", "direction", "limit", "cursor", "eq", "in", "between", "a.b"]
)  # fmt: skip
junk_payloads = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 200) | vocabulary | st.floats(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(vocabulary, children, max_size=4)
    ),
    max_leaves=20,
)


@PROPERTY_SETTINGS
@given(payload=junk_payloads)
def test_bad_input_only_ever_raises_filter_error(payload: Any) -> None:
    try:
        parse_search(payload, {"a"})
    except FilterError as exc:
        assert exc.errors
        for error in exc.errors:
            assert set(error) == {"field", "message"}
            assert error["field"] and error["message"]


@PROPERTY_SETTINGS
@given(groups=filter_groups, record=st.dictionaries(st.sampled_from(FIELDS), json_values))
def test_matches_never_raises_on_arbitrary_records(
    groups: list[dict[str, Any]], record: dict[str, Any]
) -> None:
    parse_search({"filter_groups": groups}).matches(record)


# --------------------------------------------------------------------------- planning

BY_STAGE = IndexSpec("GSI1", "lifecycle_stage", "updated_at")
BY_OWNER = IndexSpec("GSI2", "owner_id", None)
BY_COMPANY = IndexSpec("GSI3", "company_id", "updated_at")
INDEXES = [BY_STAGE, BY_OWNER, BY_COMPANY]


class TestPlan:
    def test_eq_on_partition_field_picks_index(self) -> None:
        request = search([f("owner_id", "eq", value="usr_1"), f("score", "gt", value=5)])
        result = plan(request, INDEXES)
        assert result == QueryPlan(
            index=BY_OWNER,
            partition_value="usr_1",
            sort_condition=None,
            residual=(request.filter_groups[0].filters[1],),
        )
        assert result.matches({"owner_id": "usr_1", "score": 6})
        assert not result.matches({"owner_id": "usr_1", "score": 5})

    def test_sort_range_is_consumed(self) -> None:
        request = search(
            [
                f("score", "gt", value=5),
                f("lifecycle_stage", "eq", value="Lead"),
                f("updated_at", "between", value="2024-01-01", high_value="2024-02-01"),
            ]
        )
        result = plan(request, INDEXES)
        assert result is not None
        assert result.index == BY_STAGE
        assert result.partition_value == "lead"  # lowercased like the stored enum
        assert result.sort_condition == SortCondition("between", "2024-01-01", "2024-02-01")
        assert result.residual == (request.filter_groups[0].filters[0],)

    @pytest.mark.parametrize("operator", ["lt", "lte", "gt", "gte"])
    def test_each_range_operator(self, operator: str) -> None:
        request = search(
            [f("company_id", "eq", value="com_1"), f("updated_at", operator, value="2024")]
        )
        result = plan(request, INDEXES)
        assert result is not None
        assert result.sort_condition == SortCondition(operator, "2024")
        assert result.residual == ()

    def test_prefix_is_a_sort_condition_and_lowercased(self) -> None:
        request = search([f("company_id", "eq", value=7), f("updated_at", "prefix", value="AB")])
        result = plan(request, INDEXES)
        assert result is not None
        assert result.partition_value == 7
        assert result.sort_condition == SortCondition("prefix", "ab")

    def test_prefers_index_that_consumes_a_sort_condition(self) -> None:
        request = search(
            [
                f("owner_id", "eq", value="usr_1"),
                f("company_id", "eq", value="com_1"),
                f("updated_at", "gte", value="2024"),
            ]
        )
        result = plan(request, INDEXES)
        assert result is not None
        assert result.index == BY_COMPANY
        assert result.residual == (request.filter_groups[0].filters[0],)

    def test_tie_break_by_index_order(self) -> None:
        request = search([f("company_id", "eq", value="c"), f("owner_id", "eq", value="u")])
        assert plan(request, INDEXES).index == BY_OWNER  # type: ignore[union-attr]
        assert plan(request, [BY_COMPANY, BY_OWNER]).index == BY_COMPANY  # type: ignore[union-attr]

    def test_non_range_on_sort_field_stays_residual(self) -> None:
        request = search(
            [f("lifecycle_stage", "eq", value="lead"), f("updated_at", "eq", value="2024")]
        )
        result = plan(request, INDEXES)
        assert result is not None
        assert result.sort_condition is None
        assert result.residual == (request.filter_groups[0].filters[1],)

    def test_duplicate_eq_keeps_the_second_in_residual(self) -> None:
        request = search([f("owner_id", "eq", value="usr_1"), f("owner_id", "eq", value="usr_2")])
        result = plan(request, [BY_OWNER])
        assert result is not None
        assert result.partition_value == "usr_1"
        assert result.residual == (request.filter_groups[0].filters[1],)
        assert not result.matches({"owner_id": "usr_1"})

    def test_or_groups_give_none(self) -> None:
        request = search([f("owner_id", "eq", value="usr_1")], [f("owner_id", "eq", value="usr_1")])
        assert plan(request, INDEXES) is None

    def test_no_eq_gives_none(self) -> None:
        assert plan(search([f("owner_id", "in", values=["usr_1"])]), INDEXES) is None
        assert plan(search([f("updated_at", "gt", value="2024")]), INDEXES) is None
        assert plan(search([f("owner_id", "neq", value="x")]), INDEXES) is None

    def test_no_groups_or_no_indexes_give_none(self) -> None:
        assert plan(parse_search({}), INDEXES) is None
        assert plan(search([f("owner_id", "eq", value="u")]), []) is None

    def test_accepts_groups_directly(self) -> None:
        request = search([f("owner_id", "eq", value="u")])
        assert plan(request.filter_groups, INDEXES) == plan(request, INDEXES)


PLAN_FIELDS = ["p", "q", "r", "tags"]
PLAN_INDEXES = [IndexSpec("I1", "p", "q"), IndexSpec("I2", "r", None), IndexSpec("I3", "q", "p")]
lower_strings = st.sampled_from(["", "a", "ab", "b", "ba", "2024-01-01"])
lower_scalars = st.one_of(lower_strings, numbers, st.booleans())


@st.composite
def plan_records(draw: st.DrawFn) -> dict[str, Any]:
    """Keyed fields hold scalars (an index key cannot be a list) stored lowercased."""
    record: dict[str, Any] = {}
    for name in ["p", "q", "r"]:
        if draw(st.booleans()):
            record[name] = draw(lower_scalars)
    record["tags"] = draw(st.lists(lower_strings, max_size=2))
    return record


def simulated_index_hit(result: QueryPlan, record: dict[str, Any]) -> bool:
    """What a key-condition query returns: exact, typed, case-sensitive key comparisons."""
    key = record.get(result.index.partition_field)
    if key is None or ref_type(key) != ref_type(result.partition_value):
        return False
    if key != result.partition_value:
        return False
    cond = result.sort_condition
    if cond is None:
        return True
    sort_key = record.get(result.index.sort_field or "")
    if sort_key is None or ref_type(sort_key) not in ("number", "string"):
        return False
    if ref_type(sort_key) != ref_type(cond.value):
        return False
    if cond.operator == "prefix":
        return isinstance(sort_key, str) and sort_key.startswith(str(cond.value))
    if cond.operator == "between":
        return bool(cond.value <= sort_key <= cond.high_value)
    return bool(
        {
            "lt": sort_key < cond.value,
            "lte": sort_key <= cond.value,
            "gt": sort_key > cond.value,
            "gte": sort_key >= cond.value,
        }[cond.operator]
    )


@PROPERTY_SETTINGS
@given(
    group=st.lists(filters(PLAN_FIELDS), min_size=1, max_size=5),
    rows=st.lists(plan_records(), min_size=1, max_size=8),
)
def test_plan_plus_residual_equals_matches(
    group: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> None:
    request = parse_search({"filter_groups": [{"filters": group}]})
    result = plan(request, PLAN_INDEXES)
    has_eq = any(x["operator"] == "eq" and x["field"] in {"p", "r", "q"} for x in group)
    assert (result is not None) == has_eq
    if result is None:
        return
    assert len(result.residual) + 1 + (result.sort_condition is not None) == len(group)
    for row in rows:
        planned = simulated_index_hit(result, row) and result.matches(row)
        assert planned == request.matches(row), (result, row)
