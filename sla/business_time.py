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
from functools import lru_cache
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


@dataclass(frozen=True, eq=False)
class Calendar:
    tz: ZoneInfo
    hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)  # weekday 0=Mon
    closed: frozenset[dt.date] = frozenset()
    open: Mapping[dt.date, int] = field(default_factory=dict)  # date → weekday it works
    always_open: bool = False

    # Equal and hashed by content (its mappings frozen into ``_key`` when it is made), so
    # that a day's working segments are computed once per calendar, not once per call:
    # do not change ``hours`` or ``open`` in place after making one.
    def __post_init__(self) -> None:
        key = (
            self.tz,
            tuple(sorted((day, tuple(spans)) for day, spans in self.hours.items() if spans)),
            frozenset(self.closed),
            tuple(sorted(self.open.items())),
            self.always_open,
        )
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_hash", hash(key))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calendar):
            return NotImplemented
        return self is other or (self._hash == other._hash and self._key == other._key)

    def __hash__(self) -> int:
        return self._hash

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
        holidays_, makeup_days = _country_days(country, tuple(years))
        closed.update(holidays_)
        opened.update(dict.fromkeys(makeup_days, makeup_weekday))
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


@lru_cache(maxsize=256)
def _country_days(
    country: str, years: tuple[int, ...]
) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """A country's public holidays and make-up working days in ``years`` (the package
    takes milliseconds to work them out: once per process)."""
    known = holidays_package.country_holidays(country, years=years)
    makeup = getattr(known, "weekend_workdays", ())
    return (
        frozenset(day for day in known if day.year in years),
        frozenset(day for day in makeup if day.year in years),
    )


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


# Inside, instants are whole microseconds since the epoch (exact integer arithmetic).
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_SECOND = 1_000_000
_MINUTE = 60 * _SECOND


def _to_us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _from_us(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)


def _offset_us(tz: dt.tzinfo, second: int) -> int:
    """The zone's UTC offset at a UTC second, in microseconds."""
    return dt.datetime.fromtimestamp(second, tz).utcoffset() // _MICROSECOND


def _offset_pieces(tz: dt.tzinfo, start: int, end: int) -> list[tuple[int, int, int]]:
    """``[start, end)`` (whole UTC seconds) cut where the zone's UTC offset changes, as
    ``(start, end, offset)`` in microseconds. A change is found exactly (zones change
    offset on a whole second) by halving; two changes that cancel out within the range
    (never within two days in the tz database) would be missed."""
    pieces = []
    first = _offset_us(tz, start)
    while start < end:
        last = _offset_us(tz, end - 1)
        if first == last:
            pieces.append((start * _SECOND, end * _SECOND, first))
            break
        low, high = start, end - 1  # the offset is `first` at low and not at high
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_us(tz, middle) == first:
                low = middle
            else:
                high = middle
        pieces.append((start * _SECOND, high * _SECOND, first))
        start, first = high, _offset_us(tz, high)
    return pieces


@lru_cache(maxsize=1 << 14)
def _day(calendar: Calendar, ordinal: int) -> tuple[tuple[tuple[int, int], ...], int]:
    """A local date's working segments (UTC microseconds, in order) and their total."""
    day = dt.date.fromordinal(ordinal)
    spans = calendar.day_intervals(day)
    if not spans:
        return (), 0
    tz = calendar.tz
    # The instants whose local date is `day` lie between its earliest local midnight and
    # the next day's latest one (a midnight may be repeated or skipped by a DST change).
    first_midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    low = min(_to_us(first_midnight), _to_us(first_midnight.replace(fold=1)))
    high = max(_to_us(next_midnight), _to_us(next_midnight.replace(fold=1)))
    # An instant t at UTC offset o is at local time t + o: on a piece of constant offset,
    # the instants whose local time lies in [a, b) of `day` form [day + a - o, day + b - o).
    midnight = _to_us(dt.datetime.combine(day, dt.time(), tzinfo=UTC))
    segments = []
    for piece_start, piece_end, offset in _offset_pieces(tz, low // _SECOND, -(-high // _SECOND)):
        for start_min, end_min in spans:
            start = max(midnight + start_min * _MINUTE - offset, piece_start)
            end = min(midnight + end_min * _MINUTE - offset, piece_end)
            if start < end:
                segments.append((start, end))
    segments.sort()
    merged: list[tuple[int, int]] = []
    for start, end in segments:  # one range across a change inside working time
        if merged and merged[-1][1] == start:
            start = merged.pop()[0]
        merged.append((start, end))
    return tuple(merged), sum(end - start for start, end in merged)


def working_segments(calendar: Calendar, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The UTC ranges of a local date during which its local clock is inside a working
    interval, in order."""
    segments, _ = _day(calendar, day.toordinal())
    return [(_from_us(start), _from_us(end)) for start, end in segments]


def _first_ordinal(calendar: Calendar, moment: dt.datetime) -> int:
    # The day before the local date: a DST change at midnight can give the previous
    # local date a stretch of time after this one's midnight.
    return moment.astimezone(calendar.tz).toordinal() - 1


def working_between(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """The working time in ``[start, end)``; negative when ``end`` comes first."""
    _require_aware(start, end)
    # Compared in UTC: two times of the same zone compare by their wall clock, which is
    # wrong within the repeated autumn hour.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end < start:
        return -working_between(calendar, end, start)
    if calendar.always_open:
        return end - start
    low, high = _to_us(start), _to_us(end)
    ordinal = _first_ordinal(calendar, start)
    last = end.astimezone(calendar.tz).toordinal()
    total = 0
    while ordinal <= last:
        segments, day_total = _day(calendar, ordinal)
        if segments and segments[-1][1] > low:
            if segments[0][0] >= low and segments[-1][1] <= high:
                total += day_total
            else:
                for seg_start, seg_end in segments:
                    if seg_start >= high:
                        break
                    total += max(0, min(seg_end, high) - max(seg_start, low))
        ordinal += 1
    return dt.timedelta(microseconds=total)


def add_working(calendar: Calendar, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The instant at which ``duration`` of working time has elapsed since ``start``
    (in the calendar's zone). A zero duration gives ``start`` itself."""
    _require_aware(start)
    if duration < dt.timedelta():
        raise ValueError("a working duration cannot be negative")
    if calendar.always_open or not duration:
        # Plain elapsed time: added in UTC (added to a zone's wall clock, 24 hours
        # across a DST change would be 23 or 25).
        return (start.astimezone(UTC) + duration).astimezone(calendar.tz)
    moment = _to_us(start)
    left = duration // _MICROSECOND
    ordinal = _first_ordinal(calendar, start)
    searched = MAX_SEARCH_DAYS if any(calendar.hours.values()) else 0  # no hours: none
    for _ in range(searched):
        segments, day_total = _day(calendar, ordinal)
        ordinal += 1
        if not segments or segments[-1][1] <= moment:
            continue
        if segments[0][0] >= moment and day_total < left:
            left -= day_total
            continue
        for seg_start, seg_end in segments:
            low = max(seg_start, moment)
            if low >= seg_end:
                continue
            if seg_end - low >= left:
                return _from_us(low + left).astimezone(calendar.tz)
            left -= seg_end - low
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
