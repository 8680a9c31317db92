"""Periodic tasks that have no job of their own (the heartbeat) run at most once per
period (``leads.periods`` names it).

``period_claim(name=…, period=…)`` moves the task's ``PeriodicRun`` row forward to
``period`` with one conditional UPDATE (``WHERE period < %s``) and says whether it
did: the first caller of a period gets True and runs; a second send of the same
period — a second beat, a re-delivered message — gets False and does nothing, and
so does a late message of an earlier period (it would run behind a newer one).
Periodic *jobs* (the nightly re-score and predictive refresh) keep their period on
the ``Job`` row instead (``leads.jobs.start_once``): the job is the record.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from leads.models import PeriodicRun


def period_claim(*, name: str, period: str, now: datetime | None = None) -> bool:
    """True when this call is the first run of ``name`` for ``period`` (see the module
    docs); the row records the period and when it ran."""
    PeriodicRun.objects.get_or_create(name=name)  # "" sorts before every period
    now = now or timezone.now()
    claimed = PeriodicRun.objects.filter(name=name, period__lt=period).update(
        period=period, ran_at=now, updated_at=now
    )
    return claimed == 1
