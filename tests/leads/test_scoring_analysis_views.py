"""The evaluation and calibration pages (leads.scoring.analysis_views)."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse
from django.utils import translation

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


def evaluation_url(version, query=""):
    return reverse("leads:scoring_evaluation", args=[version.pk]) + query


def bars(html: str) -> dict[tuple[str, str], int]:
    found = re.findall(
        r'data-mark="bar" data-series="(\w+)" data-category="([\d-]+)" data-value="(\d+)"', html
    )
    return {(model, month): int(value) for model, month, value in found}


# ------------------------------------------------------------------ evaluation


@pytest.mark.parametrize(
    "path",
    [
        lambda: reverse("leads:scoring_evaluation", args=[1]),
        lambda: reverse("leads:scoring_calibration"),
    ],
)
def test_the_pages_require_login(client, path):
    response = client.get(path())
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_reading_the_page_starts_nothing(client, versions, marketer, sdr):
    _published, draft = versions
    small_history()

    for user in (sdr, marketer):  # issue 10 §3: a GET made a job per parameter
        client.force_login(user)
        for query in ("", "?months=2", "?months=3"):
            response = client.get(evaluation_url(draft, query))
            assert response.status_code == 200
            assert 'data-job-state="none"' in response.content.decode()

    assert Job.objects.filter(kind="evaluation").count() == 0
    html = response.content.decode()  # the marketer's: a form that posts
    assert re.search(r'<form method="post" class="analysis-form" data-evaluation-form>', html)
    client.force_login(sdr)
    html = client.get(evaluation_url(draft)).content.decode()
    assert re.search(r'<form method="get" class="analysis-form" data-evaluation-form>', html)
    assert "A marketing manager or an admin can start one." in html


def test_others_cannot_start_an_evaluation(client, versions, sdr, director):
    for user in (sdr, director):
        client.force_login(user)
        response = client.post(evaluation_url(versions[1]), {"months": 3})
        assert response.status_code == 403
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_the_evaluation_page_shows_progress_then_the_comparison(client, versions, marketer, sdr):
    _published, draft = versions
    small_history()
    client.force_login(marketer)

    started = client.post(evaluation_url(draft), {"months": 3})

    assert started.status_code == 302
    assert started.url == evaluation_url(draft, "?months=3")
    job = Job.objects.get(kind="evaluation")
    client.force_login(sdr)  # everyone logged in may read
    running = client.get(started.url)
    assert running.status_code == 200
    html = running.content.decode()
    assert "data-progress" in html
    assert reverse("leads:job_progress", args=[job.pk]) in html  # the generic progress bar
    assert "data-chart" not in html
    # The progress JSON is the generic one; an SDR may follow an evaluation job.
    progress = client.get(reverse("leads:job_progress", args=[job.pk])).json()
    assert (progress["state"], progress["total"], progress["finished"]) == ("pending", 3, False)

    evaluation_job_run(job_id=job.pk)
    progress = client.get(reverse("leads:job_progress", args=[job.pk])).json()
    assert (progress["state"], progress["percent"], progress["finished"]) == ("done", 100, True)
    done = client.get(evaluation_url(draft, "?months=3"))  # the page reloads

    html = done.content.decode()
    assert done.status_code == 200
    assert "data-progress-url" not in html
    assert bars(html) == {
        ("model", "2026-04"): 1,
        ("against", "2026-04"): 1,
        ("model", "2026-05"): 1,
        ("against", "2026-05"): 0,
        ("model", "2026-06"): 1,
        ("against", "2026-06"): 1,
    }
    assert 'data-chart="rates"' in html
    point = 'data-mark="point" data-series="model-precision" data-category="{}" data-value="{}"'
    assert point.format("2026-04", "100.0") in html
    assert point.format("2026-05", "0.0") in html
    assert re.search(r'<span class="kpi-value" data-kpi="precision">50.0 %</span>', html)
    assert re.search(r'<span class="kpi-value" data-kpi="precision">100.0 %</span>', html)
    assert html.count('<tr data-month="') == 3
    assert "Synthetic demo data" not in html
    # Evaluate again with a fresh result: the finished job is reused
    client.force_login(marketer)
    assert client.post(evaluation_url(draft), {"months": 3}).status_code == 302
    assert Job.objects.filter(kind="evaluation").count() == 1


def test_the_evaluation_page_labels_synthetic_data(client, versions, marketer):
    _published, draft = versions
    small_history(source_system="demo")
    client.force_login(marketer)
    client.post(evaluation_url(draft), {"months": 3})
    evaluation_job_run(job_id=Job.objects.get(kind="evaluation").pk)

    html = client.get(evaluation_url(draft, "?months=3")).content.decode()

    assert "data-demo-badge" in html


def test_the_against_selector_offers_the_other_versions(client, versions, marketer):
    published, draft = versions
    client.force_login(marketer)

    started = client.post(evaluation_url(published), {"months": 3, "against": draft.pk})
    response = client.get(started.url)

    assert started.url == evaluation_url(published, f"?months=3&against={draft.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    select = re.search(r'<select name="against".*?</select>', html, re.S).group(0)
    assert f'<option value="{draft.pk}" selected>v2 Looser (Draft)</option>' in select
    assert f'<option value="{published.pk}"' not in select  # not itself
    job = Job.objects.get(kind="evaluation")
    assert (job.params["model"], job.params["against"]) == (published.pk, draft.pk)


def test_the_published_model_asks_what_to_compare_with(client, versions, marketer):
    published, _draft = versions
    client.force_login(marketer)

    response = client.get(evaluation_url(published))
    posted = client.post(evaluation_url(published), {"months": 3})

    for answer in (response, posted):
        assert answer.status_code == 200
        assert "choose another version to compare it with" in answer.content.decode()
    assert Job.objects.filter(kind="evaluation").count() == 0


@pytest.mark.parametrize("data", [{"months": 0}, {"months": 25}, {"months": "x"}, {"against": 999}])
def test_bad_parameters_are_400(client, versions, marketer, data):
    client.force_login(marketer)

    read = client.get(evaluation_url(versions[1]), data)
    start = client.post(evaluation_url(versions[1]), data)

    for response in (read, start):
        assert response.status_code == 400
        assert 'class="field-error"' in response.content.decode()
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_an_unknown_version_is_404(client, marketer):
    client.force_login(marketer)
    assert client.get(reverse("leads:scoring_evaluation", args=[4242])).status_code == 404
    assert client.post(reverse("leads:scoring_evaluation", args=[4242])).status_code == 404


def test_a_failed_evaluation_is_shown_until_someone_tries_again(client, versions, marketer):
    _published, draft = versions
    client.force_login(marketer)
    client.post(evaluation_url(draft), {"months": 3})
    job = Job.objects.get(kind="evaluation")
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED, result={"message": "disk full"}, finished_at=NOW
    )

    # The page reloads when its job ends: a failure is shown, not restarted.
    shown = client.get(evaluation_url(draft, "?months=3")).content.decode()

    assert 'data-job-state="failed"' in shown
    assert "disk full" in shown
    assert Job.objects.filter(kind="evaluation").count() == 1
    retry = re.search(r'<form method="post" data-retry>.*?</form>', shown, re.S).group(0)
    assert '<input type="hidden" name="months" value="3">' in retry

    again = client.post(evaluation_url(draft), {"months": 3, "against": ""})

    assert again.url == evaluation_url(draft, "?months=3")
    assert Job.objects.filter(kind="evaluation").count() == 2
    assert 'data-job-state="pending"' in client.get(again.url).content.decode()


# ----------------------------------------------------------------- calibration


def closed_leads(count: int = 1):
    """``count`` won leads (demo request + web visit) and as many lost (web visit)."""
    for n in range(count):
        make_lead(
            sh(3, 1 + n % 20),
            path=[("mql", sh(3, 2)), ("sal", sh(3, 3)), ("sql", sh(3, 5)), ("won", sh(5, 1))],
            acts=[("demo_request", sh(3, 1)), ("web_visit", sh(3, 1, 13))],
        )
        make_lead(
            sh(3, 4),
            path=[("mql", sh(3, 5)), ("disqualified", sh(3, 20))],
            acts=[("web_visit", sh(3, 4))],
        )


def test_the_calibration_table_is_for_everyone_the_button_for_marketing(
    client, versions, sdr, marketer, django_assert_max_num_queries
):
    closed_leads(30)
    client.force_login(sdr)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("leads:scoring_calibration"))

    html = response.content.decode()
    assert response.status_code == 200
    row = re.search(r'<tr data-type="demo_request".*?</tr>', html, re.S).group(0)
    assert ">30<" in row  # leads that did it, won
    assert "100.0 %" in row and "1.50×" in row  # noqa: PT018
    assert 'data-suggested="50.0"' in row
    web = re.search(r'<tr data-type="web_visit".*?</tr>', html, re.S).group(0)
    assert ">60<" in web
    assert 'data-suggested="25.0"' in web
    assert "data-create-draft" not in html

    client.force_login(marketer)
    assert "data-create-draft" in client.get(reverse("leads:scoring_calibration")).content.decode()


def test_create_draft_from_the_suggestion(client, versions, marketer):
    closed_leads(30)
    client.force_login(marketer)

    response = client.post(reverse("leads:scoring_calibration"), {"months": 12}, follow=True)

    draft = ScoringModelVersion.objects.get(number=3)
    assert draft.status == "draft"
    rules = {r["activity_type"]: r["points"] for r in draft.definition["interest_rules"]}
    assert (rules["demo_request"], rules["web_visit"]) == (50.0, 25.0)
    try:  # the model page, once it exists; until then back to the calibration
        expected = reverse("leads:scoring_model", args=[draft.pk])
    except NoReverseMatch:
        expected = reverse("leads:scoring_calibration") + "?months=12"
    assert response.redirect_chain[0][0] == expected
    assert "Draft v3 created from the suggestion" in response.content.decode()


@pytest.mark.parametrize("who", ["sdr", "director", "ae"])
def test_others_cannot_create_a_draft(client, versions, who, request):
    closed_leads(30)
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("leads:scoring_calibration"), {"months": 12})

    assert response.status_code == 403
    assert ScoringModelVersion.objects.count() == 2


def test_a_draft_without_a_suggestion_says_why(client, versions, marketer):
    closed_leads(2)  # fewer than 30 leads per type
    client.force_login(marketer)

    response = client.post(reverse("leads:scoring_calibration"), {"months": 12}, follow=True)

    assert "No suggestion" in response.content.decode()
    assert ScoringModelVersion.objects.count() == 2


def test_calibration_bad_months_is_400(client, versions, marketer):
    client.force_login(marketer)
    response = client.get(reverse("leads:scoring_calibration") + "?months=99")
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()


@pytest.fixture
def restore_language():
    yield
    translation.deactivate()  # LocaleMiddleware leaves the request's language active


def test_the_pages_speak_chinese(client, versions, marketer, restore_language):
    closed_leads(30)
    client.force_login(marketer)
    client.cookies["django_language"] = "zh-hans"

    calibration = client.get(reverse("leads:scoring_calibration")).content.decode()
    evaluation = client.get(evaluation_url(versions[1], "?months=3")).content.decode()

    with translation.override("zh-hans"):
        assert translation.gettext("Closed-loop calibration") != "Closed-loop calibration"
        assert translation.gettext("Closed-loop calibration") in calibration
        assert translation.gettext("Create draft from this suggestion") in calibration
        assert translation.gettext("Months of history") in evaluation
