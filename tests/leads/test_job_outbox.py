"""The broker down while work is started (issue 10 §2): publishing a scoring model (page
and API), an import and a predictive refresh record their job first and answer as
usual when Redis cannot be reached — the job is queued, its task unsent; once the
broker is back the sweeper sends it and a real worker runs it (``leads.jobs``).

Transactional, as in production: the task is sent when the request's transaction
commits, inside the request (it answered 500 there before, after publishing).
Redis down is a broker URL on a dead port (``tests.leads.brokers``)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from leads import jobs
from leads.models import Job, Lead, ScoringModelVersion
from leads.scoring.engine import default_model
from leads.scoring.services import scoring_model_create_draft
from tests.factories import LeadFactory
from tests.helpers import wait_for_job
from tests.leads.brokers import DEAD_BROKER, celery_app_on

pytestmark = pytest.mark.django_db(transaction=True)


def draft(user) -> ScoringModelVersion:
    return scoring_model_create_draft(definition=default_model(1).to_dict(), user=user)


def test_publishing_while_the_broker_is_down_answers_as_usual_with_the_job_queued(
    client, api_as, marketer
):
    LeadFactory.create_batch(3)
    by_api, by_page = draft(marketer), draft(marketer)

    with celery_app_on(DEAD_BROKER):
        response = api_as(marketer).post(reverse("api:scoring_model_publish", args=[by_api.pk]))
        client.force_login(marketer)
        page = client.post(reverse("leads:scoring_publish", args=[by_page.pk]))

    assert response.status_code == 202, response.content
    api_job = Job.objects.get(pk=response.json()["job"])
    page_job = Job.objects.exclude(pk=api_job.pk).get(kind=Job.Kind.RESCORE)
    assert (page.status_code, page["Location"]) == (
        302,
        reverse("leads:job_detail", args=[page_job.pk]),
    )
    for job in (api_job, page_job):
        assert (job.state, job.sent_at, job.params["reason"]) == ("pending", None, "publish")
    assert ScoringModelVersion.objects.get(status="published") == by_page
    status = client.get(response.json()["status_url"]).json()
    assert (status["state"], status["sent_at"]) == ("pending", None)


def test_an_import_and_a_predictive_refresh_started_while_the_broker_is_down_are_queued(
    client, api_as, marketer, settings
):
    settings.IMPORT_INLINE_MAX_ROWS = 2  # three rows: a job for the worker
    client.force_login(marketer)
    rows = "Email,Source\n" + "".join(f"n{n}@acme.example,website\n" for n in range(3))

    with celery_app_on(DEAD_BROKER):
        client.post(
            reverse("leads:import_start"),
            {"file": SimpleUploadedFile("three.csv", rows.encode(), "text/csv")},
        )
        upload = Job.objects.get(kind=Job.Kind.IMPORT)
        run = client.post(reverse("leads:import_run", args=[upload.pk]))
        refresh = api_as(marketer).post(
            reverse("api:scoring_predictive_refresh"), {}, format="json"
        )

    assert (run.status_code, run["Location"]) == (
        302,
        reverse("leads:import_detail", args=[upload.pk]),
    )
    upload.refresh_from_db()
    assert (upload.state, upload.sent_at, Lead.objects.count()) == ("pending", None, 0)
    assert refresh.status_code == 202, refresh.content
    assert (refresh.json()["state"], refresh.json()["sent_at"]) == ("pending", None)


@pytest.mark.redis
@pytest.mark.celery_worker
def test_once_the_broker_is_back_the_sweeper_sends_the_job_and_a_worker_runs_it(
    celery_worker_process, migration_rows, api_as, marketer
):
    leads = LeadFactory.create_batch(4)
    version = draft(marketer)
    with celery_app_on(DEAD_BROKER):
        response = api_as(marketer).post(reverse("api:scoring_model_publish", args=[version.pk]))
    job = Job.objects.get(pk=response.json()["job"])
    assert (job.state, job.sent_at) == ("pending", None)

    # the real broker again; the sweeper's next round (past the grace of inline jobs)
    outcome = jobs.sweep(now=timezone.now() + jobs.UNSENT_GRACE)

    assert outcome.sent == [job.pk]
    job = wait_for_job(job)
    assert job.state == Job.State.DONE, celery_worker_process.log()
    assert (job.done, job.total, job.attempts) == (4, 4, 1)
    assert set(Lead.objects.values_list("pk", "score_model")) == {
        (lead.pk, version.pk) for lead in leads
    }
