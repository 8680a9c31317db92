"""Business time against a brute-force oracle (issue 12, "Tests"): the worked examples,
then generated calendars and instants around the 2026 DST changes (New York, Berlin) and
China's 2025 and 2026 make-up working days, checked minute by minute.

The oracle knows nothing of the module's arithmetic: it walks the UTC minutes of a few
days, asks the zone database for each one's local date and time, and counts the minute
when that local time lies inside a working interval of that local date's hours (the
date's hours worked out here from the ``holidays`` package and the custom dates).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from sla.business_time import (
    Calendar,
    add_working,
    build_calendar,
    intervals,
    working_between,
    working_segments,
)

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
KOLKATA = ZoneInfo("Asia/Kolkata")  # a third zone to state instants in
MINUTE = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)
SPLIT = intervals(("09:00", "12:00"), ("13:30", "18:00"))


def at(zone, *parts, fold=0):
    return dt.datetime(*parts, tzinfo=zone, fold=fold)


# --- the worked examples of the issue ----------------------------------------------


def test_a_friday_evening_in_shanghai_is_due_on_the_make_up_sunday():
    cal = build_calendar(
        tz="Asia/Shanghai", hours=dict.fromkeys(range(5), SPLIT), countries=["CN"], years=[2025]
    )
    assigned = at(SHANGHAI, 2025, 1, 24, 17)  # Friday; Sunday the 26th is a make-up day
    due = add_working(cal, assigned, 4 * H)
    assert due == at(SHANGHAI, 2025, 1, 26, 12)
    assert due.tzinfo is SHANGHAI
    assert working_between(cal, assigned, due) == 4 * H


def test_memorial_day_does_not_count_in_new_york():
    cal = build_calendar(
        tz="America/New_York",
        hours=dict.fromkeys(range(5), intervals(("09:00", "17:00"))),
        countries=["US"],
        years=[2026],
    )
    assigned = at(NEW_YORK, 2026, 5, 22, 16, 30)  # Friday; Monday the 25th is Memorial Day
    due = add_working(cal, assigned, 4 * H)
    assert due == at(NEW_YORK, 2026, 5, 26, 12, 30)
    assert working_between(cal, assigned, due) == 4 * H


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # the night of 7–8 March 2026 lasts 23 hours: 24 h later the clock shows 13:00
        (at(NEW_YORK, 2026, 3, 7, 12), at(NEW_YORK, 2026, 3, 8, 13)),
        # the night of 31 October – 1 November 2026 lasts 25 hours: 11:00
        (at(NEW_YORK, 2026, 10, 31, 12), at(NEW_YORK, 2026, 11, 1, 11)),
    ],
)
def test_plain_24_hours_are_elapsed_hours_across_a_dst_change(start, due):
    always = Calendar.always(NEW_YORK)
    result = add_working(always, start, 24 * H)
    assert (result.date(), result.time()) == (due.date(), due.time())  # the wall clock
    assert result.utcoffset() == due.utcoffset()
    assert working_between(always, start, due) == 24 * H


# --- regressions found by the properties below --------------------------------------


def test_a_dst_change_cuts_segments_on_the_exact_second():
    # The change used to be found to within a second by halving a 23- or 25-hour day:
    # segments started or ended a fraction of a second off, and an hour after the change
    # in Berlin was worked as 59 min 59.7 s.
    early = build_calendar(tz=BERLIN, hours=dict.fromkeys(range(7), intervals(("03:00", "04:00"))))
    spring, autumn = dt.date(2026, 3, 29), dt.date(2026, 10, 25)
    assert working_segments(early, spring) == [
        (at(UTC, 2026, 3, 29, 1), at(UTC, 2026, 3, 29, 2))  # 03:00–04:00 CEST
    ]
    assert working_segments(early, autumn) == [
        (at(UTC, 2026, 10, 25, 2), at(UTC, 2026, 10, 25, 3))  # 03:00–04:00 CET
    ]
    start = dt.datetime.combine(spring, dt.time(0), tzinfo=BERLIN)
    assert add_working(early, start, 30 * MINUTE) == at(BERLIN, 2026, 3, 29, 3, 30)
    assert working_between(early, start, start + dt.timedelta(days=1)) == H
    # midnight to the repeated hour's end: 00:00–03:00 CEST, then 02:00–03:00 CET again
    late = build_calendar(tz=BERLIN, hours=dict.fromkeys(range(7), intervals(("00:00", "03:00"))))
    start = dt.datetime.combine(autumn, dt.time(0), tzinfo=BERLIN)
    assert working_between(late, start, start + dt.timedelta(days=1)) == 4 * H


def test_a_dst_change_at_midnight_repeats_the_hour_before_it():
    # Santiago: at midnight on 5 April 2026 the clock goes back to 23:00 on the 4th,
    # which lasts 25 hours; its last hour is worked twice.
    santiago = ZoneInfo("America/Santiago")
    late = build_calendar(tz=santiago, hours=dict.fromkeys(range(7), intervals(("23:00", "24:00"))))
    saturday = dt.datetime.combine(dt.date(2026, 4, 4), dt.time(), tzinfo=santiago)
    sunday = dt.datetime.combine(dt.date(2026, 4, 5), dt.time(), tzinfo=santiago)
    assert working_between(late, saturday, sunday) == 2 * H
    assert working_segments(late, dt.date(2026, 4, 4)) == [
        (at(UTC, 2026, 4, 5, 2), at(UTC, 2026, 4, 5, 4))  # 23:00 -03 to 24:00 -04
    ]
    due = add_working(late, saturday, 90 * MINUTE)
    assert (due.astimezone(UTC), due.fold) == (at(UTC, 2026, 4, 5, 3, 30), 1)  # 23:30 -04


def test_instants_of_the_repeated_hour_are_ordered_by_when_they_happen():
    # 01:30 EST (fold=1) comes 45 minutes after 01:45 EDT (fold=0); compared as wall
    # clocks of one zone they looked the other way round, and the time between was 0.
    always_on = build_calendar(tz=NEW_YORK, hours=dict.fromkeys(range(7), ((0, 1440),)))
    second_pass = at(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)
    first_pass = at(NEW_YORK, 2026, 11, 1, 1, 45, fold=0)
    assert working_between(always_on, second_pass, first_pass) == -45 * MINUTE
    assert working_between(always_on, first_pass, second_pass) == 45 * MINUTE
    assert working_between(Calendar.always(NEW_YORK), second_pass, first_pass) == -45 * MINUTE
    due = add_working(always_on, first_pass, 45 * MINUTE)
    assert (due.astimezone(UTC), due.fold) == (second_pass.astimezone(UTC), 1)


def test_equal_calendars_share_their_days_and_different_ones_do_not():
    # Day segments are cached per calendar: by its content, never across calendars
    # that differ by a custom date.
    def china(**kwargs):
        return build_calendar(
            tz="Asia/Shanghai", hours=dict.fromkeys(range(5), SPLIT), countries=["CN"], **kwargs
        )

    plain, again = china(years=[2026]), china(years=[2026])
    assert plain == again
    assert hash(plain) == hash(again)
    assert plain is not again
    closed = china(years=[2026], closed_dates=[dt.date(2026, 3, 4)])
    assert closed != plain
    tuesday = at(SHANGHAI, 2026, 3, 3, 17)
    assert add_working(plain, tuesday, 2 * H) == at(SHANGHAI, 2026, 3, 4, 10)
    assert add_working(closed, tuesday, 2 * H) == at(SHANGHAI, 2026, 3, 5, 10)
    assert add_working(again, tuesday, 2 * H) == at(SHANGHAI, 2026, 3, 4, 10)
    assert Calendar.always(NEW_YORK) == Calendar.always(NEW_YORK) != Calendar.always(BERLIN)


# --- the oracle ----------------------------------------------------------------------

DAYS_AROUND = 2  # the oracle's window: the anchor date and two local dates either side


class Scenario:
    """A few local days around an anchor date (a DST change, a make-up day) in a zone."""

    def __init__(self, zone, anchor, countries=(), years=()):
        self.zone, self.anchor = zone, anchor
        self.countries, self.years = tuple(countries), tuple(years)
        self.dates = [anchor + dt.timedelta(days=n) for n in range(-DAYS_AROUND, DAYS_AROUND + 1)]
        self.start = dt.datetime.combine(self.dates[0], dt.time(), tzinfo=zone).astimezone(UTC)
        end = dt.datetime.combine(self.dates[-1] + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        self.size = (end.astimezone(UTC) - self.start) // MINUTE  # minutes in the window
        anchor_midnight = dt.datetime.combine(anchor, dt.time(), tzinfo=zone).astimezone(UTC)
        self.anchor_minute = (anchor_midnight - self.start) // MINUTE

    @functools.cached_property
    def change(self):
        """The first minute at the window's second UTC offset (None: no DST change)."""
        offsets = [self.instant(m).astimezone(self.zone).utcoffset() for m in range(self.size)]
        return next((m for m in range(self.size) if offsets[m] != offsets[0]), None)

    @functools.cached_property
    def focus(self):
        """Where cases are drawn most: the hours either side of the DST change (both
        passes of a repeated hour) and the change's night; or the start of the make-up
        day's work and the whole make-up day."""
        if self.change is not None:
            return [
                (self.change - 60, self.change + 60),
                (self.anchor_minute, self.anchor_minute + 300),
            ]
        return [
            (self.anchor_minute + 8 * 60, self.anchor_minute + 10 * 60),
            (self.anchor_minute, self.anchor_minute + 24 * 60),
        ]

    def __str__(self):
        return f"{self.zone.key}-{self.anchor}"

    def instant(self, minute):
        return self.start + minute * MINUTE

    @functools.cached_property
    def local_minutes(self):
        """Each UTC minute of the window as (local date, local minute of the day)."""
        result = []
        for minute in range(self.size):
            local = self.instant(minute).astimezone(self.zone)
            result.append((local.date(), local.hour * 60 + local.minute))
        return result

    @functools.cached_property
    def local_dates(self):
        return [day for day, _ in self.local_minutes]

    @functools.cached_property
    def runs(self):
        """The window's minutes as runs of consecutive local minutes of one date:
        (first minute of the window, local date, first local minute of the day, length)."""
        runs = []
        for minute, (day, of_day) in enumerate(self.local_minutes):
            if runs and runs[-1][1] == day and runs[-1][2] + runs[-1][3] == of_day:
                runs[-1][3] += 1
            else:
                runs.append([minute, day, of_day, 1])
        return runs

    @functools.cached_property
    def package_days(self):
        """(holidays, make-up working days) of the scenario's countries, per the package."""
        closed, opened = set(), set()
        for country in self.countries:
            known = holidays.country_holidays(country, years=self.years)
            closed |= {day for day in known if day.year in self.years}
            opened |= {day for day in known.weekend_workdays if day.year in self.years}
        return closed, opened


