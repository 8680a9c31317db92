"""A bulk write's clocks are computed by a real Celery worker after the commit, and
the catch-up pass runs as the beat task does."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from leads import hooks
from leads.models import LeadEvent
from sla.models import Clock
from tests.factories import LeadFactory
from tests.helpers import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.celery_worker]


def test_more_leads_than_the_inline_limit_are_computed_by_a_worker(
    celery_worker_process, settings, sdr
):
    settings.SLA_INLINE_MAX_LEADS = 2
    leads = LeadFactory.create_batch(3, stage="mql", owner=sdr)
    now = timezone.now()
    with transaction.atomic():
        for lead in leads:
            LeadEvent.objects.create(
                lead=lead, kind="stage_change", from_stage="inquiry", to_stage="mql",
                actor_system="scoring", at=now,
            )  # fmt: skip
            LeadEvent.objects.create(
                lead=lead, kind="assignment", actor_system="routing", at=now,
                data={"to_user": sdr.pk, "to_team": None},
            )  # fmt: skip
        hooks.on_events_written([lead.pk for lead in leads])
        assert not Clock.objects.exists()  # not in the writer's transaction

    wait_until(
        lambda: Clock.objects.filter(term="acceptance").count() == 3,
        timeout=30,
        what=f"the worker's clocks\n{celery_worker_process.log()}",
    )


def test_the_catch_up_task_runs_on_a_worker(celery_worker_process, sdr):
    from sla.tasks import catch_up

    lead = LeadFactory(stage="mql", owner=sdr)
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(lead=lead, kind="stage_change", from_stage="inquiry", to_stage="mql",
                      actor_system="test"),
            LeadEvent(lead=lead, kind="assignment", actor_system="test",
                      data={"to_user": sdr.pk, "to_team": None}),
        ]
    )  # fmt: skip

    catch_up.delay()

    wait_until(
        lambda: Clock.objects.filter(lead=lead, term="acceptance").exists(),
        timeout=30,
        what=f"the catch-up's clocks\n{celery_worker_process.log()}",
    )
