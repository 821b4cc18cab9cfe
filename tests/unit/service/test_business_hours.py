"""Business-hours arithmetic to the minute: weekends, holidays, DST, the calendar's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_shared.business_hours import Calendar, CalendarError, check_day

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
# Europe/Berlin leaves CET (UTC+1) for CEST (UTC+2) on Sunday 2026-03-29
BERLIN = Calendar.from_doc({"time_zone": "Europe/Berlin", "hours": WEEKDAYS,
                            "holidays": ["2026-03-30"]})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_eight_hours_from_friday_afternoon_cross_the_weekend_holiday_and_dst() -> None:
    start = utc(2026, 3, 27, 15, 0)  # Friday 16:00 CET
    due = BERLIN.add(start, 8 * 3600)
    # Fri 16-17 (1 h); Sat, Sun closed; Mon a holiday; Tue 09:00 CEST (07:00Z) + 7 h
    assert due == utc(2026, 3, 31, 14, 0)
    assert BERLIN.between(start, due) == 8 * 3600


def test_a_start_outside_hours_waits_for_the_next_opening() -> None:
    saturday = utc(2026, 3, 28, 10, 0)
    assert BERLIN.add(saturday, 60) == utc(2026, 3, 31, 7, 1)
    assert BERLIN.between(saturday, utc(2026, 3, 31, 7, 0)) == 0


def test_the_autumn_change_keeps_local_opening_times() -> None:
    # Sunday 2026-10-25 CEST -> CET: Monday opens at 09:00 CET = 08:00Z
    assert BERLIN.add(utc(2026, 10, 23, 14, 30), 3600) == utc(2026, 10, 26, 8, 30)


def test_split_days_and_twenty_four_hours() -> None:
    cal = Calendar.from_doc({"time_zone": "America/New_York", "hours": {
        "mon": [["08:00", "12:00"], ["13:00", "24:00"]]}})
    monday = utc(2026, 1, 5, 16, 30)  # 11:30 EST
    assert cal.add(monday, 3600) == utc(2026, 1, 5, 18, 30)  # lunch skipped: 13:30 EST
    assert cal.between(monday, utc(2026, 1, 6, 5, 0)) == int(0.5 * 3600 + 11 * 3600)


def test_always_counts_wall_clock() -> None:
    start = utc(2026, 1, 1, 0, 0)
    assert Calendar.always().add(start, 90_000) == start + timedelta(seconds=90_000)


@pytest.mark.parametrize("doc, field", [
    ({"time_zone": "Mars/Olympus", "hours": WEEKDAYS}, "time_zone"),
    ({"time_zone": "UTC", "hours": {"mon": [["17:00", "09:00"]]}}, "hours.mon"),
    ({"time_zone": "UTC", "hours": {"tue": [["09:00", "13:00"], ["12:00", "18:00"]]}},
     "hours.tue"),
    ({"time_zone": "UTC", "hours": {"wed": [["9", "17:00"]]}}, "hours.wed"),
    ({"time_zone": "UTC", "hours": {"funday": [["09:00", "17:00"]]}}, "hours.funday"),
    ({"time_zone": "UTC", "hours": {}}, "hours"),
    ({"time_zone": "UTC", "hours": WEEKDAYS, "holidays": ["2026-02-30"]}, "holidays[0]"),
])
def test_bad_calendars_name_the_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(CalendarError) as error:
        Calendar.from_doc(doc)
    assert error.value.field == field


def test_touching_intervals_are_fine() -> None:
    assert check_day([["13:00", "17:00"], ["09:00", "13:00"]]) == [(540, 780), (780, 1020)]
