"""Training, storing and updating the predictive score (leads.scoring.predictive_services)."""

import itertools
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from leads.models import Job, Lead, PredictiveSnapshot
from leads.scoring.predictive_selectors import lead_prediction, predictive_snapshot_current
from leads.scoring.predictive_services import (
    NOT_ENOUGH_HISTORY,
    clean_min_count,
    is_held_out,
    predictive_lead_closed,
    predictive_predict_open,
    predictive_refresh_run,
    predictive_refresh_start,
    predictive_train,
)
from tests.factories import AccountFactory, ActivityFactory, LeadFactory, TeamFactory, UserFactory
from tests.leads.scoring.predictive_history import (
    ODOO_VECTOR,
    START,
    WON_PATH,
    lead_with_history,
    odoo_history,
)

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def odoo_factors(settings):
    """The vectors here are Odoo's, worked by hand: no shrinkage, no temperature.
    The product's default (``PREDICTIVE_PRIOR_WEIGHT`` 5, a fitted temperature) is
    tested in test_predictive_shrinkage.py and by ``test_the_product_shrinks_...``."""
    settings.PREDICTIVE_PRIOR_WEIGHT = 0


def open_odoo_leads():
    """One open lead per (stage, country) of the Odoo vector, nothing else set."""
    leads = {}
    for stage, country in ODOO_VECTOR:
        path = {"inquiry": (), "mql": (), "sal": ("mql",)}[stage]
        account = AccountFactory(country=country)
        leads[stage, country] = lead_with_history(stage=stage, path=path, account=account)
    return leads


def not_held_out(start=10_001):
    return (pk for pk in itertools.count(start) if not is_held_out(pk))


def held_out(start=10_001):
    return (pk for pk in itertools.count(start) if is_held_out(pk))


# ------------------------------------------------------------------------ training


@pytest.mark.django_db
def test_odoo_vector_through_the_database():
    odoo_history()
    open_leads = open_odoo_leads()

    snapshot = predictive_train(min_count=0)
    predicted = predictive_predict_open(snapshot=snapshot)

    assert predicted == 6
    assert snapshot.trained_rows == 40
    counts = snapshot.model["teams"][""]
    assert counts["stage_won"] == dict.fromkeys(("inquiry", "mql", "sal", "sql", "opportunity"), 10)
    assert counts["stage_lost"] == {"inquiry": 30, "mql": 10, "sal": 2}
    assert counts["values"]["country"] == {"FR": [6, 6], "DE": [4, 24]}
    stored = {
        key: Lead.objects.values_list("win_probability", "predicted_at").get(pk=lead.pk)
        for key, lead in open_leads.items()
    }
    assert {key: round(p, 2) for key, (p, _) in stored.items()} == ODOO_VECTOR
    assert {at for _, at in stored.values()} == {NOW}


@pytest.mark.django_db
def test_held_out_leads_measure_counts_learned_from_the_others():
    # the 40 Odoo leads are trained on; three more fall in the held-out fifth
    odoo_history(pks=not_held_out())
    fr, de = AccountFactory(country="FR"), AccountFactory(country="DE")
    ids = held_out()
    lead_with_history(stage="won", path=WON_PATH, account=fr, pk=next(ids))  # 49.84 %: wrong
    lead_with_history(stage="disqualified", path=("mql",), account=de, pk=next(ids))  # 14.46 %
    lead_with_history(stage="disqualified", account=fr, pk=next(ids))  # 49.84 %: right

    snapshot = predictive_train(min_count=0)

    # As in the pure test: each held-out lead is predicted as at the first stage.
    fr_p, de_p = 0.498375, 0.144580
    evaluation = snapshot.evaluation
    assert (evaluation["n"], evaluation["won"]) == (3, 1)
    assert evaluation["accuracy"] == pytest.approx(2 / 3)
    assert evaluation["auc"] == 0.75
    assert evaluation["base_rate"] == pytest.approx(1 / 3)
    assert evaluation["brier"] == pytest.approx(((fr_p - 1) ** 2 + de_p**2 + fr_p**2) / 3, abs=1e-5)
    # the model in use learned from all 43
    assert (snapshot.trained_rows, snapshot.held_out_rows) == (43, 3)
    assert snapshot.params["evaluation_trained_rows"] == 40
    assert snapshot.model["teams"][""]["stage_won"]["inquiry"] == 11