SCENARIOS = {
    "dst": [
        # 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST
        Scenario(NEW_YORK, dt.date(2026, 3, 8)),
        Scenario(NEW_YORK, dt.date(2026, 11, 1)),
        # 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET
        Scenario(BERLIN, dt.date(2026, 3, 29)),
        Scenario(BERLIN, dt.date(2026, 10, 25)),
    ],
    "makeup": [
        Scenario(SHANGHAI, day, ["CN"], [2025, 2026])
        for day in (
            [dt.date(2025, 1, 26), dt.date(2025, 2, 8), dt.date(2025, 4, 27)]
            + [dt.date(2025, 9, 28), dt.date(2025, 10, 11), dt.date(2026, 1, 4)]
            + [dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9)]
            + [dt.date(2026, 9, 20), dt.date(2026, 10, 10)]
        )
    ],
}


def test_the_scenarios_are_what_they_claim():
    for scenario in SCENARIOS["dst"]:
        change = scenario.instant(scenario.change).astimezone(scenario.zone)
        assert change.date() == scenario.anchor, scenario  # the window holds the change
        assert change.utcoffset() != (change - MINUTE).utcoffset(), scenario
    for scenario in SCENARIOS["makeup"]:
        assert scenario.change is None, scenario
        assert scenario.anchor in scenario.package_days[1], scenario
        assert scenario.anchor.weekday() >= 5, scenario


