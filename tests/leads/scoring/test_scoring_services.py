"""Scoring model versions and lead re-scoring with the database (leads.scoring.services)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from leads.hooks import MQL_HOOKS
from leads.models import Job, LeadEvent, ScoringModelVersion, Stage
from leads.scoring.definitions import ScoringModelInvalid
from leads.scoring.engine import default_model
from leads.scoring.selectors import scoring_model_published, scoring_model_versions
from leads.scoring.services import (
    ScoringModelAlreadyPublished,
    ScoringModelNotEditable,
    ensure_default_model,
    lead_rescore,
    scoring_model_create_draft,
    scoring_model_publish,
    scoring_model_rename_draft,
    scoring_model_update_draft,
)
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
Status = ScoringModelVersion.Status


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def mql_hook_calls():
    calls = []
    MQL_HOOKS.append(calls.append)
    yield calls
    MQL_HOOKS.remove(calls.append)


def definition(**changes):
    data = default_model(1).to_dict()
    data.update(changes)
    return data


def good_lead(**kwargs):
    account = AccountFactory(employees=500, industry="Software", country="US")
    return LeadFactory(account=account, seniority="vp", **kwargs)


# ------------------------------------------------------------------ versions


def test_create_draft_valid(marketer):
    version = scoring_model_create_draft(definition=definition(), user=marketer, name="Q4")
    assert (version.number, version.status, version.name) == (1, Status.DRAFT, "Q4")
    assert version.created_by == marketer
    assert version.definition["fit_rules"] == default_model(1).to_dict()["fit_rules"]
    second = scoring_model_create_draft(definition=definition(), user=marketer)
    assert second.number == 2
    assert list(scoring_model_versions()) == [second, version]


def test_create_draft_invalid_saves_nothing_and_names_the_field(marketer):
    data = definition()
    data["fit_rules"][3]["operator"] = "gt"  # industry is text
    with pytest.raises(ScoringModelInvalid) as caught:
        scoring_model_create_draft(definition=data, user=marketer)
    assert isinstance(caught.value, ValueError)
    [error] = caught.value.errors
    assert (error.section, error.index, error.field, error.code) == (
        "fit",
        3,
        "industry",
        "operator_type",
    )
    assert caught.value.as_dicts()[0]["index"] == 3
    assert not ScoringModelVersion.objects.exists()


def test_create_draft_malformed_rule_names_the_missing_key(marketer):
    data = definition()
    del data["interest_rules"][1]["points"]
    with pytest.raises(ScoringModelInvalid) as caught:
        scoring_model_create_draft(definition=data, user=marketer)
    assert [(e.section, e.index, e.field) for e in caught.value.errors] == [
        ("interest", 1, "points")
    ]
    assert not ScoringModelVersion.objects.exists()


def test_only_one_published_service_and_constraint(marketer):
    first = scoring_model_create_draft(definition=definition(), user=marketer)
    second = scoring_model_create_draft(definition=definition(), user=marketer)
    scoring_model_publish(version=first, user=marketer)
    scoring_model_publish(version=second, user=marketer)
    first.refresh_from_db()
    assert first.status == Status.RETIRED
    assert first.retired_at == NOW
    assert second.status == Status.PUBLISHED
    assert second.published_at == NOW
    assert scoring_model_published() == second
    assert ScoringModelVersion.objects.filter(status=Status.PUBLISHED).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModelVersion.objects.filter(pk=first.pk).update(status=Status.PUBLISHED)


def test_edit_published_is_refused_and_unchanged(marketer):
    version = scoring_model_create_draft(definition=definition(), user=marketer)
    scoring_model_publish(version=version, user=marketer)
    before = dict(version.definition)
    with pytest.raises(ScoringModelNotEditable):
        scoring_model_update_draft(
            version=version, definition=definition(label="changed"), user=marketer
        )
    version.refresh_from_db()
    assert version.definition == before


def test_update_draft(marketer):
    version = scoring_model_create_draft(definition=definition(), user=marketer)
    scoring_model_update_draft(version=version, definition=definition(label="v2"), user=marketer)
    assert version.definition["label"] == "v2"
    bad = definition(threshold={"mode": "nope", "min_grade": "B", "min_interest": 40})
    with pytest.raises(ScoringModelInvalid):
        scoring_model_update_draft(version=version, definition=bad, user=marketer)
    version.refresh_from_db()
    assert version.definition["threshold"]["mode"] == "grade_and_interest"


def test_rename_a_draft_but_not_a_published_version(marketer):
    version = scoring_model_create_draft(definition=definition(), user=marketer, name="Q4")
    assert scoring_model_rename_draft(version=version, name="Q4 bis").name == "Q4 bis"
    scoring_model_publish(version=version, user=marketer)
    with pytest.raises(ScoringModelNotEditable):
        scoring_model_rename_draft(version=version, name="changed")
    version.refresh_from_db()
    assert version.name == "Q4 bis"


def test_publish_twice_is_an_error(marketer):
    version = scoring_model_create_draft(definition=definition(), user=marketer)
    scoring_model_publish(version=version, user=marketer)
    with pytest.raises(ScoringModelAlreadyPublished):
        scoring_model_publish(version=version, user=marketer)
    assert scoring_model_published() == version


def test_rollback_publishes_a_retired_version(marketer):
    first = scoring_model_create_draft(definition=definition(), user=marketer)
    second = scoring_model_create_draft(definition=definition(), user=marketer)
    scoring_model_publish(version=first, user=marketer)
    scoring_model_publish(version=second, user=marketer)
    scoring_model_publish(version=first, user=marketer)
    second.refresh_from_db()
    assert first.status == Status.PUBLISHED
    assert first.retired_at is None
    assert second.status == Status.RETIRED
    assert scoring_model_published() == first


def test_ensure_default_model_once(db):
    version, job = ensure_default_model()
    assert job.kind == Job.Kind.RESCORE
    assert job.params["version"] == version.pk
    assert (version.number, version.status) == (1, Status.PUBLISHED)
    assert ensure_default_model() is None
    assert ScoringModelVersion.objects.count() == 1


# ------------------------------------------------------------------- scoring


def test_no_published_model_returns_none(db):
    lead = good_lead()
    ActivityFactory(lead=lead, type="demo_request", occurred_at=NOW)
    assert lead_rescore(lead=lead) is None
    lead.refresh_from_db()
    assert lead.score_total is None
    assert lead.scored_at is None
    assert lead.stage == Stage.INQUIRY
    assert not LeadEvent.objects.filter(lead=lead).exists()


def test_rescore_stores_fields_and_version(db):
    version, _job = ensure_default_model()
    lead = good_lead()
    ActivityFactory(lead=lead, type="pricing_page", occurred_at=NOW - timedelta(days=1))
    result = lead_rescore(lead=lead)
    lead.refresh_from_db()
    assert lead.score_model == version
    assert lead.scored_at == NOW
    assert lead.score_fit == result.fit_points == 75  # size 20 + country 10 + industry 25 + vp 20
    assert lead.score_grade == "A"
    assert lead.score_interest == result.interest_points
    assert 0 < lead.score_interest < 25
    assert lead.score_total == result.total
    assert lead.score_quadrant == "nurture"
    assert lead.score_breakdown["model_version"] == 1
    assert lead.score_breakdown["interest"][0]["activity_type"] == "pricing_page"
    assert lead.stage == Stage.INQUIRY
    assert lead.mql_at is None


def test_score_change_event_only_on_change(db):
    ensure_default_model()
    lead = good_lead()
    lead_rescore(lead=lead)
    lead_rescore(lead=lead)
    events = LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.SCORE_CHANGE)
    assert events.count() == 1
    [event] = events
    assert event.actor_system == "scoring model v1"
    assert event.data["old"] == {"total": None, "grade": "", "quadrant": ""}
    assert event.data["new"]["grade"] == "A"


def test_inquiry_becomes_mql_with_event_and_hook(db, mql_hook_calls):
    ensure_default_model()
    lead = good_lead()
    ActivityFactory(lead=lead, type="demo_request", occurred_at=NOW - timedelta(hours=1))
    result = lead_rescore(lead=lead)
    assert result.is_mql
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL
    assert lead.mql_at == NOW
    assert lead.stage_changed_at == NOW
    [event] = LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STAGE_CHANGE)
    assert (event.from_stage, event.to_stage, event.actor_system) == (
        Stage.INQUIRY,
        Stage.MQL,
        "scoring model v1",
    )
    assert [hooked.pk for hooked in mql_hook_calls] == [lead.pk]
    lead_rescore(lead=lead)  # already an MQL: no second transition
    assert len(mql_hook_calls) == 1
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STAGE_CHANGE).count() == 1


def test_nurture_lead_is_recycled_to_mql(db, mql_hook_calls):
    ensure_default_model()
    lead = good_lead(stage=Stage.NURTURE)
    ActivityFactory(lead=lead, type="demo_request", occurred_at=NOW)
    lead_rescore(lead=lead)
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL
    assert len(mql_hook_calls) == 1


def test_lead_in_sal_is_not_moved(db, mql_hook_calls):
    ensure_default_model()
    lead = good_lead(stage=Stage.SAL)
    ActivityFactory(lead=lead, type="demo_request", occurred_at=NOW)
    assert lead_rescore(lead=lead).is_mql
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL
    assert lead.mql_at is None
    assert not LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STAGE_CHANGE).exists()
    assert mql_hook_calls == []


def test_falling_below_threshold_never_demotes(db, mql_hook_calls):
    ensure_default_model()
    lead = good_lead()
    ActivityFactory(lead=lead, type="demo_request", occurred_at=NOW)
    lead_rescore(lead=lead)
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL
    later = NOW + timedelta(days=200)  # the demo request left the 90-day window
    result = lead_rescore(lead=lead, now=later)
    assert not result.is_mql
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL
    assert lead.mql_at == NOW
    assert lead.score_quadrant == "nurture"
    assert lead.scored_at == later
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.SCORE_CHANGE).count() == 2
    assert len(mql_hook_calls) == 1


def test_rescore_with_a_given_draft_version(marketer):
    ensure_default_model()
    data = definition()
    data["threshold"] = {"mode": "grade_and_interest", "min_grade": "D", "min_interest": 0}
    draft = scoring_model_create_draft(definition=data, user=marketer)
    lead = good_lead()  # grade A, no activity: an MQL only under the draft's threshold
    result = lead_rescore(lead=lead, version=draft)
    assert result.model_version == draft.number == 2
    lead.refresh_from_db()
    assert lead.score_model == draft
    assert lead.stage == Stage.MQL
    assert LeadEvent.objects.get(lead=lead, kind="stage_change").actor_system == (
        "scoring model v2"
    )
