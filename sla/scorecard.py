"""The arithmetic of the monthly scorecard (issue 13): pure, no Django.

- :func:`month_bounds` — a calendar month in a time zone as two aware UTC instants
  (a month closes at midnight in the calendar's zone: 00:05 on the 1st in Shanghai is
  still the 31st in UTC, and belongs to the new month).
- :func:`percentile` — the nearest-rank percentile (p50, p90 of response times): the
  smallest value with at least p % of the values at or below it; None with no values.
- :func:`share` — a percentage, None when there is nothing to count (never a division
  by zero: the report says "no data" instead).
- :func:`verdict` — met, missed or no data; a term whose actual equals its target is
  met, whichever way the term counts (a share at least its target, a duration at most).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

MET, MISSED, NO_DATA = "met", "missed", "no_data"


def month_bounds(month: dt.date, tz: str | ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month of ``month`` in ``tz``, in UTC."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    first = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = (
        dt.datetime(month.year + 1, 1, 1, tzinfo=zone)
        if month.month == 12
        else dt.datetime(month.year, month.month + 1, 1, tzinfo=zone)
    )
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)


def month_of(moment: dt.datetime, tz: str | ZoneInfo) -> dt.date:
    """The month (its first day) an aware instant falls in, read in ``tz``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no month in a time zone")
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    local = moment.astimezone(zone)
    return dt.date(local.year, local.month, 1)


def percentile(values: Sequence[float | int | dt.timedelta], p: float):
    """Nearest rank: the value at rank ceil(p/100 × n) of the sorted values."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, to two decimals; None when ``whole`` is 0."""
    if whole < 0 or part < 0 or part > whole:
        raise ValueError("a share is a part of a whole")
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def verdict(actual, target, *, at_most: bool = False) -> str:
    """Met or missed against ``target`` (``at_most``: a duration, lower is better);
    no data when there is no actual."""
    if actual is None:
        return NO_DATA
    if at_most:
        return MET if actual <= target else MISSED
    return MET if actual >= target else MISSED
