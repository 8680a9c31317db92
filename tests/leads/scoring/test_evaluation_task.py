"""The evaluation job through a real Celery worker (leads.tasks.scoring_evaluation)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from leads.models import Job
from leads.scoring.analysis import evaluation_get_or_start
from tests.helpers import wait_for_job
from tests.leads.scoring.history_data import models, recent_history


@pytest.mark.celery_worker
def test_the_evaluation_runs_in_a_real_worker(
    transactional_db, celery_worker_process, migration_rows, marketer
):
    _published, draft = models(user=marketer)
    recent_history(now=timezone.now(), tz=timezone.get_default_timezone())

    job = evaluation_get_or_start(version=draft, months=3, user=marketer)  # sent on commit
    wait_for_job(job)

    assert job.state == Job.State.DONE, celery_worker_process.log()
    assert "leads.tasks.scoring_evaluation" in celery_worker_process.log()
    assert (job.done, job.total, job.percent) == (2, 2, 100)
    months = job.result["per_month"]
    assert [m["models"]["model"]["mqls"] for m in months] == [1, 1, 0]
    assert [m["models"]["against"]["mqls"] for m in months] == [1, 0, 0]
    assert [m["won_deals"] for m in months] == [0, 1, 0]
    totals = job.result["totals"]
    assert (totals["model"]["precision"], totals["against"]["precision"]) == (0.5, 1.0)
    assert (totals["model"]["recall"], totals["against"]["recall"]) == (1.0, 1.0)
    # Asking again reuses the finished job.
    assert evaluation_get_or_start(version=draft, months=3, user=marketer).pk == job.pk
