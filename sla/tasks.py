"""The SLA's Celery tasks (found by ``smarketing/celery.py``'s autodiscovery).

``sla.tasks.sweep`` is beat's ``sla-sweep`` entry, every minute: the sweep's
transaction (``sla.notify.sweep``: notifications made exactly once, whoever sends the
task and however often), then, after its commit, the email of unsent notifications and
the due webhook deliveries (both at least once). Idempotent by nature: a second send in
the same minute finds nothing due."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="sla.tasks.sync_leads", ignore_result=True)
def sync_leads(lead_ids: list[int]) -> int:
    """Recompute these leads' clocks (events written in bulk, or by the claim)."""
    from sla.clocks import sync

    return sync.compute(sync.stale_leads(lead_ids))


@shared_task(name="sla.tasks.catch_up", ignore_result=True)
def catch_up() -> dict:
    """Beat, every minute: the leads whose events the clocks do not follow yet."""
    from sla.clocks import sync

    return sync.catch_up()


@shared_task(name="sla.tasks.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """Beat, every minute: warnings, breaches and escalations (``sla.notify.sweep``),
    then their email and webhooks."""
    from sla.notify.sweep import sweep as run_sweep

    counts = run_sweep()
    if any(counts.values()):
        logger.info("sla sweep: %s", counts)
    notifications_email()
    webhooks_deliver()
    return counts


@shared_task(name="sla.tasks.notifications_email", ignore_result=True)
def notifications_email() -> int:
    """The unsent notifications' email, at least once (``sla.notify.email``)."""
    from sla.notify.email import emails_send

    sent = emails_send()
    if sent:
        logger.info("sla notifications emailed: %s", sent)
    return sent


@shared_task(name="sla.tasks.webhooks_deliver", ignore_result=True)
def webhooks_deliver() -> dict[str, int]:
    """The due webhook deliveries, each retried with backoff (``sla.notify.webhooks``)."""
    from sla.notify.webhooks import webhooks_send

    counts = webhooks_send()
    if any(counts.values()):
        logger.info("sla webhooks: %s", counts)
    return counts


@shared_task(name="sla.tasks.freeze_reports", ignore_result=True)
def freeze_reports() -> list[str]:
    """Beat, daily: freeze every closed month that has no report yet
    (``sla.compliance.reports.freeze_closed_months``; a missed run loses no month), then
    email any report whose email has not gone yet (a lost task, a mail server down)."""
    from sla.compliance.email import send_unsent
    from sla.compliance.reports import freeze_closed_months

    made = freeze_closed_months()
    send_unsent()
    if made:
        logger.info("sla reports frozen: %s", [str(report) for report in made])
    return [str(report) for report in made]


@shared_task(name="sla.tasks.report_email", ignore_result=True)
def report_email(report_id: int) -> int:
    """A frozen report to the directors, once (``sla.compliance.email``)."""
    from sla.compliance.email import send

    return send(report_id)
