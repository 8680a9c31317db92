"""GET and POST /api/v1/scoring/models/{id}/evaluation/, GET /api/v1/scoring/calibration/,
POST /api/v1/scoring/calibration/draft/."""

from __future__ import annotations

import pytest
import time_machine

from leads.models import Job, ScoringModelVersion
from leads.scoring.analysis import evaluation_job_run
from tests.leads.scoring.history_data import NOW, make_lead, models, sh, small_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def versions(marketer):
    return models(user=marketer)


def url(version, **query):
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/scoring/models/{version.pk}/evaluation/" + (f"?{params}" if params else "")


# ------------------------------------------------------------------ evaluation


def test_a_get_starts_nothing_whoever_asks(api_as, versions, marketer, sdr, director):
    _published, draft = versions
    small_history()

    # issue 10 §3: each distinct parameter made a job, for any role that may read
    for user in (sdr, director, marketer):
        for months in (1, 2, 3):
            response = api_as(user).get(url(draft, months=months))
            assert response.status_code == 404
    assert response.json() == {
        "detail": "No evaluation of version 2 over 3 months was started: a marketing manager"
        " or an admin starts one with a POST to this URL."
    }
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_a_post_starts_it_a_get_follows_it_then_answers_with_the_result(api_as, versions, marketer):
    _published, draft = versions
    small_history()
    client = api_as(marketer)

    started = client.post(url(draft), {"months": 3}, format="json")
    again = client.post(url(draft), {"months": 3}, format="json")  # running: the same job
    read = client.get(url(draft, months=3))

    assert started.status_code == 202
    job_id = started.json()["job"]
    assert started.json() == {
        "job": job_id,
        "status_url": f"/api/v1/jobs/{job_id}/",
        "state": "pending",
        "done": 0,
        "total": 3,  # the leads received in the window
        "percent": 0,
    }
    assert (again.status_code, again.json()["job"]) == (202, job_id)
    assert (read.status_code, read.json()) == (202, started.json())
    assert Job.objects.filter(kind="evaluation").count() == 1
    assert client.get(f"/api/v1/jobs/{job_id}/").json()["kind"] == "evaluation"

    evaluation_job_run(job_id=job_id)
    done = client.get(url(draft, months=3))

    assert done.status_code == 200
    body = done.json()
    assert (body["job"], body["months"], body["model"]["number"]) == (job_id, 3, 2)
    assert body["against"]["number"] == 1
    assert [m["models"]["model"]["mqls"] for m in body["per_month"]] == [1, 1, 1]
    assert (body["totals"]["model"]["precision"], body["totals"]["against"]["precision"]) == (
        0.5,
        1.0,
    )
    # a fresh result: posting again answers it, no second job
    fresh = client.post(url(draft), {"months": 3}, format="json")
    assert (fresh.status_code, fresh.json()["job"]) == (200, job_id)
    assert Job.objects.filter(kind="evaluation").count() == 1


def test_everyone_may_read_an_evaluation(api_as, versions, marketer, sdr, director, integration):
    _published, draft = versions
    job_id = api_as(marketer).post(url(draft), {"months": 3}, format="json").json()["job"]
    evaluation_job_run(job_id=job_id)

    for user in (sdr, director, integration):
        response = api_as(user).get(url(draft, months=3))
        assert (response.status_code, response.json()["job"]) == (200, job_id)
        # ... and its status_url, although someone else started it.
        assert api_as(user).get(f"/api/v1/jobs/{job_id}/").json()["state"] == "done"