@pytest.mark.django_db
def test_the_product_shrinks_toward_the_average_and_fits_a_temperature(settings):
    settings.PREDICTIVE_PRIOR_WEIGHT = 5
    odoo_history()
    open_leads = open_odoo_leads()

    snapshot = predictive_train(min_count=0)
    predictive_predict_open(snapshot=snapshot)

    model = snapshot.model
    assert model["prior_weight"] == 5
    assert model["temperature"] != 1.0
    # the country factor: DE won 4 of 28, shrunk toward p = 10.1/40.2 by 5 leads
    p = 10.1 / 40.2
    rate = (4 + 5 * p) / (28 + 5)
    de = lead_prediction(lead=open_leads["inquiry", "DE"])
    [country] = [f for f in de["factors"] if f["field"] == "country"]
    assert country["lift"] == pytest.approx(rate / p)
    assert country["odds_ratio"] == pytest.approx((rate / p) / ((1 - rate) / (1 - p)))
    # less sure of itself than Odoo's naive Bayes at both ends
    stored = {k: Lead.objects.get(pk=lead.pk).win_probability for k, lead in open_leads.items()}
    assert stored["sal", "FR"] < ODOO_VECTOR["sal", "FR"]
    assert stored["inquiry", "DE"] > ODOO_VECTOR["inquiry", "DE"]


def test_the_held_out_split_is_deterministic_and_a_fifth():
    assert [pk for pk in range(1, 41) if is_held_out(pk)] == [1, 2, 4, 9, 10, 11, 15, 31, 34, 36]
    share = sum(is_held_out(pk) for pk in range(100_000)) / 100_000
    assert 0.19 < share < 0.21


@pytest.mark.django_db
def test_nothing_is_stored_without_a_won_and_a_lost_lead():
    lead_with_history(stage="won", path=WON_PATH)
    lead_with_history(stage="sal", path=("mql",))

    assert predictive_train(min_count=0) is None
    assert not PredictiveSnapshot.objects.exists()

    job = Job.objects.create(kind=Job.Kind.PREDICTIVE)
    predictive_refresh_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.result["message"]) == ("done", NOT_ENOUGH_HISTORY)
    assert not Lead.objects.exclude(win_probability=None).exists()


@pytest.mark.django_db
def test_min_count_defaults_to_the_setting_and_a_team_needs_as_many_leads(settings):
    settings.PREDICTIVE_MIN_COUNT = 7
    odoo_history()

    snapshot = predictive_train()

    assert (snapshot.model["min_count"], snapshot.model["min_team_rows"]) == (7, 7)
    assert snapshot.params["min_count"] == 7
    assert predictive_train(min_count=0).model["min_team_rows"] == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "between 0"), (1_000_001, "between 0"), ("ten", "whole number")]
    + [(2.5, "whole number"), (True, "whole number"), (None, "whole number")],
)
def test_a_bad_min_count_is_refused(value, message):
    with pytest.raises(ValueError, match=message):
        clean_min_count(value)


def test_min_count_accepts_digits_from_a_form():
    assert (clean_min_count("12"), clean_min_count(0)) == (12, 0)


@pytest.mark.django_db
def test_the_snapshot_records_teams_and_synthetic_rows():
    team = TeamFactory(name="Account Executives")
    ae = UserFactory()
    team.members.add(ae)
    lead_with_history(stage="won", path=WON_PATH, owner=ae, source_system="demo")
    lead_with_history(stage="lost", path=WON_PATH, owner=ae, source_system="demo")
    lead_with_history(stage="disqualified")

    snapshot = predictive_train(min_count=0)

    assert snapshot.params["team_names"] == {str(team.pk): "Account Executives"}
    assert snapshot.params["synthetic_rows"] == 2
    assert snapshot.model["teams"][str(team.pk)]["rows"] == 2
    assert snapshot.model["teams"][""]["rows"] == 3


# --------------------------------------------------------------------- predictions


@pytest.mark.django_db
def test_only_open_leads_are_predicted_and_nothing_else_changes():
    odoo_history()
    open_leads = open_odoo_leads()
    nurture = lead_with_history(stage="nurture", path=("mql",))
    others = [lead_with_history(stage=s) for s in ("excluded", "customer_success")]
    updated = dict(Lead.objects.values_list("pk", "updated_at"))

    snapshot = predictive_train(min_count=0)
    with time_machine.travel(datetime(2026, 11, 1, tzinfo=UTC), tick=False):
        assert predictive_predict_open(snapshot=snapshot, chunk_size=4) == 7

    predicted = set(Lead.objects.exclude(win_probability=None).values_list("pk", flat=True))
    assert predicted == {lead.pk for lead in open_leads.values()} | {nurture.pk}
    assert not {lead.pk for lead in others} & predicted
    assert dict(Lead.objects.values_list("pk", "updated_at")) == updated


