"""Celery tasks of the SLA (found by ``smarketing/celery.py``'s autodiscovery).

``sla.tasks.sweep`` is beat's ``sla-sweep`` entry, every minute: the sweep's
transaction (``sla.notify.sweep``: notifications made exactly once, whoever sends the
task and however often), then, after its commit, the email of unsent notifications and
the due webhook deliveries (both at least once). Idempotent by nature: a second send in
the same minute finds nothing due."""

from __future__ import annotations

import logging

from celery import shared_task

from sla.notify.email import emails_send
from sla.notify.sweep import sweep as run_sweep
from sla.notify.webhooks import webhooks_send

logger = logging.getLogger(__name__)


@shared_task(name="sla.tasks.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    counts = run_sweep()
    if any(counts.values()):
        logger.info("sla sweep: %s", counts)
    notifications_email()
    webhooks_deliver()
    return counts


@shared_task(name="sla.tasks.notifications_email", ignore_result=True)
def notifications_email() -> int:
    sent = emails_send()
    if sent:
        logger.info("sla notifications emailed: %s", sent)
    return sent


@shared_task(name="sla.tasks.webhooks_deliver", ignore_result=True)
def webhooks_deliver() -> dict[str, int]:
    counts = webhooks_send()
    if any(counts.values()):
        logger.info("sla webhooks: %s", counts)
    return counts
