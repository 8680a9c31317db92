"""The refresh job through a real Celery worker (leads.tasks.predictive_refresh)."""

import pytest

from leads.models import Job, Lead, PredictiveSnapshot
from leads.scoring.predictive_selectors import predict_row, predictive_open_rows, snapshot_model
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
    # what the worker's snapshot says (its settings: shrinkage and a fitted temperature)
    model = snapshot_model(snapshot)
    rows = {row.id: row for row in predictive_open_rows(lead_ids=[v.pk for v in leads.values()])}
    expected = {k: predict_row(model, rows[lead.pk]).probability for k, lead in leads.items()}
    assert stored == pytest.approx(expected)
    assert stored["sal", "FR"] > stored["mql", "FR"] > stored["inquiry", "FR"]
    assert stored["inquiry", "FR"] > stored["inquiry", "DE"]
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
    # the MQL stage moves the odds most: 10 won / 10 lost there, shrunk toward the
    # average p = 10.1 / 40.2 by PREDICTIVE_PRIOR_WEIGHT (5) leads: (10 + 5p) / 25 = 45 %
    # (the values every lead shares, such as no activity of a type, lower it a little)
    [row] = predictive_open_rows(lead_ids=[lead.pk])
    model = snapshot_model(PredictiveSnapshot.objects.get())
    assert lead.win_probability == pytest.approx(predict_row(model, row).probability)
    assert 40 < lead.win_probability < 100 * (10 + 5 * 10.1 / 40.2) / 25
    assert PredictiveSnapshot.objects.get().params["min_count"] == 20
