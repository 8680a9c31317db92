"""The range a stored moment must fall in (pure: no Django).

Times that already happened — a lead's creation at its source, its consent, an
activity, a touch — must lie between ``EARLIEST`` (1970-01-01 UTC) and now plus
``CLOCK_SKEW`` (5 minutes: the sender's clock may run a little ahead), checked after
conversion to UTC. Outside it, a value is refused before anything is written: a year-1
or year-9999 moment with a far offset cannot even be converted to UTC, and once
stored it breaks every page that reads it back.
"""

from __future__ import annotations

import datetime as dt

EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(minutes=5)


def past_moment_problem(moment: dt.datetime, *, now: dt.datetime) -> str | None:
    """``None`` when the aware ``moment`` is a time that may already have happened;
    else why not: ``"unrepresentable"``, ``"too_early"`` or ``"future"``."""
    try:
        utc = moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return "unrepresentable"
    if utc < EARLIEST:
        return "too_early"
    if utc > now + CLOCK_SKEW:
        return "future"
    return None


def representable_problem(moment: dt.datetime) -> str | None:
    """``None`` when the aware ``moment`` converts to UTC within the years 1–9999 (a
    filter bound may lie in the future); else ``"unrepresentable"``."""
    try:
        moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return "unrepresentable"
    return None


# The latest moment stored where the future is allowed (e.g. a planned date): it
# converts to every zone (offsets up to ±14 h) without leaving the year 9999.
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def stored_moment_problem(moment: dt.datetime) -> str | None:
    """``None`` when the aware ``moment`` may be stored where the future is allowed:
    between ``EARLIEST`` and ``LATEST`` once converted to UTC; else
    ``"unrepresentable"``, ``"too_early"`` or ``"too_late"``."""
    try:
        utc = moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return "unrepresentable"
    if utc < EARLIEST:
        return "too_early"
    if utc > LATEST:
        return "too_late"
    return None


# A date a filter may name: a day whose start and following day exist in every zone.
EARLIEST_DAY = EARLIEST.date()
LATEST_DAY = dt.date(9999, 12, 30)