class Oracle:
    """Working minutes of a scenario's window, counted one UTC minute at a time."""

    def __init__(self, scenario, hours, custom_closed, custom_open):
        package_closed, package_open = scenario.package_days

        def day_hours(day):  # custom dates win over the package; a make-up day works Monday's
            if day in custom_closed:
                return ()
            if day in custom_open:
                return hours.get(custom_open[day], ())
            if day in package_open:
                return hours.get(0, ())
            if day in package_closed:
                return ()
            return hours.get(day.weekday(), ())

        self.scenario = scenario
        self.working = bytearray(scenario.size)  # 1 for a working minute
        for first, day, of_day, length in scenario.runs:
            mask = bytearray(24 * 60)
            for start, end in day_hours(day):
                mask[start:end] = b"\1" * (end - start)
            self.working[first : first + length] = mask[of_day : of_day + length]
        self.before = list(itertools.accumulate(self.working, initial=0))  # worked before i
        self.worked = list(itertools.compress(range(scenario.size), self.working))

    def between(self, start, end):
        """Working minutes in [start, end), negative when end comes first."""
        return self.before[end] - self.before[start]

    def left_after(self, start):
        return self.before[-1] - self.before[start]

    def add(self, start, amount):
        """The end of the amount-th working minute from start (amount ≤ left_after)."""
        if not amount:
            return start
        return self.worked[self.before[start] + amount - 1] + 1


