"""Evaluation jobs and calibration drafts (leads.scoring.analysis) on the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from leads.models import Job, ScoringModelVersion
from leads.scoring.analysis import (
    AnalysisInputError,
    calibration_draft_create,
    calibration_report,
    evaluation_get_or_start,
    evaluation_job_run,
)
from leads.scoring.services import scoring_model_update_draft
from tests.leads.scoring.history_data import NOW, make_lead, models, sh, small_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def versions(marketer):
    return models(user=marketer)


# ------------------------------------------------------------------ evaluation


def test_starting_an_evaluation_queues_one_job(
    versions, marketer, django_capture_on_commit_callbacks
):
    published, draft = versions

    with django_capture_on_commit_callbacks() as callbacks:
        job = evaluation_get_or_start(version=draft, months=3, user=marketer)
    again = evaluation_get_or_start(version=draft, months=3, user=marketer)

    assert (job.kind, job.state, job.created_by) == ("evaluation", "pending", marketer)
    assert job.params["model"] == draft.pk
    assert job.params["against"] == published.pk  # the published one by default
    assert job.params["months"] == 3
    assert len(callbacks) == 1  # the Celery task, sent on commit
    assert again.pk == job.pk
    assert Job.objects.filter(kind="evaluation").count() == 1


def test_the_job_evaluates_the_worked_example(versions, marketer):
    published, draft = versions
    small_history()
    job = evaluation_get_or_start(version=draft, months=3, user=marketer)

    done = evaluation_job_run(job_id=job.pk)

    assert done.state == Job.State.DONE
    assert (done.done, done.total) == (3, 3)  # the March lead is outside the window
    result = done.result
    assert result["model"] == {"id": draft.pk, "number": 2, "name": "Looser", "status": "draft"}
    assert result["against"]["number"] == 1
    assert [m["month"] for m in result["per_month"]] == ["2026-04", "2026-05", "2026-06"]
    assert [m["models"]["model"]["mqls"] for m in result["per_month"]] == [1, 1, 1]
    assert [m["models"]["against"]["mqls"] for m in result["per_month"]] == [1, 0, 1]
    assert [m["won_deals"] for m in result["per_month"]] == [0, 0, 1]
    totals = result["totals"]
    assert {k: totals["model"][k] for k in ("mqls", "decided", "open", "won", "precision")} == {
        "mqls": 3,
        "decided": 2,
        "open": 1,
        "won": 1,
        "precision": 0.5,
    }
    assert {k: totals["against"][k] for k in ("mqls", "decided", "open", "won", "precision")} == {
        "mqls": 2,
        "decided": 1,
        "open": 1,
        "won": 1,
        "precision": 1.0,
    }
    assert (totals["model"]["recall"], totals["against"]["recall"]) == (1.0, 1.0)
    assert result["leads"] == {"received": 3, "decided": 2, "won": 1, "open": 1}
    assert result["synthetic"] is False


def test_a_small_chunk_size_gives_the_same_answer(versions, marketer):
    _published, draft = versions
    small_history()
    whole = evaluation_job_run(
        job_id=evaluation_get_or_start(version=draft, months=3, user=marketer).pk
    )
    Job.objects.filter(kind="evaluation").delete()

    chunked = evaluation_job_run(
        job_id=evaluation_get_or_start(version=draft, months=3, user=marketer).pk, chunk_size=1
    )

    assert chunked.result["totals"] == whole.result["totals"]
    assert chunked.result["per_month"] == whole.result["per_month"]


def test_a_finished_job_runs_once(versions, marketer):
    _published, draft = versions
    job = evaluation_get_or_start(version=draft, months=3, user=marketer)
    first = evaluation_job_run(job_id=job.pk)

    assert evaluation_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.finished_at == first.finished_at


def test_a_fresh_result_is_reused_a_stale_one_is_not(versions, marketer, frozen):
    _published, draft = versions
    job = evaluation_get_or_start(version=draft, months=3, user=marketer)
    evaluation_job_run(job_id=job.pk)

    frozen.shift(timedelta(hours=23))
    assert evaluation_get_or_start(version=draft, months=3, user=marketer).pk == job.pk

    frozen.shift(timedelta(hours=2))  # finished more than 24 h ago
    newer = evaluation_get_or_start(version=draft, months=3, user=marketer)
    assert newer.pk != job.pk
    assert newer.state == Job.State.PENDING


def test_other_parameters_or_an_edited_model_start_another_job(versions, marketer):
    published, draft = versions
    job = evaluation_get_or_start(version=draft, months=3, user=marketer)
    evaluation_job_run(job_id=job.pk)

    six = evaluation_get_or_start(version=draft, months=6, user=marketer)
    other_way = evaluation_get_or_start(version=published, against=draft, months=3, user=marketer)
    changed = {
        **draft.definition,
        "threshold": {**draft.definition["threshold"], "min_interest": 30},
    }
    edited = scoring_model_update_draft(version=draft, definition=changed, user=marketer)
    after_edit = evaluation_get_or_start(version=edited, months=3, user=marketer)

    assert len({job.pk, six.pk, other_way.pk, after_edit.pk}) == 4


def test_a_job_that_stopped_moving_is_replaced(versions, marketer, frozen):
    _published, draft = versions
    job = evaluation_get_or_start(version=draft, months=3, user=marketer)

    frozen.shift(timedelta(minutes=29))
    assert evaluation_get_or_start(version=draft, months=3, user=marketer).pk == job.pk
    frozen.shift(timedelta(minutes=2))  # 31 minutes without progress: its worker is gone
    assert evaluation_get_or_start(version=draft, months=3, user=marketer).pk != job.pk


def test_a_failed_job_is_not_reused(versions, marketer):
    _published, draft = versions
    job = evaluation_get_or_start(version=draft, months=3, user=marketer)
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED)

    assert evaluation_get_or_start(version=draft, months=3, user=marketer).pk != job.pk


def test_a_job_whose_model_vanished_fails_with_a_message(versions, marketer):
    published, _draft = versions
    other = ScoringModelVersion.objects.create(number=9, definition=published.definition)
    job = evaluation_get_or_start(version=other, months=3, user=marketer)
    other.delete()

    failed = evaluation_job_run(job_id=job.pk)

    assert failed.state == Job.State.FAILED
    assert "does not exist" in failed.result["message"]


@pytest.mark.parametrize("months", [0, 25])
def test_months_out_of_range(versions, marketer, months):
    with pytest.raises(AnalysisInputError) as caught:
        evaluation_get_or_start(version=versions[1], months=months, user=marketer)
    assert caught.value.field == "months"
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_comparing_a_version_with_itself(versions, marketer):
    published, draft = versions
    with pytest.raises(AnalysisInputError, match="itself") as caught:
        evaluation_get_or_start(version=draft, against=draft, months=3, user=marketer)
    assert caught.value.field == "against"
    with pytest.raises(AnalysisInputError, match="published model") as caught:
        evaluation_get_or_start(version=published, months=3, user=marketer)
    assert caught.value.field == "against"
    assert Job.objects.filter(kind="evaluation").count() == 0


def test_without_a_published_model_a_baseline_must_be_named(marketer):
    draft = ScoringModelVersion.objects.create(number=1, definition={})
    with pytest.raises(AnalysisInputError, match="No model is published") as caught:
        evaluation_get_or_start(version=draft, months=3, user=marketer)
    assert caught.value.field == "against"


def test_an_invalid_definition_is_refused_before_a_job_exists(versions, marketer):
    published, _draft = versions
    broken = ScoringModelVersion.objects.create(number=7, definition={"threshold": None})
    with pytest.raises(AnalysisInputError, match="cannot be scored") as caught:
        evaluation_get_or_start(version=broken, against=published, months=3, user=marketer)
    assert caught.value.field == "model"
    assert Job.objects.filter(kind="evaluation").count() == 0


# ----------------------------------------------------------------- calibration


def closed_leads():
    """One won lead (demo request + web visit), one lost (web visit), one open."""
    make_lead(
        sh(3, 1),
        path=[("mql", sh(3, 2)), ("sal", sh(3, 3)), ("sql", sh(3, 5)), ("won", sh(5, 1))],
        acts=[("demo_request", sh(3, 1)), ("web_visit", sh(3, 1, 13))],
    )
    make_lead(
        sh(3, 4),
        path=[("mql", sh(3, 5)), ("disqualified", sh(3, 20))],
        acts=[("web_visit", sh(3, 4))],
    )
    make_lead(sh(3, 6), path=[("mql", sh(3, 7))], acts=[("demo_request", sh(3, 6))])


def test_calibration_report_on_the_published_scale(versions):
    closed_leads()

    report = calibration_report(months=12, min_leads=1)

    rows = {r.activity_type: r for r in report.calibration.rows}
    # demo (1 lead, 1 won), web visit (2, 1): 2 wins in 3 (lead, type) pairs -> 66.7 %.
    assert report.calibration.average_close_rate == 0.6667
    assert (rows["demo_request"].lift, rows["web_visit"].lift) == (1.5, 0.75)
    assert report.calibration.suggestion == {"demo_request": 50.0, "web_visit": 25.0}
    assert report.published.number == 1
    assert (report.start, report.end) == (NOW.replace(year=2025), NOW)
    assert report.to_dict()["closed"] == 2


def test_a_draft_from_the_calibration(versions, marketer):
    closed_leads()

    draft = calibration_draft_create(user=marketer, months=12, min_leads=1)

    assert (draft.number, draft.status, draft.created_by) == (3, "draft", marketer)
    assert draft.name == "v1 calibrated on 12 months of closed leads"
    rules = {r["activity_type"]: r for r in draft.definition["interest_rules"]}
    assert (rules["demo_request"]["points"], rules["demo_request"]["cap"]) == (50.0, 75.0)
    assert (rules["web_visit"]["points"], rules["web_visit"]["cap"]) == (25.0, 125.0)
    assert rules["pricing_page"]["points"] == 25  # no suggestion: kept
    published = ScoringModelVersion.objects.get(number=1)
    assert draft.definition["fit_rules"] == published.definition["fit_rules"]
    assert draft.definition["threshold"] == published.definition["threshold"]


def test_no_draft_without_a_suggestion(versions, marketer):
    closed_leads()
    with pytest.raises(AnalysisInputError, match="No suggestion") as caught:
        calibration_draft_create(user=marketer, months=12)  # 30 leads needed per type
    assert caught.value.field == "months"
    assert ScoringModelVersion.objects.count() == 2


def test_no_draft_without_a_published_model(marketer):
    closed_leads()
    with pytest.raises(AnalysisInputError, match="No model is published") as caught:
        calibration_draft_create(user=marketer, months=12, min_leads=1)
    assert caught.value.field == "model"
    assert ScoringModelVersion.objects.count() == 0
