"""Business-time arithmetic (issue 12 §1): pure, no Django.

A :class:`Calendar` says when work happens: a time zone, working intervals per
weekday (several a day, in minutes from local midnight, ``24:00`` allowed as an
end), closed dates (public holidays, custom closures) and open dates (China's
make-up working days, custom openings), each open date working the hours of a
named weekday (Monday by default). ``Calendar.always()`` is plain 24×7 time.

**Working time** is the time that elapses while the local clock is inside a working
interval. Across the autumn DST change a repeated hour counts twice if it is working
time; the skipped spring hour counts zero. Each local day is cut into pieces of
constant UTC offset, and on each piece the instants whose local time lies in an
interval form one UTC range, so both cases fall out of the same arithmetic.

Two functions do the work, on aware datetimes only (a naive one is refused):

- :func:`add_working` — the instant a working duration after a start;
- :func:`working_between` — the working duration between two instants.

:func:`build_calendar` resolves a calendar from the ``holidays`` package (one or more
countries, their make-up days) and custom dates, the custom ones winning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays as holidays_package

UTC = dt.UTC
DAY_MINUTES = 24 * 60
# Looking this many days ahead for working time before giving up: a calendar with no
# working hours at all (or every day closed) has no deadline to give.
MAX_SEARCH_DAYS = 3 * 366

Interval = tuple[int, int]  # minutes from local midnight, start < end <= 1440


def minutes(text: str) -> int:
    """``"09:30"`` → 570; ``"24:00"`` → 1440."""
    hours, _, mins = text.partition(":")
    value = int(hours) * 60 + int(mins or 0)
    if not 0 <= value <= DAY_MINUTES or not 0 <= int(mins or 0) < 60:
        raise ValueError(f"not a time of day: {text!r}")
    return value


def intervals(*pairs: tuple[str, str]) -> tuple[Interval, ...]:
    """``intervals(("09:00", "12:00"), ("13:30", "18:00"))``, checked and sorted."""
    result = sorted((minutes(a), minutes(b)) for a, b in pairs)
    for (start, end), following in zip(result, [*result[1:], None], strict=True):
        if start >= end:
            raise ValueError("an interval must end after it starts")
        if following is not None and following[0] < end:
            raise ValueError("intervals overlap")
    return tuple(result)


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)  # weekday 0=Mon
    closed: frozenset[dt.date] = frozenset()
    open: Mapping[dt.date, int] = field(default_factory=dict)  # date → weekday it works
    always_open: bool = False

    @classmethod
    def always(cls, tz: ZoneInfo | None = None) -> Calendar:
        """Plain 24×7 hours (e.g. the return window's 48 hours)."""
        return cls(tz=tz or ZoneInfo("UTC"), always_open=True)

    def day_intervals(self, day: dt.date) -> tuple[Interval, ...]:
        """The working intervals of a local date (an open date wins over a closed one)."""
        if day in self.open:
            return self.hours.get(self.open[day], ())
        if day in self.closed:
            return ()
        return self.hours.get(day.weekday(), ())


def build_calendar(
    *,
    tz: str | ZoneInfo,
    hours: Mapping[int, tuple[Interval, ...]],
    countries: Iterable[str] = (),
    years: Iterable[int] = (),
    closed_dates: Iterable[dt.date] = (),
    open_dates: Mapping[dt.date, int] | Iterable[dt.date] = (),
    makeup_weekday: int = 0,
) -> Calendar:
    """A calendar with the public holidays and make-up working days of ``countries``
    (ISO codes, e.g. ``["CN"]``) for ``years``; custom closed and open dates override
    them (an open date given without a weekday works ``makeup_weekday``'s hours)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    years = sorted(set(years))
    closed: set[dt.date] = set()
    opened: dict[dt.date, int] = {}
    for country in countries:
        known = holidays_package.country_holidays(country, years=years)
        closed.update(day for day in known if day.year in years)
        for day in getattr(known, "weekend_workdays", ()):
            if day.year in years:
                opened[day] = makeup_weekday
    custom_open = (
        dict(open_dates)
        if isinstance(open_dates, Mapping)
        else dict.fromkeys(open_dates, makeup_weekday)
    )
    custom_closed = set(closed_dates)
    closed = (closed - set(custom_open)) | custom_closed
    for day in custom_closed:
        opened.pop(day, None)
    opened.update(custom_open)
    return Calendar(tz=zone, hours=dict(hours), closed=frozenset(closed), open=opened)


def years_without_makeup_days(country: str, years: Iterable[int]) -> list[int]:
    """Years the ``holidays`` package gives no make-up working day for, in a country
    that has them (China): the package does not know those years yet, an admin must
    enter the days. Empty for a country without make-up days."""
    years = sorted(set(years))
    known = holidays_package.country_holidays(country, years=years)
    makeup = getattr(known, "weekend_workdays", None)
    if makeup is None:
        return []
    # A country has make-up days if the package lists any for recent years at all.
    sample = holidays_package.country_holidays(country, years=range(2020, 2026))
    if not getattr(sample, "weekend_workdays", ()):
        return []
    have = {day.year for day in makeup}
    return [year for year in years if year not in have]


def _require_aware(*moments: dt.datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("business time needs timezone-aware datetimes")


def _offset_pieces(
    tz: ZoneInfo, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime, dt.timedelta]]:
    """``[start, end)`` (UTC) cut where the zone's offset changes (at most once a day
    is assumed; found to the second)."""
    first = start.astimezone(tz).utcoffset()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).utcoffset()
    if first == last:
        return [(start, end, first)]
    low, high = start, end  # the offset is `first` at low, `last` just before high
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == first:
            low = middle
        else:
            high = middle
    return [(start, high, first), (high, end, last)]


def working_segments(calendar: Calendar, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The UTC ranges of a local date during which its local clock is inside a working
    interval, in order."""
    spans = calendar.day_intervals(day)
    if not spans:
        return []
    tz = calendar.tz
    day_start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(UTC)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=UTC)  # the local date, as if UTC
    segments = []
    for piece_start, piece_end, offset in _offset_pieces(tz, day_start, day_end):
        for start_min, end_min in spans:
            start = midnight + dt.timedelta(minutes=start_min) - offset
            end = midnight + dt.timedelta(minutes=end_min) - offset
            start, end = max(start, piece_start), min(end, piece_end)
            if start < end:
                segments.append((start, end))
    return sorted(segments)


