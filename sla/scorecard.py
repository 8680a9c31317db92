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
from typing import NamedTuple
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


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``month``'s (before: negative)."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_state(month: dt.date, current: dt.date) -> str:
    """``closed``, ``open`` (``current``, the month now) or ``future``."""
    if month > current:
        return "future"
    return "open" if month == current else "closed"


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


# ----------------------------------------------------------------- the month's table

AT_RISK = "at_risk"
HOURS = Decimal(3600)


class Fact(NamedTuple):
    """One thing a period term counts: a lead (an MQL, a lead received, a lead given
    up on, a return) or a clock, whether it kept the promise (``ok``), the groups it
    belongs to (``dims``: ``(dimension, key)`` pairs) and, for durations, its seconds.
    (A named tuple: a month has hundreds of thousands of them.)"""

    lead: int
    ok: bool
    dims: tuple[tuple[str, str], ...] = ()
    seconds: float | None = None
    clock: int | None = None


def _hours(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return str((Decimal(str(seconds)) / HOURS).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _figure(kind: str, facts: Sequence[Fact], target: Decimal, *, durations: bool) -> dict:
    """Target, actual, verdict of one group of facts. ``kind``: count (the number of
    facts), percent (the share that kept the promise) or hours (the p90 of the
    durations, met at most the target)."""
    count = len(facts)
    seconds = [f.seconds for f in facts if f.seconds is not None]
    p50 = _hours(percentile(seconds, 50)) if durations and seconds else None
    p90 = _hours(percentile(seconds, 90)) if durations and seconds else None
    if kind == "count":
        actual: Decimal | None = Decimal(count)
        figure = {"count": count, "of": None}
        result = verdict(actual, target)
    elif kind == "hours":
        actual = Decimal(p90) if p90 is not None else None
        within = sum(1 for f in facts if f.ok)
        figure = {"count": within, "of": count}
        result = verdict(actual, target, at_most=True)
    else:
        kept = sum(1 for f in facts if f.ok)
        actual = share(kept, count)
        figure = {"count": kept, "of": count}
        result = verdict(actual, target)
    return {
        "target": str(target),
        "actual": None if actual is None else str(actual),
        "verdict": result,
        **figure,
        "p50": p50,
        "p90": p90,
    }


def table(
    key: str,
    side: str,
    kind: str,
    facts: Sequence[Fact],
    target: Decimal,
    *,
    team_targets: dict[str, Decimal] | None = None,
    durations: bool = False,
    no_data: str = "",
) -> tuple[dict, list[dict]]:
    """One period term's line and its breakdown rows (``sla.compliance`` stores them;
    see the contract in ``sla/compliance/figures.py``). A group's target is the term's
    (a team's own target where it has one); a count's target is the month's total, so
    groups of a count have no verdict of their own, except teams with their own target."""
    line = {"term": key, "side": side, "kind": kind}
    line.update(_figure(kind, facts, target, durations=durations))
    missed = [f for f in facts if not f.ok]
    line["leads"] = sorted({f.lead for f in missed})
    line["clocks"] = sorted({f.clock for f in missed if f.clock is not None})
    line["note"] = no_data if not facts else ""
    groups: dict[tuple[str, str], list[Fact]] = {}
    for fact in facts:
        for dim in fact.dims:
            groups.setdefault(dim, []).append(fact)
    rows = []
    for (dimension, group_key), members in sorted(groups.items()):
        own = (team_targets or {}).get(group_key) if dimension == "team" else None
        row = {"term": key, "dimension": dimension, "key": group_key}
        row.update(_figure(kind, members, own if own is not None else target, durations=durations))
        if kind == "count" and own is None:
            row["target"], row["verdict"] = None, ""
        rows.append(row)
    return line, rows
