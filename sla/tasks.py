"""The SLA's Celery tasks."""

from __future__ import annotations

from celery import shared_task


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