def _local_date(calendar: Calendar, moment: dt.datetime) -> dt.date:
    return moment.astimezone(calendar.tz).date()


def working_between(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """The working time in ``[start, end)``; negative when ``end`` comes first."""
    _require_aware(start, end)
    if end < start:
        return -working_between(calendar, end, start)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if calendar.always_open:
        return end - start
    total = dt.timedelta()
    day = _local_date(calendar, start) - dt.timedelta(days=1)  # a segment may start the day before
    last = _local_date(calendar, end)
    while day <= last:
        for seg_start, seg_end in working_segments(calendar, day):
            low, high = max(seg_start, start), min(seg_end, end)
            if low < high:
                total += high - low
        day += dt.timedelta(days=1)
    return total


def add_working(calendar: Calendar, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The instant at which ``duration`` of working time has elapsed since ``start``
    (in the calendar's zone). A zero duration gives ``start`` itself."""
    _require_aware(start)
    if duration < dt.timedelta():
        raise ValueError("a working duration cannot be negative")
    if calendar.always_open or not duration:
        return (start + duration).astimezone(calendar.tz)
    moment = start.astimezone(UTC)
    left = duration
    day = _local_date(calendar, moment) - dt.timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS):
        for seg_start, seg_end in working_segments(calendar, day):
            low = max(seg_start, moment)
            if low >= seg_end:
                continue
            if seg_end - low >= left:
                return (low + left).astimezone(calendar.tz)
            left -= seg_end - low
        day += dt.timedelta(days=1)
    raise ValueError(f"no working time within {MAX_SEARCH_DAYS} days: check the calendar")


def day_length(calendar: Calendar) -> dt.timedelta:
    """How long a working day is, for terms counted in working days: the working time
    of a Monday in this calendar (of its longest weekday when Mondays are closed);
    24 hours on plain 24×7 time."""
    if calendar.always_open:
        return dt.timedelta(days=1)

    def total(day: int) -> int:
        return sum(end - start for start, end in calendar.hours.get(day, ()))

    minutes_ = total(0) or max((total(day) for day in range(7)), default=0)
    return dt.timedelta(minutes=minutes_)
