"""The business-time maths (sla.business_time): pure, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sla.business_time import (
    Calendar,
    add_working,
    build_calendar,
    intervals,
    minutes,
    working_between,
    years_without_makeup_days,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
SPLIT = intervals(("09:00", "12:00"), ("13:30", "18:00"))
WEEKDAYS = dict.fromkeys(range(5), SPLIT)
H = dt.timedelta(hours=1)


def at(zone, *parts):
    return dt.datetime(*parts, tzinfo=zone)


def china(**kwargs):
    return build_calendar(tz="Asia/Shanghai", hours=WEEKDAYS, countries=["CN"], **kwargs)


def test_times_of_day_and_intervals_are_checked():
    assert minutes("24:00") == 1440
    assert minutes("13:30") == 810
    for bad in ("24:01", "9:60", "-1:00"):
        with pytest.raises(ValueError, match="not a time of day"):
            minutes(bad)
    with pytest.raises(ValueError, match="overlap"):
        intervals(("09:00", "12:00"), ("11:00", "13:00"))
    with pytest.raises(ValueError, match="end after"):
        intervals(("12:00", "09:00"))


def test_two_working_hours_across_lunch_and_the_night():
    cal = china(years=[2026])
    # Tuesday 2026-03-03 11:00: one hour before lunch, one after it
    assert add_working(cal, at(SHANGHAI, 2026, 3, 3, 11), 2 * H) == at(SHANGHAI, 2026, 3, 3, 14, 30)
    # 17:00: one hour today, the other at 09:00–10:00 tomorrow
    assert add_working(cal, at(SHANGHAI, 2026, 3, 3, 17), 2 * H) == at(SHANGHAI, 2026, 3, 4, 10)
    # started at night: counts from 09:00
    assert add_working(cal, at(SHANGHAI, 2026, 3, 3, 2), H) == at(SHANGHAI, 2026, 3, 3, 10)
    assert (
        working_between(cal, at(SHANGHAI, 2026, 3, 3, 11), at(SHANGHAI, 2026, 3, 4, 10))
        == (1 + 4.5 + 1) * H
    )


def test_a_working_day_is_seven_and_a_half_hours_and_weekends_do_not_count():
    cal = china(years=[2026])
    friday_five = at(SHANGHAI, 2026, 3, 6, 17)
    assert add_working(cal, friday_five, 7.5 * H) == at(SHANGHAI, 2026, 3, 9, 17)
    assert working_between(cal, friday_five, at(SHANGHAI, 2026, 3, 9, 9)) == H


def test_china_holidays_close_and_make_up_weekend_days_open():
    cal = china(years=[2026])
    # Labour Day holiday 2026-05-01 (Fri) … 05-05; Saturday 05-09 is a make-up working day
    thursday = at(SHANGHAI, 2026, 4, 30, 17)
    assert add_working(cal, thursday, 2 * H) == at(SHANGHAI, 2026, 5, 6, 10)
    assert cal.day_intervals(dt.date(2026, 5, 9)) == SPLIT  # works Monday's hours
    assert add_working(cal, at(SHANGHAI, 2026, 5, 8, 17), 2 * H) == at(SHANGHAI, 2026, 5, 9, 10)


def test_custom_dates_override_the_package():
    cal = china(
        years=[2026],
        closed_dates=[dt.date(2026, 3, 4), dt.date(2026, 5, 9)],
        open_dates={dt.date(2026, 5, 1): 4},  # works Friday's hours
    )
    assert cal.day_intervals(dt.date(2026, 3, 4)) == ()
    assert cal.day_intervals(dt.date(2026, 5, 9)) == ()
    assert cal.day_intervals(dt.date(2026, 5, 1)) == SPLIT
    assert add_working(cal, at(SHANGHAI, 2026, 3, 3, 17), 2 * H) == at(SHANGHAI, 2026, 3, 5, 10)


def test_the_package_does_not_know_chinas_2027_make_up_days_yet():
    assert years_without_makeup_days("CN", [2026, 2027]) == [2027]
    assert years_without_makeup_days("DE", [2026, 2027]) == []


def test_24_00_ends_a_day_and_24x7_is_plain_time():
    night = build_calendar(
        tz=SHANGHAI, hours=dict.fromkeys(range(7), intervals(("20:00", "24:00")))
    )
    assert add_working(night, at(SHANGHAI, 2026, 3, 3, 23), 2 * H) == at(SHANGHAI, 2026, 3, 4, 21)
    always = Calendar.always(SHANGHAI)
    start = at(SHANGHAI, 2026, 3, 3, 23)
    assert add_working(always, start, 48 * H) == start + 48 * H
    assert working_between(always, start, start + 48 * H) == 48 * H


def test_the_repeated_autumn_hour_counts_twice_and_the_skipped_spring_hour_zero():
    night_shift = build_calendar(
        tz=BERLIN, hours=dict.fromkeys(range(7), intervals(("01:00", "04:00")))
    )
    # 2026-10-25: clocks go back at 03:00 CEST → 02:00 CET; 01:00–04:00 lasts four hours
    autumn = dt.date(2026, 10, 25)
    start = dt.datetime.combine(autumn, dt.time(0), tzinfo=BERLIN)
    end = dt.datetime.combine(autumn, dt.time(5), tzinfo=BERLIN)
    assert working_between(night_shift, start, end) == 4 * H
    assert add_working(night_shift, start, 4 * H) == at(BERLIN, 2026, 10, 25, 4)
    # 2026-03-29: clocks jump 02:00 → 03:00; 01:00–04:00 lasts two hours
    spring = dt.date(2026, 3, 29)
    start = dt.datetime.combine(spring, dt.time(0), tzinfo=BERLIN)
    end = dt.datetime.combine(spring, dt.time(5), tzinfo=BERLIN)
    assert working_between(night_shift, start, end) == 2 * H
    assert add_working(night_shift, start, 2 * H) == at(BERLIN, 2026, 3, 29, 4)


def test_adding_then_measuring_gives_the_duration_back():
    cal = china(years=[2026, 2027])
    start = at(SHANGHAI, 2026, 9, 28, 16, 45)  # before the National Day week
    for hours in (0.25, 2, 4, 7.5, 24, 80):
        due = add_working(cal, start, hours * H)
        assert working_between(cal, start, due) == hours * H
        assert working_between(cal, due, start) == -hours * H


def test_naive_times_and_impossible_calendars_are_refused():
    cal = china(years=[2026])
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working(cal, dt.datetime(2026, 3, 3, 9), H)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_between(cal, dt.datetime(2026, 3, 3, 9), at(SHANGHAI, 2026, 3, 3, 10))
    with pytest.raises(ValueError, match="negative"):
        add_working(cal, at(SHANGHAI, 2026, 3, 3, 9), -H)
    with pytest.raises(ValueError, match="no working time"):
        add_working(build_calendar(tz=SHANGHAI, hours={}), at(SHANGHAI, 2026, 3, 3, 9), H)