@pytest.mark.django_db
def test_a_refresh_trains_predicts_and_reports_progress(marketer):
    odoo_history()
    open_odoo_leads()
    job = Job.objects.create(
        kind=Job.Kind.PREDICTIVE, params={"min_count": 0, "chunk_size": 4}, created_by=marketer
    )

    finished = predictive_refresh_run(job_id=job.pk)

    snapshot = predictive_snapshot_current()
    assert snapshot.job_id == job.pk
    assert (finished.state, finished.done, finished.total, finished.percent) == (
        "done",
        46,
        46,
        100,
    )
    assert finished.result["snapshot"] == snapshot.pk
    assert (finished.result["predicted"], finished.result["trained_rows"]) == (6, 40)
    assert finished.started_at == finished.finished_at == NOW
    # run twice, act once
    assert predictive_refresh_run(job_id=job.pk) is None
    assert PredictiveSnapshot.objects.count() == 1


@pytest.mark.django_db
def test_a_refresh_resumes_after_a_crash_without_training_again():
    odoo_history()
    leads = sorted(open_odoo_leads().values(), key=lambda lead: lead.pk)
    job = Job.objects.create(kind=Job.Kind.PREDICTIVE, state="running", params={"min_count": 0})
    snapshot = predictive_train(min_count=0, job=job)
    # the worker died after storing the first three
    Job.objects.filter(pk=job.pk).update(
        total=46, done=43, result={"snapshot": snapshot.pk, "last_id": leads[2].pk, "predicted": 3}
    )

    finished = predictive_refresh_run(job_id=job.pk)

    assert PredictiveSnapshot.objects.count() == 1
    assert (finished.state, finished.done, finished.result["predicted"]) == ("done", 46, 6)
    stored = [Lead.objects.get(pk=lead.pk).win_probability for lead in leads]
    assert stored[:3] == [None, None, None]
    assert None not in stored[3:]


@pytest.mark.django_db
def test_a_failing_refresh_is_marked_failed_with_the_reason():
    odoo_history()
    job = Job.objects.create(kind=Job.Kind.PREDICTIVE, params={"min_count": -3})

    finished = predictive_refresh_run(job_id=job.pk)

    assert finished.state == "failed"
    assert "between 0" in finished.result["message"]
    assert not PredictiveSnapshot.objects.exists()


