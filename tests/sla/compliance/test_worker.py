"""The daily freeze runs on a real Celery worker as beat sends it: every closed month
with data is frozen once, and each report reaches the directors by email."""

from __future__ import annotations

import pytest

from sla.models import ComplianceReport
from tests.helpers import wait_until
from tests.sla.compliance.conftest import NOVEMBER

pytestmark = [pytest.mark.redis, pytest.mark.celery_worker]


def test_the_daily_task_freezes_and_emails_on_a_worker(
    celery_worker_process,
    november,
    director,
):
    from sla.tasks import freeze_reports

    director.email = "dana@example.com"
    director.save()
    freeze_reports.delay()
    wait_until(
        lambda: ComplianceReport.objects.filter(month=NOVEMBER, emailed_at__isnull=False).exists(),
        timeout=60,
        what=f"November frozen and emailed\n{celery_worker_process.log()}",
    )
    freeze_reports.delay()  # a second send: nothing new
    wait_until(
        lambda: (
            "sla.tasks.freeze_reports" in celery_worker_process.log()
            and celery_worker_process.log().count("succeeded") >= 2
        ),
        timeout=60,
        what=f"the second run\n{celery_worker_process.log()}",
    )
    assert ComplianceReport.objects.filter(month=NOVEMBER).count() == 1
    assert ComplianceReport.objects.get(month=NOVEMBER).reason == "scheduled"
