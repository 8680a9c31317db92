"""Set-based re-scoring (leads.scoring.rescore): what intake, activities, a publish and
the nightly run all use, and the restartable re-score job."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.hooks import MQL_HOOKS
from leads.intake.activities import activities_ingest
from leads.intake.services import leads_ingest
from leads.models import Job, Lead, LeadEvent, ScoringModelVersion, Stage
from leads.scoring.definitions import compiled_model
from leads.scoring.engine import default_model, score_lead
from leads.scoring.rescore import leads_rescore, rescore_job_run, rescore_nightly
from leads.scoring.services import (
    ensure_default_model,
    lead_score_facts,
    scoring_model_create_draft,
    scoring_model_publish,
)
from tests.factories import AccountFactory, ActivityFactory, LeadFactory
from tests.helpers import wait_for_job

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def published(db):
    version, _job = ensure_default_model(enqueue=False)
    return version


@pytest.fixture
def mql_hook_calls():
    calls = []
    MQL_HOOKS.append(calls.append)
    yield calls
    MQL_HOOKS.remove(calls.append)


def fit_lead(**kwargs):
    account = AccountFactory(employees=500, industry="Software", country="US")
    return LeadFactory(account=account, seniority="vp", **kwargs)


def hot(lead, n=2):
    for days in range(n):
        ActivityFactory(lead=lead, type="demo_request", occurred_at=NOW - timedelta(days=days))


def test_many_leads_in_a_fixed_number_of_queries(published, monkeypatch):
    # rescoring's own queries: routing each new MQL (leads.queue.routing) and the SLA
    # clocks of the promoted leads (tests/sla) are measured there
    monkeypatch.setattr("leads.hooks.MQL_HOOKS", [])
    monkeypatch.setattr("leads.hooks.EVENT_HOOKS", [])
    leads = [fit_lead() for _ in range(30)]
    for lead in leads[:10]:
        hot(lead)
    ids = [lead.pk for lead in leads]
    with CaptureQueriesContext(connection) as small:
        leads_rescore(lead_ids=ids[:3])
    Lead.objects.update(score_total=None, score_grade="", score_quadrant="")
    with CaptureQueriesContext(connection) as large:
        summary = leads_rescore(lead_ids=ids)
    assert summary.scored == 30
    assert summary.changed == 30
    # the 3 hot leads of the first call are MQLs already: only the other 7 move
    assert summary.became_mql == ids[3:10]
    # reads, the score write, the events, the MQL promotion: not one query per lead
    assert len(large.captured_queries) <= len(small.captured_queries) + 2
    assert len(large.captured_queries) < 20


def test_same_result_as_the_engine_on_the_lead(published):
    lead = fit_lead(title="CTO", campaign="Q4")
    hot(lead, 1)
    ActivityFactory(lead=lead, type="pricing_page", occurred_at=NOW - timedelta(days=40))
    leads_rescore(lead_ids=[lead.pk])
    lead.refresh_from_db()
    expected = score_lead(
        lead=lead_score_facts(lead=lead),
        activities=[
            type("A", (), {"type": a.type, "occurred_at": a.occurred_at})()
            for a in lead.activities.all()
        ],
        model=compiled_model(published),
        now=NOW,
    )
    assert lead.score_total == expected.total
    assert lead.score_grade == expected.grade
    assert lead.score_quadrant == expected.quadrant
    assert lead.score_breakdown["fit"] == [
        {**r, "value": str(r["value"]) if r["value"] is not None else None}
        if r["field"] == "annual_revenue"
        else r
        for r in expected.to_dict()["fit"]
    ]
    assert lead.score_model == published
    assert lead.scored_at == NOW


def test_promotion_once_with_event_and_hook(published, mql_hook_calls):
    lead = fit_lead()
    hot(lead)
    first = leads_rescore(lead_ids=[lead.pk])
    second = leads_rescore(lead_ids=[lead.pk])
    lead.refresh_from_db()
    assert first.became_mql == [lead.pk]
    assert second.became_mql == []
    assert (lead.stage, lead.mql_at) == (Stage.MQL, NOW)
    [event] = LeadEvent.objects.filter(lead=lead, kind="stage_change")
    assert (event.from_stage, event.to_stage) == (Stage.INQUIRY, Stage.MQL)
    assert event.actor_system == f"scoring model v{published.number}"
    assert event.data == {"total": lead.score_total, "grade": lead.score_grade}
    assert [hooked.pk for hooked in mql_hook_calls] == [lead.pk]


def test_sales_owned_lead_is_scored_but_never_moved(published):
    lead = fit_lead(stage=Stage.SAL)
    leads_rescore(lead_ids=[lead.pk])
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL
    assert lead.score_grade == "A"
    hot(lead)
    leads_rescore(lead_ids=[lead.pk])
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL
    assert lead.mql_at is None


def test_nothing_published_changes_nothing(db):
    lead = fit_lead()
    summary = leads_rescore(lead_ids=[lead.pk])
    lead.refresh_from_db()
    assert summary.scored == 0
    assert lead.scored_at is None


# ------------------------------------------------------------------- at once


def test_intake_scores_what_it_stores(published, integration):
    result = leads_ingest(
        rows=[
            {
                "email": "a@acme-robotics.com",
                "name": "A",
                "company": "Acme Robotics",
                "employees": 800,
                "industry": "Software",
                "country": "US",
                "seniority": "vp",
                "source_channel": "website",
            },
            {"email": "b@example.org", "name": "B", "source_channel": "event"},
        ],
        source_system="web",
        actor_user=integration,
    )
    assert result.created == 2
    a = Lead.objects.get(email="a@acme-robotics.com")
    b = Lead.objects.get(email="b@example.org")
    assert (a.score_grade, a.score_model, a.scored_at) == ("A", published, NOW)
    assert b.score_grade == "D"
    assert b.scored_at == NOW
    assert a.stage == Stage.INQUIRY  # fit alone is not interest


def test_new_activity_rescores_at_once_and_makes_an_mql(published):
    lead = fit_lead(external_id="X1", source_system="web")
    leads_rescore(lead_ids=[lead.pk])
    lead.refresh_from_db()
    assert lead.stage == Stage.INQUIRY
    assert lead.score_interest == 0
    result = activities_ingest(
        items=[
            {"lead": lead.pk, "type": "demo_request", "occurred_at": NOW.isoformat()},
            {"lead_email": "nobody@nowhere.example", "type": "webinar"},
        ],
        source="web",
    )
    assert result.created == 1
    assert result.rejected == 1
    lead.refresh_from_db()
    assert lead.score_interest == 50
    hot(lead, 1)  # factories bypass the service: nothing changes until the next re-score
    activities_ingest(
        items=[{"lead": lead.pk, "type": "pricing_page", "occurred_at": NOW.isoformat()}],
        source="web",
    )
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL
    assert lead.mql_at == NOW
    # unscored → scored, then one per activity batch
    assert LeadEvent.objects.filter(lead=lead, kind="score_change").count() == 3


# -------------------------------------------------------------------------- job


def new_version(user, **threshold):
    data = default_model(1).to_dict()
    data["threshold"] = {**data["threshold"], **threshold}
    return scoring_model_create_draft(definition=data, user=user)


def test_publish_job_rescores_open_leads_in_chunks(published, marketer):
    open_leads = [fit_lead() for _ in range(7)]
    closed = fit_lead(stage=Stage.WON)
    for lead in open_leads[:3]:
        ActivityFactory(lead=lead, type="webinar", occurred_at=NOW)
    draft = new_version(marketer, min_interest=10)
    version, job = scoring_model_publish(version=draft, user=marketer, enqueue=False)
    assert job.state == Job.State.PENDING
    assert job.params["version"] == version.pk
    job = rescore_job_run(job_id=job.pk, chunk_size=3)
    assert (job.state, job.done, job.total) == (Job.State.DONE, 7, 7)
    assert job.result == {"scored": 7, "changed": 7, "became_mql": 3}
    assert job.params["after_id"] == open_leads[-1].pk
    assert set(Lead.objects.filter(score_model=version).values_list("pk", flat=True)) == {
        lead.pk for lead in open_leads
    }
    closed.refresh_from_db()
    assert closed.scored_at is None
    assert Lead.objects.filter(stage=Stage.MQL).count() == 3


def test_job_resumes_where_a_dead_run_stopped(published, marketer):
    leads = [fit_lead() for _ in range(6)]
    draft = new_version(marketer, min_interest=5)
    version, job = scoring_model_publish(version=draft, user=marketer, enqueue=False)
    # what a run that died after its first chunk of 4 leaves behind
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, total=6, done=4, params={**job.params, "after_id": leads[3].pk}
    )
    job = rescore_job_run(job_id=job.pk, chunk_size=4)
    assert (job.state, job.done, job.total) == (Job.State.DONE, 6, 6)
    scored = set(Lead.objects.filter(score_model=version).values_list("pk", flat=True))
    assert scored == {leads[4].pk, leads[5].pk}
    assert rescore_job_run(job_id=job.pk).state == Job.State.DONE  # a re-delivery: no-op


def test_superseded_job_stops(published, marketer):
    fit_lead()
    first, job = scoring_model_publish(
        version=new_version(marketer, min_interest=5), user=marketer, enqueue=False
    )
    scoring_model_publish(version=new_version(marketer, min_interest=6), user=marketer)
    job = rescore_job_run(job_id=job.pk)
    assert job.state == Job.State.DONE
    assert job.result["superseded"] is True
    assert not Lead.objects.filter(score_model=first).exists()


def test_missing_job_is_ignored(db):
    assert rescore_job_run(job_id=987654) is None


def test_nightly_moves_scores_with_decay(published):
    lead = fit_lead()
    ActivityFactory(lead=lead, type="pricing_page", occurred_at=NOW)
    leads_rescore(lead_ids=[lead.pk])
    lead.refresh_from_db()
    before = lead.score_interest
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        job = rescore_nightly()
    lead.refresh_from_db()
    assert job.params["reason"] == "nightly"
    assert job.state == Job.State.DONE
    assert before == 25
    assert lead.score_interest == 12.5


def test_nightly_runs_once_per_night_whoever_sends_it(published):
    leads = [fit_lead() for _ in range(3)]
    first = rescore_nightly()  # 20:00 in Shanghai, the company's zone
    # a second beat, a re-delivered message, someone at the shell: the same night
    again = rescore_nightly()
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):  # 23:00
        late = rescore_nightly()
    nightly = Job.objects.filter(kind=Job.Kind.RESCORE, params__reason="nightly")
    assert (first.pk, first.period, first.state) == (again.pk, "2026-10-31", Job.State.DONE)
    assert late.pk == first.pk
    assert nightly.count() == 1
    assert first.done == Lead.objects.filter(stage__in=("inquiry", "mql")).count() >= 3
    assert LeadEvent.objects.filter(kind="score_change", lead__in=leads).count() == 3

    with time_machine.travel(NOW + timedelta(hours=5), tick=False):  # 01:00 the next day
        next_night = rescore_nightly()
    assert (next_night.period, nightly.count()) == ("2026-11-01", 2)


def test_nightly_without_a_model(db):
    assert rescore_nightly() is None


def test_nightly_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["rescore-open-leads-nightly"]
    assert entry["task"] == "leads.tasks.rescore_open_leads_nightly"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_publish_runs_the_job_on_a_real_worker(celery_worker_process, migration_rows, marketer):
    leads = [fit_lead() for _ in range(5)]
    ScoringModelVersion.objects.all().delete()
    draft = new_version(marketer)
    version, job = scoring_model_publish(version=draft, user=marketer)
    wait_for_job(job)  # time is frozen here, but not the monotonic clock it waits on
    assert job.state == Job.State.DONE, celery_worker_process.log()
    assert job.done == 5
    assert Lead.objects.filter(pk__in=[lead.pk for lead in leads], score_model=version).count() == 5


def test_intake_new_lead_mql_by_fit_alone(db, marketer, integration, mql_hook_calls):
    data = default_model(1).to_dict()
    data["threshold"] = {"mode": "total", "min_grade": "B", "min_interest": 40, "min_total": 60}
    draft = scoring_model_create_draft(definition=data, user=marketer)
    scoring_model_publish(version=draft, user=marketer, enqueue=False)
    leads_ingest(
        rows=[
            {
                "email": "ceo@bigco.com",
                "company": "BigCo",
                "employees": 900,
                "industry": "Software",
                "country": "CN",
                "seniority": "executive",
                "source_channel": "event",
            }
        ],
        source_system="web",
        actor_user=integration,
    )
    lead = Lead.objects.get(email="ceo@bigco.com")
    assert lead.stage == Stage.MQL
    assert lead.score_total == 75  # size 20 + region 10 + industry 25 + role 20
    assert LeadEvent.objects.filter(lead=lead, kind="stage_change", to_stage="mql").count() == 1
    assert [hooked.pk for hooked in mql_hook_calls] == [lead.pk]


def test_intake_account_change_rescores_the_accounts_other_leads(published, integration):
    row = {"company": "Acme", "country": "US", "employees": 10, "source_channel": "website"}
    leads_ingest(
        rows=[{**row, "email": "a@acme.com"}, {**row, "email": "b@acme.com"}],
        source_system="web",
        actor_user=integration,
    )
    b = Lead.objects.get(email="b@acme.com")
    assert b.score_grade == "D"  # 10 employees: the size requirement fails
    leads_ingest(
        rows=[{**row, "email": "a@acme.com", "employees": 400, "industry": "Software"}],
        source_system="web",
        actor_user=integration,
    )
    b.refresh_from_db()
    assert b.account.employees == 400
    assert b.score_grade == "B"  # size 20 + region 10 + industry 25 = 55