# --- generated calendars and instants -------------------------------------------------

# Working intervals that matter around a DST change (01:00–03:30 spans the skipped or
# repeated hour in both zones; 24:00 ends), the example's split day, and random ones.
TEMPLATES = [
    (),
    ((0, 1440),),
    ((60, 210),),
    ((120, 180),),
    ((0, 120), (180, 1440)),
    ((90, 150), (1320, 1440)),
    ((540, 720), (810, 1080)),
    ((540, 1020),),
]

boundary = st.one_of(
    st.integers(0, 48).map(lambda half_hours: 30 * half_hours), st.integers(0, 24 * 60)
)
day_hours = st.one_of(
    st.sampled_from(TEMPLATES),
    st.lists(boundary, min_size=2, max_size=4, unique=True).map(  # one or two intervals
        lambda points: tuple(zip(sorted(points)[::2], sorted(points)[1::2], strict=False))
    ),
)
# A calendar: hours per weekday, and up to two custom dates in the window (an offset from
# the anchor date: None closes it, a weekday opens it with that weekday's hours).
week = st.lists(day_hours, min_size=7, max_size=7)
custom_dates = st.dictionaries(
    st.integers(-DAYS_AROUND, DAYS_AROUND), st.one_of(st.none(), st.integers(0, 6)), max_size=2
)
# Hypothesis spends tens of microseconds on each value it draws: the calendar is drawn
# (and shrunk) by it, the cases on each calendar come from a seed it draws, so that
# thousands of cases take a couple of seconds.
CASES_PER_CALENDAR = 12


def generated_cases(scenario, oracle, seed):
    """Starts and ends (most of them in the scenario's focus, the others anywhere in the
    window), how both are stated, and a working duration to add (short half the time, to
    land near the change; anything up to the window's end otherwise). The seed is mixed
    with the calendar: Hypothesis draws the same small seeds again and again."""
    rng = random.Random(seed)

    def minute():
        draw = rng.random()
        low, high = (
            scenario.focus[0]
            if draw < 0.25
            else scenario.focus[1]
            if draw < 0.6
            else (0, scenario.size)
        )
        return rng.randint(low, high)

    for _ in range(CASES_PER_CALENDAR):
        a, b = minute(), minute()
        left = oracle.left_after(a)
        amount = rng.randint(0, left) if rng.random() < 0.5 else min(left, rng.randint(0, 240))
        yield a, b, rng.choice(["utc", "local", "other"]), amount


def make_calendar(scenario, week, custom):
    hours = {day: spans for day, spans in enumerate(week) if spans}
    custom = {scenario.anchor + dt.timedelta(days=n): weekday for n, weekday in custom.items()}
    custom_closed = {day for day, weekday in custom.items() if weekday is None}
    custom_open = {day: weekday for day, weekday in custom.items() if weekday is not None}
    calendar = build_calendar(
        tz=scenario.zone,
        hours={
            day: intervals(*((f"{a // 60}:{a % 60}", f"{b // 60}:{b % 60}") for a, b in spans))
            for day, spans in hours.items()
        },
        countries=scenario.countries,
        years=scenario.years,
        closed_dates=custom_closed,
        open_dates=custom_open,
    )
    assert calendar.hours == hours
    return calendar, Oracle(scenario, hours, custom_closed, custom_open)


