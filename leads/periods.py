"""Period keys of the periodic jobs (pure: no Django).

Every entry of beat's schedule runs at most once per *period*, whoever sends it
(two beats, a re-delivered message, a person at the shell): the task names its
period from the time it runs, and the first run of a period records it — the
nightly jobs as ``Job.period`` (one job per kind and period, a unique
constraint), the heartbeat as ``PeriodicRun`` (``leads.periodic``). A second send
in the same period finds the first run and does nothing.

- ``night(now, tz)``: the company's calendar day (``TIME_ZONE``) as ``YYYY-MM-DD``.
  The nightly re-score and predictive refresh run once per night: a re-score sent
  again at 02:16, or by hand at noon, belongs to the same night and finds its job.
- ``every(now, seconds)``: the start of the ``seconds``-long slot of UTC time that
  holds ``now``, e.g. ``2026-12-02T21:05:00+00:00`` for 300 s (slots start at
  multiples of ``seconds`` since the Unix epoch, so every process agrees).

Keys of one kind sort in time order as strings (``leads.periodic`` compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a period is named from an aware datetime")
    return now


def night(now: datetime, tz: tzinfo) -> str:
    """The calendar day of ``now`` in ``tz``, ``YYYY-MM-DD``."""
    return _aware(now).astimezone(tz).date().isoformat()


def every(now: datetime, seconds: int) -> str:
    """The start of the ``seconds``-long UTC slot holding ``now``, ISO 8601."""
    if seconds < 1:
        raise ValueError("a period is at least a second long")
    stamp = int(_aware(now).timestamp()) // seconds * seconds
    return datetime.fromtimestamp(stamp, tz=UTC).isoformat()