@pytest.mark.parametrize("who", ["sdr", "ae", "sales_manager", "director", "integration"])
def test_only_marketing_managers_and_admins_start_one(api_as, versions, who, request):
    response = api_as(request.getfixturevalue(who)).post(
        url(versions[1]), {"months": 3}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Only marketing managers and admins start evaluations."}
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_an_admin_starts_one(api_as, versions, admin_user):
    response = api_as(admin_user).post(url(versions[1]), {"months": 3}, format="json")
    assert response.status_code == 202
    assert Job.objects.filter(kind="evaluation").count() == 1


def test_the_newest_failed_evaluation_is_a_404_saying_so(api_as, versions, marketer):
    _published, draft = versions
    job_id = api_as(marketer).post(url(draft), {"months": 3}, format="json").json()["job"]
    Job.objects.filter(pk=job_id).update(state=Job.State.FAILED, result={"message": "disk full"})

    response = api_as(marketer).get(url(draft, months=3))

    assert response.status_code == 404
    assert response.json() == {
        "detail": "The newest evaluation of these parameters failed: disk full"
    }
    # starting again starts a new job
    again = api_as(marketer).post(url(draft), {"months": 3}, format="json")
    assert (again.status_code, again.json()["job"] != job_id) == (202, True)


def test_other_peoples_jobs_of_other_kinds_stay_hidden(api_as, marketer, director):
    job = Job.objects.create(kind="import", created_by=marketer)
    assert api_as(director).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_against_names_the_baseline(api_as, versions, marketer):
    published, draft = versions
    response = api_as(marketer).post(url(published), {"against": draft.pk}, format="json")

    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert (job.params["model"], job.params["against"], job.params["months"]) == (
        published.pk,
        draft.pk,
        6,
    )
    assert api_as(marketer).get(url(published, against=draft.pk)).json()["job"] == job.pk


BAD_PARAMETERS = [
    ({"months": 0}, "months", "Must be from 1 to 24."),
    ({"months": 25}, "months", "Must be from 1 to 24."),
    ({"months": "six"}, "months", "Enter a whole number."),
    ({"against": "x"}, "against", "Enter a whole number."),
    ({"against": 999}, "against", "No scoring model version with id 999."),
]


@pytest.mark.parametrize(("query", "field", "message"), BAD_PARAMETERS)
def test_bad_parameters_are_400_naming_the_parameter(
    api_as, versions, marketer, query, field, message
):
    read = api_as(marketer).get(url(versions[1], **query))
    start = api_as(marketer).post(url(versions[1]), query, format="json")

    for response in (read, start):
        assert response.status_code == 400
        assert response.json()["errors"] == {field: [message]}
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_a_body_that_is_not_an_object_is_400(api_as, versions, marketer):
    response = api_as(marketer).post(url(versions[1]), [3], format="json")
    assert response.status_code == 400
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_against_itself_is_400(api_as, versions, marketer):
    published, draft = versions
    client = api_as(marketer)
    assert client.get(url(draft, against=draft.pk)).json()["errors"] == {
        "against": ["A version cannot be compared with itself."]
    }
    assert client.post(url(draft), {"against": draft.pk}, format="json").status_code == 400
    response = client.post(url(published), {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["against"]
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_an_unknown_model_is_404(api_as, marketer):
    for response in (
        api_as(marketer).get("/api/v1/scoring/models/4242/evaluation/"),
        api_as(marketer).post("/api/v1/scoring/models/4242/evaluation/", {}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "No scoring model version with id 4242."}


def test_the_endpoints_need_authentication(api_client, versions):
    assert api_client.get(url(versions[1])).status_code == 401
    assert api_client.post(url(versions[1])).status_code == 401
    assert api_client.get("/api/v1/scoring/calibration/").status_code == 401
    assert api_client.post("/api/v1/scoring/calibration/draft/").status_code == 401
    assert Job.objects.filter(kind="evaluation").count() == 0


# ----------------------------------------------------------------- calibration


def closed_leads():
    """Two closed leads and an open one (see test_analysis.closed_leads)."""
    make_lead(
        sh(3, 1),
        path=[("mql", sh(3, 2)), ("sal", sh(3, 3)), ("sql", sh(3, 5)), ("won", sh(5, 1))],
        acts=[("demo_request", sh(3, 1)), ("web_visit", sh(3, 1, 13))],
    )
    make_lead(
        sh(3, 4),
        path=[("mql", sh(3, 5)), ("disqualified", sh(3, 20))],
        acts=[("web_visit", sh(3, 4))],
        source_system="demo",
    )
    make_lead(sh(3, 6), path=[("mql", sh(3, 7))], acts=[("demo_request", sh(3, 6))])


def test_calibration_table(api_as, versions, sdr, django_assert_max_num_queries):
    closed_leads()
    client = api_as(sdr)
    client.get("/api/v1/scoring/calibration/")  # warm the token/user caches

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/scoring/calibration/?months=12&min_leads=1")

    assert response.status_code == 200
    body = response.json()
    assert (body["months"], body["closed"], body["won"], body["synthetic"]) == (12, 2, 1, True)
    assert body["published"]["number"] == 1
    assert (body["base_close_rate"], body["average_close_rate"]) == (0.5, 0.6667)
    rows = {row["activity_type"]: row for row in body["rows"]}
    assert rows["demo_request"] == {
        "activity_type": "demo_request",
        "leads": 1,
        "won": 1,
        "close_rate": 1.0,
        "lift": 1.5,
        "current_points": 50.0,
        "suggested_points": 50.0,
        "reason": None,
        "trigger": False,
    }
    assert (rows["web_visit"]["leads"], rows["web_visit"]["suggested_points"]) == (2, 25.0)
    assert rows["webinar"]["reason"] == "too_few_leads"
    assert body["suggestion"] == {"demo_request": 50.0, "web_visit": 25.0}
    assert len(body["rows"]) == 14


@pytest.mark.parametrize(
    ("query", "field"),
    [("months=0", "months"), ("months=x", "months"), ("min_leads=0", "min_leads")],
)
def test_calibration_bad_parameters(api_as, versions, marketer, query, field):
    response = api_as(marketer).get(f"/api/v1/scoring/calibration/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("who", ["marketer", "admin_user"])
def test_marketing_and_admins_create_a_draft_from_the_suggestion(api_as, versions, who, request):
    closed_leads()
    user = request.getfixturevalue(who)

    response = api_as(user).post(
        "/api/v1/scoring/calibration/draft/", {"months": 12, "min_leads": 1}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    draft = ScoringModelVersion.objects.get(pk=body["id"])
    assert (draft.number, draft.status, draft.created_by) == (3, "draft", user)
    assert (body["number"], body["status"], body["name"]) == (3, "draft", draft.name)
    rules = {r["activity_type"]: r["points"] for r in body["definition"]["interest_rules"]}
    assert (rules["demo_request"], rules["web_visit"], rules["pricing_page"]) == (50.0, 25.0, 25)


@pytest.mark.parametrize("who", ["sdr", "director", "ae", "sales_manager", "integration"])
def test_others_may_not_create_a_draft(api_as, versions, who, request):
    closed_leads()
    response = api_as(request.getfixturevalue(who)).post(
        "/api/v1/scoring/calibration/draft/", {"months": 12, "min_leads": 1}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Only marketing managers and admins change scoring models."
    assert ScoringModelVersion.objects.count() == 2


def test_no_suggestion_is_400_naming_months(api_as, versions, marketer):
    closed_leads()
    response = api_as(marketer).post("/api/v1/scoring/calibration/draft/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["months"]
    assert ScoringModelVersion.objects.count() == 2


def test_a_draft_request_that_is_not_an_object_is_400(api_as, versions, marketer):
    response = api_as(marketer).post("/api/v1/scoring/calibration/draft/", [1], format="json")
    assert response.status_code == 400
    assert ScoringModelVersion.objects.count() == 2
