"""The one filter grammar of the CRM (HubSpot-style ``filter_groups``).

Search endpoints, segments, assignment and routing rules, workflow conditions and
webhook filters all speak this grammar, so it lives here once: validation (pydantic
models that name the failing field), evaluation against a plain ``dict`` record, and
query planning onto a service's indexes. It knows nothing of HTTP or DynamoDB.

Semantics, in one place:

- ``filter_groups`` are OR'ed, the filters of a group AND'ed; no groups match everything.
- ``field`` is a dotted path into nested dicts (``properties.industry``). A ``None``
  value is treated as missing (absent and null are the same thing to a filter).
- Numbers compare with numbers (``bool`` is not a number; ``Decimal`` from boto3 is),
  strings with strings; ISO 8601 timestamps and dates compare as strings. A missing field
  or a type mismatch never matches, except that ``neq``, ``not_in`` and ``not_exists``
  match a missing field.
- ``eq``, ``neq``, ``in``, ``not_in``, ``contains`` and ``prefix`` compare strings
  case-insensitively: emails and enum values are stored lowercased anyway, so this only
  forgives a client's casing. ``lt``/``lte``/``gt``/``gte``/``between`` compare strings
  ordinally (case-sensitive), which is the order of a DynamoDB string sort key.
- A list-valued field matches ``eq``/``in``/``contains`` if any element matches;
  ``neq``/``not_in`` match a list with no matching element. Range operators and
  ``prefix`` never match a list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "ALL_OPERATORS",
    "DEFAULT_LIMIT",
    "MAX_FILTERS_PER_GROUP",
    "MAX_FILTER_GROUPS",
    "MAX_IN_VALUES",
    "MAX_LIMIT",
    "MAX_SORTS",
    "RANGE_OPERATORS",
    "Filter",
    "FilterError",
    "FilterGroup",
    "IndexSpec",
    "Operator",
    "QueryPlan",
    "Scalar",
    "SearchRequest",
    "SortCondition",
    "SortSpec",
    "matches",
    "parse_search",
    "plan",
]

MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_SORTS = 3
MAX_IN_VALUES = 100
DEFAULT_LIMIT = 25
MAX_LIMIT = 100

Operator: TypeAlias = Literal[
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "between",
    "in",
    "not_in",
    "contains",
    "prefix",
    "exists",
    "not_exists",
]
ALL_OPERATORS: frozenset[str] = frozenset(get_args(Operator))
#: Operators a DynamoDB sort key condition can serve (see ``plan``).
RANGE_OPERATORS: frozenset[str] = frozenset({"lt", "lte", "gt", "gte", "between", "prefix"})

#: A filter operand after validation (``Decimal`` input is narrowed to int or float).
Scalar: TypeAlias = str | int | float | bool

_FIELD_RE = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")
_MAX_FIELD_LENGTH = 200
_ORDERED_OPS = frozenset({"lt", "lte", "gt", "gte"})
_SCALAR_VALUE_OPS = frozenset({"eq", "neq", "contains"})
_NO_OPERAND_OPS = frozenset({"exists", "not_exists"})
_LIST_OPS = frozenset({"in", "not_in"})

_Kind: TypeAlias = Literal["string", "number", "bool"]


class FilterError(Exception):
    """Any problem with a filter payload, as ``[{"field": ..., "message": ...}]``.

    A plain exception (not pydantic's) so HTTP adapters can map it to a problem+json 400
    with ``errors[{field, message}]`` without knowing pydantic.
    """

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


# --------------------------------------------------------------------------- typing helpers


def _kind(value: object) -> _Kind | None:
    """Classify a value for comparison; None means "comparable with nothing"."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float):
        return None if math.isnan(value) else "number"
    if isinstance(value, Decimal):
        return None if value.is_nan() else "number"
    if isinstance(value, str):
        return "string"
    return None


def _kind_name(kind: _Kind | None) -> str:
    return {"string": "a string", "number": "a number", "bool": "a boolean"}.get(
        kind or "", "unsupported"
    )


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _invalid(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


def _check_field_path(path: str, info: ValidationInfo) -> str:
    """Shared by filters and sorts: syntax, then the caller's allow-list (via context)."""
    if len(path) > _MAX_FIELD_LENGTH or not _FIELD_RE.fullmatch(path):
        raise _invalid(
            "filter_field",
            "must be a dotted path of segments made of a-z, 0-9 and _ (e.g. properties.industry)",
        )
    allowed = info.context.get("allowed_fields") if isinstance(info.context, dict) else None
    if allowed is not None and not _is_allowed(path, allowed):
        raise _invalid("filter_field_not_allowed", f"unknown or not filterable field '{path}'")
    return path


def _is_allowed(path: str, allowed: Collection[str]) -> bool:
    """A field is allowed if it or one of its dotted prefixes is allowed."""
    parts = path.split(".")
    return any(".".join(parts[:i]) in allowed for i in range(1, len(parts) + 1))


def _scalar_operand(raw: object, name: str) -> Scalar:
    """Validate one operand by hand so errors read well (a pydantic union would emit one
    error per member) and so rules reloaded from DynamoDB (``Decimal``) still validate."""
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float | Decimal):
        if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
            return int(raw)
        number = float(raw) if not isinstance(raw, Decimal) or raw.is_finite() else math.nan
        if not math.isfinite(number):
            raise _invalid("filter_value", f"{name} must be a finite number")
        return number
    raise _invalid("filter_value", f"{name} must be a string, a number or a boolean")


class Filter(_Model):
    """One condition: ``{field, operator, value | high_value | values}``.

    Operand rules are checked per operator in field validators (not a model validator) so
    the error location names the operand, e.g. ``filter_groups[0].filters[1].value``.
    """

    field: StrictStr
    operator: Operator
    value: Scalar | None = Field(default=None, validate_default=True)
    high_value: Scalar | None = Field(default=None, validate_default=True)
    values: list[Scalar] | None = Field(default=None, validate_default=True)

    @field_validator("field")
    @classmethod
    def _check_field(cls, path: str, info: ValidationInfo) -> str:
        return _check_field_path(path, info)

    @field_validator("value", mode="plain", json_schema_input_type=Scalar | None)
    @classmethod
    def _check_value(cls, raw: object, info: ValidationInfo) -> Scalar | None:
        op = info.data.get("operator")
        if raw is None:
            if op is not None and op not in _NO_OPERAND_OPS | _LIST_OPS:
                raise _invalid("filter_value", f"value is required for operator '{op}'")
            return None
        if op in _NO_OPERAND_OPS:
            raise _invalid("filter_value", f"value is not allowed for operator '{op}'")
        if op in _LIST_OPS:
            raise _invalid("filter_value", f"use 'values' (a list), not 'value', for '{op}'")
        value = _scalar_operand(raw, "value")
        if op in _ORDERED_OPS | {"between"} and _kind(value) not in ("number", "string"):
            raise _invalid("filter_value", f"value must be a number or a string for '{op}'")
        if op == "prefix" and not isinstance(value, str):
            raise _invalid("filter_value", "value must be a string for 'prefix'")
        return value

    @field_validator("high_value", mode="plain", json_schema_input_type=Scalar | None)
    @classmethod
    def _check_high_value(cls, raw: object, info: ValidationInfo) -> Scalar | None:
        op = info.data.get("operator")
        if op != "between":
            if raw is not None and op is not None:
                raise _invalid("filter_value", "high_value is only allowed for 'between'")
            return None
        if raw is None:
            raise _invalid("filter_value", "high_value is required for 'between'")
        high = _scalar_operand(raw, "high_value")
        low = info.data.get("value")
        if _kind(high) not in ("number", "string"):
            raise _invalid("filter_value", "high_value must be a number or a string")
        if low is None:  # value itself failed; its own error says why
            return high
        if _kind(high) != _kind(low):
            raise _invalid(
                "filter_value",
                f"high_value must be of the same type as value ({_kind_name(_kind(low))})",
            )
        if high < low:  # same kind, checked above
            raise _invalid("filter_value", "high_value must not be less than value")
        return high

    @field_validator("values", mode="plain", json_schema_input_type=list[Scalar] | None)
    @classmethod
    def _check_values(cls, raw: object, info: ValidationInfo) -> list[Scalar] | None:
        op = info.data.get("operator")
        if op not in _LIST_OPS:
            if raw is not None and op is not None:
                raise _invalid("filter_value", "values is only allowed for 'in' and 'not_in'")
            return None
        if raw is None:
            raise _invalid("filter_value", f"values (a non-empty list) is required for '{op}'")
        if not isinstance(raw, list | tuple) or not raw:
            raise _invalid("filter_value", f"values must be a non-empty list for '{op}'")
        if len(raw) > MAX_IN_VALUES:
            raise _invalid("filter_value", f"values must have at most {MAX_IN_VALUES} items")
        out = [_scalar_operand(item, "each of values") for item in raw]
        if len({_kind(v) for v in out}) > 1:
            raise _invalid(
                "filter_value", "values must be all strings, all numbers or all booleans"
            )
        return out

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Evaluate this one condition against a record."""
        return _evaluate(self, _resolve(record, self.field))


class FilterGroup(_Model):
    """Filters AND'ed together. An empty group is rejected: it would match everything and
    is almost always a UI builder's leftover, not an intent."""

    filters: Annotated[list[Filter], Field(min_length=1, max_length=MAX_FILTERS_PER_GROUP)]

    def matches(self, record: Mapping[str, Any]) -> bool:
        return all(f.matches(record) for f in self.filters)


class SortSpec(_Model):
    """One sort key; at most ``MAX_SORTS`` of them."""

    field: StrictStr
    direction: Literal["asc", "desc"] = "asc"

    @field_validator("field")
    @classmethod
    def _check_field(cls, path: str, info: ValidationInfo) -> str:
        return _check_field_path(path, info)


class SearchRequest(_Model):
    """The body of ``POST /<resource>/search`` (and the stored form of segments/rules)."""

    filter_groups: Annotated[list[FilterGroup], Field(max_length=MAX_FILTER_GROUPS)] = Field(
        default_factory=list
    )
    sort: Annotated[list[SortSpec], Field(max_length=MAX_SORTS)] = Field(default_factory=list)
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    cursor: StrictStr | None = None

    def matches(self, record: Mapping[str, Any]) -> bool:
        """True if the record satisfies the filter groups (sort/limit/cursor are ignored)."""
        return matches(self.filter_groups, record)


def _loc_to_field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "body"


def parse_search(
    payload: Mapping[str, Any], allowed_fields: AbstractSet[str] | None = None
) -> SearchRequest:
    """Validate a search payload, raising ``FilterError`` (never pydantic's error) on any
    problem, with one ``{field, message}`` per problem so a 400 can name them all.

    ``allowed_fields`` restricts filter and sort fields; a field is allowed if it or one of
    its dotted prefixes is in the set ("properties" allows "properties.x").
    """
    try:
        return SearchRequest.model_validate(
            payload,
            context={"allowed_fields": allowed_fields},
        )
    except ValidationError as exc:
        raise FilterError(
            [
                {"field": _loc_to_field(tuple(err["loc"])), "message": err["msg"]}
                for err in exc.errors(include_url=False)
            ]
        ) from None


# --------------------------------------------------------------------------- evaluation


class _Missing:
    """Sentinel for an absent (or null) field; distinct from every record value."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _resolve(record: Mapping[str, Any], path: str) -> Any:
    current: Any = record
    for segment in path.split("."):
        if not isinstance(current, Mapping) or segment not in current:
            return _MISSING
        current = current[segment]
    return _MISSING if current is None else current


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _numbers(actual: Any, expected: Any) -> tuple[Any, Any]:
    """Compare boto3's ``Decimal`` with a JSON float exactly as written (0.1 == 0.1)."""
    if isinstance(actual, Decimal) and isinstance(expected, float):
        return actual, Decimal(repr(expected))
    if isinstance(expected, Decimal) and isinstance(actual, float):
        return Decimal(repr(actual)), expected
    return actual, expected


def _scalar_eq(actual: Any, expected: Scalar) -> bool:
    kind = _kind(actual)
    if kind is None or kind != _kind(expected):
        return False
    if kind == "string":
        return bool(actual.lower() == str(expected).lower())
    a, e = _numbers(actual, expected)
    return bool(a == e)


def _eq(actual: Any, expected: Scalar) -> bool:
    if _is_list(actual):
        return any(_scalar_eq(item, expected) for item in actual)
    return _scalar_eq(actual, expected)


def _ordered(actual: Any, op: str, expected: Scalar) -> bool:
    kind = _kind(actual)
    if kind not in ("number", "string") or kind != _kind(expected):
        return False
    a, e = _numbers(actual, expected)
    if op == "lt":
        return bool(a < e)
    if op == "lte":
        return bool(a <= e)
    if op == "gt":
        return bool(a > e)
    return bool(a >= e)


def _evaluate(flt: Filter, actual: Any) -> bool:
    op = flt.operator
    if op == "exists":
        return actual is not _MISSING
    if op == "not_exists":
        return actual is _MISSING
    if op == "neq":
        assert flt.value is not None
        if actual is _MISSING or _is_list(actual):
            return not _eq(actual, flt.value)
        return _kind(actual) == _kind(flt.value) and not _scalar_eq(actual, flt.value)
    if op == "not_in":
        assert flt.values is not None
        if actual is _MISSING or _is_list(actual):
            return not any(_eq(actual, v) for v in flt.values)
        return _kind(actual) == _kind(flt.values[0]) and not any(
            _scalar_eq(actual, v) for v in flt.values
        )
    if actual is _MISSING:
        return False
    if op == "eq":
        assert flt.value is not None
        return _eq(actual, flt.value)
    if op == "in":
        assert flt.values is not None
        return any(_eq(actual, v) for v in flt.values)
    if op == "contains":
        assert flt.value is not None
        if _is_list(actual):
            return _eq(actual, flt.value)
        if isinstance(actual, str) and isinstance(flt.value, str):
            return flt.value.lower() in actual.lower()
        return False
    if op == "prefix":
        assert isinstance(flt.value, str)
        return isinstance(actual, str) and actual.lower().startswith(flt.value.lower())
    if op == "between":
        assert flt.value is not None and flt.high_value is not None
        return _ordered(actual, "gte", flt.value) and _ordered(actual, "lte", flt.high_value)
    assert flt.value is not None
    return _ordered(actual, op, flt.value)


def matches(filter_groups: Sequence[FilterGroup], record: Mapping[str, Any]) -> bool:
    """OR over groups, AND within a group; no groups means no restriction."""
    if not filter_groups:
        return True
    return any(group.matches(record) for group in filter_groups)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class IndexSpec:
    """A service index whose partition key is derived from one record field (queried by
    equality) and, optionally, whose sort key is derived from another (queried by range)."""

    name: str
    partition_field: str
    sort_field: str | None = None


@dataclass(frozen=True)
class SortCondition:
    """A key condition on the index sort key: ``operator`` is one of ``RANGE_OPERATORS``;
    ``high_value`` is set only for ``between``. A ``prefix`` value is lowercased, so an
    index that serves prefix queries must store its sort key lowercased."""

    operator: str
    value: Scalar
    high_value: Scalar | None = None


@dataclass(frozen=True)
class QueryPlan:
    """How to run one search on an index: query ``index`` at ``partition_value`` (with
    ``sort_condition`` if any), then keep the items for which ``matches`` holds.

    String partition values are lowercased, since ``eq`` is case-insensitive and keyed
    values (enums, emails, ids) are stored lowercased. The caller encodes values into its
    key format (``T#<tenant>#...``; numbers padded if they serve a range).
    """

    index: IndexSpec
    partition_value: Scalar
    sort_condition: SortCondition | None
    residual: tuple[Filter, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Evaluate the residual filters (AND) on an item the index query returned."""
        return all(f.matches(record) for f in self.residual)


def _lower(value: Scalar) -> Scalar:
    return value.lower() if isinstance(value, str) else value


def plan(
    request_or_groups: SearchRequest | Sequence[FilterGroup], indexes: Sequence[IndexSpec]
) -> QueryPlan | None:
    """Pick an index for a search, or None (query the tenant-wide list index and filter).

    Only a single filter group is planned: OR'ed groups would need one query per group and
    a merge, which is not worth it yet. An index qualifies when the group has an ``eq`` on
    its partition field; one that also consumes a range filter on its sort field is
    preferred; ties go to the earlier index in ``indexes``.
    """
    groups = (
        request_or_groups.filter_groups
        if isinstance(request_or_groups, SearchRequest)
        else request_or_groups
    )
    if len(groups) != 1:
        return None
    filters = groups[0].filters
    best: QueryPlan | None = None
    for index in indexes:
        eq_at = next(
            (
                i
                for i, f in enumerate(filters)
                if f.operator == "eq" and f.field == index.partition_field
            ),
            None,
        )
        if eq_at is None:
            continue
        partition_value = filters[eq_at].value
        assert partition_value is not None  # eq always has a value
        sort_at = next(
            (
                i
                for i, f in enumerate(filters)
                if index.sort_field is not None
                and f.field == index.sort_field
                and f.operator in RANGE_OPERATORS
                and i != eq_at
            ),
            None,
        )
        sort_condition: SortCondition | None = None
        if sort_at is not None:
            sf = filters[sort_at]
            assert sf.value is not None
            value = _lower(sf.value) if sf.operator == "prefix" else sf.value
            sort_condition = SortCondition(sf.operator, value, sf.high_value)
        consumed = {eq_at, sort_at}
        candidate = QueryPlan(
            index=index,
            partition_value=_lower(partition_value),
            sort_condition=sort_condition,
            residual=tuple(f for i, f in enumerate(filters) if i not in consumed),
        )
        if sort_condition is not None:
            return candidate
        if best is None:
            best = candidate
    return best


class SearchPlan(BaseModel):
    """How a search was served, in its answer: the index, and whether it read tenant-wide."""

    index: str
    tenant_wide: bool
    residual_filters: int


def single_filter(request: SearchRequest, field: str, operator: str = "eq") -> Filter | None:
    """The one-group request's string filter on `field` with `operator`, if it has one.

    Services use it to send a search to a keyed lookup (an email claim, a tag entry).
    """
    if len(request.filter_groups) != 1:
        return None
    return next((f for f in request.filter_groups[0].filters
                 if f.field == field and f.operator == operator
                 and isinstance(f.value, str)), None)


@dataclass
class SearchResult:
    """A page of matching records and how it was found (see `SearchPlan`)."""

    items: list[dict[str, Any]]
    cursor: str | None
    index: str
    tenant_wide: bool
    residual: int
