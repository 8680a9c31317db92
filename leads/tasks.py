"""Celery tasks of the core: beat's heartbeat. A capability's tasks live in its own
package (``leads/intake/tasks.py``, ``leads/scoring/tasks.py``), each found by the
worker (``smarketing/celery.py``); their names stay ``leads.tasks.…``."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from leads import jobs, periods
from leads.periodic import period_claim

logger = logging.getLogger(__name__)


@shared_task(name="leads.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Beat's liveness tick: proves worker and beat are connected through the broker
    and the database. Once per ``HEARTBEAT_SECONDS`` period (``PeriodicRun`` row
    "heartbeat" says when it last ran); a second send in the period does nothing."""
    period = periods.every(timezone.now(), settings.HEARTBEAT_SECONDS)
    if not period_claim(name="heartbeat", period=period):
        logger.info("smarketing heartbeat of %s: ran already", period)
        return "ran already"
    logger.info("smarketing heartbeat of %s", period)
    return "ok"


@shared_task(name="leads.tasks.jobs_sweep", ignore_result=True)
def jobs_sweep() -> dict[str, int]:
    """Beat's sweep (every 30 s): a dead worker's job goes to a live one, a task the
    broker never got is sent (``leads.jobs.sweep``)."""
    outcome = jobs.sweep().to_dict()
    if any(outcome.values()):
        logger.info("jobs sweep: %s", outcome)
    return outcome
