"""Business-hours calendars: when work counts, in the calendar's own time zone.

SLA clocks (service), send windows (marketing) and workflow waits all count time only
inside working hours. A calendar is an IANA time zone (zoneinfo), opening hours per weekday
and holiday dates. Every interval is converted to UTC on its own local date, so a clock
running over a daylight-saving change counts the hours the office was really open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366  # a clock that finds no working minute in three years never ends
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class CalendarError(ValueError):
    """A calendar that cannot be used; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def minutes_of(text: str) -> int:
    """`HH:MM` (00:00..24:00) as minutes after midnight; ValueError otherwise."""
    if not isinstance(text, str) or not _HHMM.match(text):
        raise ValueError("must be a time HH:MM between 00:00 and 24:00")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone") from None


def check_day(intervals: Iterable[Iterable[str]]) -> list[tuple[int, int]]:
    """One weekday's opening intervals as sorted minute pairs.

    Raises ValueError for a malformed, empty-or-inverted (end <= start) or overlapping
    interval: the caller names the field."""
    spans = []
    for pair in intervals:
        values = list(pair)
        if len(values) != 2:
            raise ValueError("each interval is [start, end]")
        start, end = minutes_of(values[0]), minutes_of(values[1])
        if end <= start:
            raise ValueError(f"{values[0]}-{values[1]} ends before it starts")
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in pairwise(spans):
        if start < end:
            raise ValueError("intervals overlap")
    return spans


@dataclass(frozen=True)
class Calendar:
    """Working hours: `hours[weekday]` minute intervals (Monday is 0), local `holidays`."""

    time_zone: str
    hours: Mapping[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def always(cls) -> Calendar:
        """Around the clock, every day (a ticket without a calendar still has a clock)."""
        return cls("UTC", {day: ((0, 1440),) for day in range(7)})

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Calendar:
        """From the API's shape: `{time_zone, hours: {mon: [["09:00","17:00"]]}, holidays}`;
        a CalendarError names the field that is wrong."""
        name = str(doc.get("time_zone") or "")
        try:
            zone(name)
        except ValueError as exc:
            raise CalendarError("time_zone", str(exc)) from None
        hours: dict[int, tuple[tuple[int, int], ...]] = {}
        given = doc.get("hours") or {}
        for key in given:
            if key not in DAYS:
                raise CalendarError(f"hours.{key}", "is not a weekday (mon..sun)")
        for number, day in enumerate(DAYS):
            try:
                hours[number] = tuple(check_day(given.get(day) or []))
            except ValueError as exc:
                raise CalendarError(f"hours.{day}", str(exc)) from None
        if not any(hours.values()):
            raise CalendarError("hours", "at least one day needs working hours")
        holidays = set()
        for index, raw in enumerate(doc.get("holidays") or []):
            try:
                holidays.add(raw if isinstance(raw, date) else date.fromisoformat(str(raw)))
            except ValueError:
                raise CalendarError(f"holidays[{index}]", "must be a date YYYY-MM-DD") from None
        return cls(name, hours, frozenset(holidays))

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working intervals in UTC (none on a holiday)."""
        if day in self.holidays:
            return []
        tz = self.tz
        out = []
        for start, end in self.hours.get(day.weekday(), ()):
            begin = _local(day, start, tz)
            finish = _local(day, end, tz) if end < 1440 else \
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            out.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return out

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = moment.astimezone(self.tz).date() - timedelta(days=1)
        for offset in range(MAX_DAYS):
            yield from self.intervals_on(day + timedelta(days=offset))

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start` (`start` if none are asked)."""
        cursor = start.astimezone(UTC)
        left = max(0.0, float(seconds))
        if left == 0:
            return cursor
        for begin, end in self._intervals_from(cursor):
            if end <= cursor:
                continue
            begin = max(begin, cursor)
            available = (end - begin).total_seconds()
            if left <= available:
                return begin + timedelta(seconds=left)
            left -= available
        raise CalendarError("hours", f"no working time within {MAX_DAYS} days")

    def between(self, start: datetime, end: datetime) -> int:
        """Whole working seconds in [start, end) (0 when end is not after start)."""
        lo, hi = start.astimezone(UTC), end.astimezone(UTC)
        if hi <= lo:
            return 0
        total = 0.0
        for begin, finish in self._intervals_from(lo):
            if begin >= hi:
                break
            overlap = (min(finish, hi) - max(begin, lo)).total_seconds()
            total += max(0.0, overlap)
        return int(total)


def _local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
