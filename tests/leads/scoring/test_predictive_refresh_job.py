"""The refresh job through a real Celery worker (leads.tasks.predictive_refresh)."""

import pytest

from leads.models import Job, Lead, PredictiveSnapshot
from leads.scoring.predictive_services import predictive_refresh_start
from leads.scoring.tasks import predictive_refresh
from tests.factories import AccountFactory
from tests.helpers import wait_for_job, wait_until
from tests.leads.scoring.predictive_history import ODOO_VECTOR, lead_with_history, odoo_history

pytestmark = pytest.mark.celery_worker


def open_leads():
    leads = {}
    for stage, country in ODOO_VECTOR:
        path = ("mql",) if stage == "sal" else ()
        account = AccountFactory(country=country)
        leads[stage, country] = lead_with_history(stage=stage, path=path, account=account)
    return leads


def test_a_refresh_runs_in_the_worker_to_the_end(celery_worker_process, migration_rows, marketer):
    odoo_history()
    leads = open_leads()
    for n in range(6):  # more open leads than one chunk of 4 holds
        lead_with_history(stage="nurture", path=("mql",) * (n % 2))

    job, created = predictive_refresh_start(user=marketer, min_count=0)
    Job.objects.filter(pk=job.pk).update(params={**job.params, "chunk_size": 4})
    job = wait_for_job(job)

    assert created is True
    assert job.state == Job.State.DONE, celery_worker_process.log()
    assert (job.done, job.total, job.percent) == (52, 52, 100)
    assert (job.result["trained_rows"], job.result["predicted"]) == (40, 12)
    snapshot = PredictiveSnapshot.objects.get()
    assert snapshot.job_id == job.pk
    stored = {k: Lead.objects.get(pk=lead.pk).win_probability for k, lead in leads.items()}
    assert {k: round(p, 2) for k, p in stored.items()} == ODOO_VECTOR
    assert (
        not Lead.objects.filter(stage__in=("nurture", "inquiry", "mql", "sal"))
        .filter(predicted_at=None)
        .exists()
    )
    assert "leads.tasks.predictive_refresh[" in celery_worker_process.log()


def test_the_nightly_run_makes_its_own_job(celery_worker_process, migration_rows):
    odoo_history()
    lead = lead_with_history(stage="mql", account=AccountFactory(country="FR"))

    predictive_refresh.delay()  # what beat sends: no job id

    wait_until(Job.objects.exists, timeout=90, what="the task to make its job")
    job = wait_for_job(Job.objects.get())
    assert (job.kind, job.state, job.created_by) == ("predictive", "done", None), (
        celery_worker_process.log()
    )
    lead.refresh_from_db()
    # the worker's own min_count (PREDICTIVE_MIN_COUNT, 20): FR (12 leads) is ignored, so
    # only the MQL stage moves the odds: 10.1 / (10.1 + 30.1 * 10.1 / 30.1) = 50 %
    assert round(lead.win_probability, 2) == 50.0
    assert PredictiveSnapshot.objects.get().params["min_count"] == 20
