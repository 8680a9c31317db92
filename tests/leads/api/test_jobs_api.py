"""GET /api/v1/jobs/{id}/."""

import pytest

from leads.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(marketer):
    return Job.objects.create(
        kind="import", state="running", done=40, total=100, errors=[{"row": 3}], created_by=marketer
    )


def test_the_owner_sees_the_progress(api_as, marketer, job):
    body = api_as(marketer).get(f"/api/v1/jobs/{job.pk}/").json()
    assert {k: body[k] for k in ("kind", "state", "done", "total", "percent", "errors")} == {
        "kind": "import",
        "state": "running",
        "done": 40,
        "total": 100,
        "percent": 40,
        "errors": [{"row": 3}],
    }
    assert set(body) >= {"result", "created_at", "started_at", "finished_at"}


def test_an_admin_sees_every_job(api_as, admin_user, job):
    assert api_as(admin_user).get(f"/api/v1/jobs/{job.pk}/").status_code == 200


def test_someone_elses_job_is_404(api_as, director, job):
    assert api_as(director).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_an_unknown_job_is_404(api_as, marketer):
    assert api_as(marketer).get("/api/v1/jobs/424242/").status_code == 404