def stated(moment, calendar, how):
    """The same instant, in UTC, in the calendar's zone or in another one."""
    return moment.astimezone({"utc": UTC, "local": calendar.tz, "other": KOLKATA}[how])


def check_segments(calendar, oracle):
    """Every working segment of every date covers working minutes of that date only, and
    together they cover every working minute."""
    scenario, covered = oracle.scenario, []
    for day in scenario.dates:
        segments = working_segments(calendar, day)
        assert all(a[1] < b[0] for a, b in itertools.pairwise(segments))  # in order, apart
        for start, end in segments:
            assert start < end
            assert start.tzinfo is UTC
            first, stop = (
                divmod(start - scenario.start, MINUTE),
                divmod(end - scenario.start, MINUTE),
            )
            assert not first[1], (day, start)  # whole minutes
            assert not stop[1], (day, end)
            covered.extend(range(first[0], stop[0]))
            assert set(scenario.local_dates[first[0] : stop[0]]) == {day}
    assert covered == oracle.worked


def check_cases(scenario, week, custom, seed):
    calendar, oracle = make_calendar(scenario, week, custom)
    check_segments(calendar, oracle)
    for a, b, how, amount in generated_cases(scenario, oracle, f"{seed} {week} {custom}"):
        note(f"start {a}, end {b}, stated in {how}, amount {amount}")
        start = stated(scenario.instant(a), calendar, how)
        end = stated(scenario.instant(b), calendar, how)

        # the working time between two instants, either way round
        assert working_between(calendar, start, end) == oracle.between(a, b) * MINUTE
        assert working_between(calendar, end, start) == oracle.between(b, a) * MINUTE

        # adding gives the oracle's instant, measuring gives the duration back, and the
        # result is the end of a working minute
        due = add_working(calendar, start, amount * MINUTE)
        assert due.tzinfo is calendar.tz
        # (compared in UTC: an instant in a repeated hour is never == one of another zone)
        assert due.astimezone(UTC) == scenario.instant(oracle.add(a, amount))
        assert working_between(calendar, start, due) == amount * MINUTE
        if amount:
            last = (due - scenario.start) // MINUTE - 1
            assert oracle.working[last], "the due time follows a minute off work"
            assert working_between(calendar, due.astimezone(UTC) - MINUTE, due) == MINUTE


@pytest.mark.parametrize("scenario", SCENARIOS["dst"], ids=str)
@settings(max_examples=50, deadline=None, derandomize=True)
@given(week=week, custom=custom_dates, seed=st.integers(0, 2**32 - 1))
def test_business_time_agrees_with_the_oracle_around_dst_changes(scenario, week, custom, seed):
    check_cases(scenario, week, custom, seed)


@pytest.mark.parametrize("scenario", SCENARIOS["makeup"], ids=str)
@settings(max_examples=20, deadline=None, derandomize=True)
@given(week=week, custom=custom_dates, seed=st.integers(0, 2**32 - 1))
def test_business_time_agrees_with_the_oracle_around_china_make_up_days(
    scenario, week, custom, seed
):
    check_cases(scenario, week, custom, seed)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    zone=st.sampled_from([NEW_YORK, BERLIN, SHANGHAI]),
    change=st.sampled_from([scenario.anchor for scenario in SCENARIOS["dst"]]),
    before=st.timedeltas(min_value=dt.timedelta(days=-4), max_value=dt.timedelta(days=1)),
    amount=st.timedeltas(min_value=dt.timedelta(), max_value=dt.timedelta(days=4)),
    how=st.sampled_from(["utc", "local", "other"]),
)
def test_plain_time_is_elapsed_time(zone, change, before, amount, how):
    always = Calendar.always(zone)
    start = stated(dt.datetime.combine(change, dt.time(), tzinfo=UTC) + before, always, how)
    due = add_working(always, start, amount)
    assert due.tzinfo is zone
    assert due.astimezone(UTC) - start.astimezone(UTC) == amount
    assert working_between(always, start, due) == amount
    assert working_between(always, due, start) == -amount
