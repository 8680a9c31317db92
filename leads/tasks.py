"""Celery tasks of the leads app: thin, by id, re-runnable."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="leads.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Beat's liveness tick: proves worker and beat are connected through the broker."""
    logger.info("smarketing heartbeat")
    return "ok"
