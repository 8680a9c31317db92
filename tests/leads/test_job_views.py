"""The generic job page and its progress JSON (leads.job_views), and who sees a job."""

import pytest
from django.urls import reverse

from leads.models import Job
from leads.selectors import jobs_visible_to


@pytest.fixture
def rescore_job(marketer):
    return Job.objects.create(
        kind=Job.Kind.RESCORE,
        state=Job.State.RUNNING,
        done=40,
        total=160,
        created_by=marketer,
        params={"version": 1, "number": 3, "reason": "publish", "after_id": 40},
        result={"scored": 40, "changed": 12, "became_mql": 2},
    )


@pytest.fixture
def import_job(marketer):
    return Job.objects.create(kind=Job.Kind.IMPORT, state=Job.State.DONE, created_by=marketer)


def test_scoring_jobs_are_shared_imports_are_not(rescore_job, import_job, sdr, admin_user):
    assert set(jobs_visible_to(viewer=sdr)) == {rescore_job}
    assert set(jobs_visible_to(viewer=admin_user)) == {rescore_job, import_job}


def test_progress_json(client, sdr, rescore_job):
    client.force_login(sdr)
    data = client.get(reverse("leads:job_progress", args=[rescore_job.pk])).json()
    assert data["percent"] == 25
    assert (data["done"], data["total"], data["finished"]) == (40, 160, False)
    assert data["result"]["became_mql"] == 2
    assert data["state_label"] == "Running"


def test_page_shows_progress_then_result(client, sdr, rescore_job):
    client.force_login(sdr)
    url = reverse("leads:job_detail", args=[rescore_job.pk])
    page = client.get(url).content.decode()
    assert "data-progress" in page
    assert "Scoring model v3" in page
    Job.objects.filter(pk=rescore_job.pk).update(state=Job.State.DONE, done=160)
    page = client.get(url).content.decode()
    assert "data-progress-url" not in page
    assert 'data-count="changed">12<' in page


def test_other_peoples_import_is_404_and_anonymous_goes_to_login(
    client, sdr, import_job, rescore_job
):
    response = client.get(reverse("leads:job_detail", args=[rescore_job.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]
    client.force_login(sdr)
    assert client.get(reverse("leads:job_detail", args=[import_job.pk])).status_code == 404
    assert client.get(reverse("leads:job_progress", args=[import_job.pk])).status_code == 404


def test_import_job_goes_to_the_import_page(client, marketer, import_job):
    client.force_login(marketer)
    response = client.get(reverse("leads:job_detail", args=[import_job.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:import_detail", args=[import_job.pk])


def test_api_job_visibility(api_as, sdr, rescore_job, import_job):
    client = api_as(sdr)
    assert client.get(f"/api/v1/jobs/{rescore_job.pk}/").json()["result"]["scored"] == 40
    assert client.get(f"/api/v1/jobs/{import_job.pk}/").status_code == 404