@pytest.mark.django_db
def test_refresh_start_queues_one_job_at_a_time(marketer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first, created = predictive_refresh_start(user=marketer, min_count=5)
        again, created_again = predictive_refresh_start(user=marketer)

    assert len(queued) == 1  # one task, sent after commit
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert (first.kind, first.state, first.params, first.created_by) == (
        "predictive",
        "pending",
        {"min_count": 5},
        marketer,
    )
    Job.objects.filter(pk=first.pk).update(state="done")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert predictive_refresh_start(user=marketer)[1] is True
    assert len(queued) == 1


@pytest.mark.django_db
def test_a_stale_unfinished_refresh_does_not_block_a_new_one(marketer):
    with time_machine.travel(datetime(2026, 10, 31, 11, 0, tzinfo=UTC), tick=False):
        stuck = Job.objects.create(kind=Job.Kind.PREDICTIVE, state="pending")

    job, created = predictive_refresh_start(user=marketer)

    assert created is True
    assert job.pk != stuck.pk


# --------------------------------------------------------------- a lead that closed


@pytest.fixture
def odoo_snapshot(db):
    odoo_history()
    return predictive_train(min_count=0)


def test_a_closed_lead_is_counted_then_predicted_again(odoo_snapshot):
    lead = lead_with_history(
        stage="disqualified", path=("mql",), account=AccountFactory(country="FR")
    )

    prediction = predictive_lead_closed(lead=lead)

    odoo_snapshot.refresh_from_db()
    counts = odoo_snapshot.model["teams"][""]
    assert counts["stage_lost"] == {"inquiry": 31, "mql": 11, "sal": 2}
    assert counts["values"]["country"]["FR"] == [6, 7]
    assert odoo_snapshot.trained_rows == 41
    assert odoo_snapshot.params["added_lead_ids"] == [lead.pk]
    # P(won) = 10.1/41.2; MQL: 1 vs 11.1/31.1; FR: 6.1/10.2 vs 7.1/31.2 (by hand)
    p_won = 10.1 / 41.2
    won, lost = p_won * 6.1 / 10.2, (1 - p_won) * (11.1 / 31.1) * (7.1 / 31.2)
    assert round(prediction.probability, 2) == round(100 * won / (won + lost), 2) == 70.51
    lead.refresh_from_db()
    assert (round(lead.win_probability, 2), lead.predicted_at) == (70.51, NOW)


def test_a_lead_closed_twice_is_counted_once(odoo_snapshot):
    lead = lead_with_history(stage="won", path=WON_PATH, account=AccountFactory(country="DE"))

    first = predictive_lead_closed(lead=lead)
    second = predictive_lead_closed(lead=lead)

    odoo_snapshot.refresh_from_db()
    assert odoo_snapshot.model["teams"][""]["stage_won"]["inquiry"] == 11
    assert odoo_snapshot.model["teams"][""]["values"]["country"]["DE"] == [5, 24]
    assert odoo_snapshot.trained_rows == 41
    assert first.probability == second.probability


def test_an_open_lead_or_no_snapshot_changes_nothing(db):
    lead = lead_with_history(stage="sal", path=("mql",))
    closed = lead_with_history(stage="lost", path=WON_PATH)

    assert predictive_lead_closed(lead=closed) is None  # no snapshot yet

    odoo_history()
    snapshot = predictive_train(min_count=0)
    assert predictive_lead_closed(lead=lead) is None
    snapshot.refresh_from_db()
    assert (snapshot.trained_rows, snapshot.params["added_lead_ids"]) == (41, [])
    assert Lead.objects.get(pk=lead.pk).win_probability is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_leads_closing_at_once_are_both_counted():
    odoo_history()
    snapshot = predictive_train(min_count=0)
    account = AccountFactory(country="FR")
    leads = [lead_with_history(stage="disqualified", account=account) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def close(lead):
        try:
            barrier.wait()
            predictive_lead_closed(lead=lead)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    snapshot.refresh_from_db()
    assert snapshot.model["teams"][""]["stage_lost"]["inquiry"] == 32
    assert snapshot.model["teams"][""]["values"]["country"]["FR"] == [6, 8]
    assert sorted(snapshot.params["added_lead_ids"]) == sorted(lead.pk for lead in leads)


# ----------------------------------------------------------------- lead_prediction


def test_lead_prediction_in_plain_words(odoo_snapshot):
    lead = lead_with_history(stage="sal", path=("mql",), account=AccountFactory(country="DE"))

    prediction = lead_prediction(lead=lead)

    assert round(prediction["probability"], 2) == ODOO_VECTOR["sal", "DE"]
    assert round(prediction["prior"], 2) == round(100 * 10.1 / 40.2, 2)
    assert (prediction["closed"], prediction["counts"], prediction["team"]) == (
        False,
        "global",
        "",
    )
    assert prediction["stage"] == "sal"
    # SAL: (10.1/10.1) / (2.1/30.1) = ×14.3; DE: (4.1/10.2) / (24.1/30.2) = ÷2.0
    assert [f["text"] for f in prediction["factors"]] == [
        "Furthest stage: SAL — 14× more likely than average",
        "Country: Germany — 2× less likely than average",
    ]
    assert [f["direction"] for f in prediction["factors"]] == ["up", "down"]
    assert prediction["evaluation"]["n"] == odoo_snapshot.held_out_rows


def test_lead_prediction_names_the_team_whose_counts_it_used(db):
    team = TeamFactory(name="Account Executives")
    ae = UserFactory()
    team.members.add(ae)
    for stage in ("won", "lost", "lost"):
        lead_with_history(stage=stage, path=WON_PATH, owner=ae)
    predictive_train(min_count=0)
    lead = lead_with_history(stage="opportunity", path=WON_PATH[:-1], owner=ae)

    prediction = lead_prediction(lead=lead)

    assert (prediction["counts"], prediction["team"]) == ("team", "Account Executives")


def test_lead_prediction_for_closed_and_other_leads(odoo_snapshot):
    won = Lead.objects.filter(stage="won").first()

    assert lead_prediction(lead=won)["closed"] is True
    assert lead_prediction(lead=won)["won"] is True
    assert lead_prediction(lead=lead_with_history(stage="excluded")) is None


def test_lead_prediction_without_a_snapshot_is_none(db):
    assert lead_prediction(lead=lead_with_history(stage="sal", path=("mql",))) is None


@pytest.mark.parametrize("activities", [0, 3])
def test_lead_prediction_costs_a_constant_number_of_queries(
    activities, django_assert_num_queries, db
):
    team = TeamFactory()
    owner = UserFactory()
    team.members.add(owner)
    kinds = ("webinar", "demo_request", "pricing_page", "email_open")
    for n in range(8):
        lead = lead_with_history(stage="won" if n % 2 else "lost", path=WON_PATH, owner=owner)
        for kind in kinds[: n % 4]:
            ActivityFactory(lead=lead, type=kind, occurred_at=START)
    predictive_train(min_count=0)
    lead = LeadFactory(stage="sql", owner=owner)
    for n in range(activities):
        ActivityFactory(lead=lead, type=kinds[n % 4])
    lead = Lead.objects.get(pk=lead.pk)

    # snapshot; the lead; activity counts; members; managers (an SQL needs no history)
    with django_assert_num_queries(5):
        prediction = lead_prediction(lead=lead)

    assert prediction["factors"]
    assert all(abs(f["log_odds"]) >= 0.05 for f in prediction["factors"])
