"""GET /api/v1/scoring/predictive/ and POST /api/v1/scoring/predictive/refresh/."""

import pytest
from django.urls import reverse

from leads.models import Job
from leads.scoring.predictive_services import predictive_train
from tests.factories import AccountFactory
from tests.leads.scoring.predictive_history import WON_PATH, lead_with_history, odoo_history

pytestmark = pytest.mark.django_db

SNAPSHOT = reverse("api:scoring_predictive")
REFRESH = reverse("api:scoring_predictive_refresh")


@pytest.mark.parametrize(("method", "url"), [("get", SNAPSHOT), ("post", REFRESH)])
def test_both_endpoints_need_credentials(api_client, method, url):
    response = getattr(api_client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert not Job.objects.exists()


def test_before_any_training_the_snapshot_is_404(api_as, director):
    response = api_as(director).get(SNAPSHOT)
    assert response.status_code == 404
    assert response.json()["detail"] == "The predictive score has not been trained yet."


@pytest.mark.parametrize("role_user", ["director", "sdr", "integration", "marketer"])
def test_everyone_reads_the_snapshot(api_as, request, role_user, settings):
    settings.PREDICTIVE_PRIOR_WEIGHT = 0  # Odoo's factors, worked by hand below
    odoo_history()
    lead_with_history(stage="lost", path=WON_PATH, source_system="demo")
    snapshot = predictive_train(min_count=0)

    response = api_as(request.getfixturevalue(role_user)).get(SNAPSHOT)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == snapshot.pk
    assert (body["trained_rows"], body["won"], body["lost"]) == (41, 10, 31)
    assert body["held_out_rows"] == snapshot.held_out_rows
    assert body["evaluation_trained_rows"] == 41 - snapshot.held_out_rows
    assert (body["min_count"], body["held_out_percent"], body["synthetic"]) == (0, 20, True)
    assert set(body["evaluation"]) == {"n", "won", "accuracy", "auc", "brier", "base_rate"}
    assert body["evaluation"]["n"] == snapshot.held_out_rows
    # strongest first: SQL and opportunity, 10 won / 1 lost: (10.1/10.1) / (1.1/31.1) = ×28;
    # then SAL, 10 won / 3 lost: ×10
    assert [(f["field"], f["value"]) for f in body["factors"][:3]] == [
        ("stage", "sql"),
        ("stage", "opportunity"),
        ("stage", "sal"),
    ]
    assert body["factors"][0]["text"] == "Furthest stage: SQL — 28× more likely than average"
    assert body["factors"][0]["lift"] == pytest.approx(31.1 / 1.1)
    assert body["factors"][2]["odds_ratio"] == pytest.approx(31.1 / 3.1)
    assert body["job"] is None


def test_a_snapshot_without_held_out_leads_has_no_evaluation(api_as, director):
    fr = AccountFactory(country="FR")
    lead_with_history(stage="won", path=WON_PATH, account=fr, pk=3)  # 3 and 5: not held out
    lead_with_history(stage="lost", path=WON_PATH, account=fr, pk=5)
    predictive_train(min_count=0)

    body = api_as(director).get(SNAPSHOT).json()

    assert (body["held_out_rows"], body["evaluation"]) == (0, None)


@pytest.mark.parametrize("role_user", ["director", "sdr", "sales_manager", "integration", "ae"])
def test_only_marketing_and_admins_may_refresh(api_as, request, role_user):
    response = api_as(request.getfixturevalue(role_user)).post(REFRESH, {}, format="json")

    assert response.status_code == 403
    assert "marketing managers and admins" in response.json()["detail"]
    assert not Job.objects.exists()


@pytest.mark.parametrize("role_user", ["marketer", "admin_user"])
def test_refresh_answers_202_with_the_job(
    api_as, request, role_user, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(role_user)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = api_as(user).post(REFRESH, {"min_count": 3}, format="json")

    assert response.status_code == 202
    job = Job.objects.get()
    assert response.json()["id"] == job.pk
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert (job.kind, job.state, job.params, job.created_by) == (
        "predictive",
        "pending",
        {"min_count": 3},
        user,
    )
    assert len(queued) == 1
    # the job is followed through the jobs API
    assert api_as(user).get(response["Location"]).json()["kind"] == "predictive"


def test_a_second_refresh_returns_the_one_under_way(api_as, marketer, admin_user):
    first = api_as(marketer).post(REFRESH, format="json").json()
    second = api_as(admin_user).post(REFRESH, format="json")

    assert second.status_code == 202
    assert second.json()["id"] == first["id"]
    assert Job.objects.count() == 1


@pytest.mark.parametrize("value", [-1, "many", 2.5, 10**7])
def test_a_bad_min_count_is_400_naming_the_field(api_as, marketer, value):
    response = api_as(marketer).post(REFRESH, {"min_count": value}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["min_count"] == ["Give a whole number from 0 to 1,000,000."]
    assert not Job.objects.exists()


def test_a_body_that_is_not_an_object_is_400(api_as, marketer):
    response = api_as(marketer).post(REFRESH, [1, 2], format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]
    assert not Job.objects.exists()
