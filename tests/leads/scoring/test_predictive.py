"""Naive Bayes predictive score (leads.scoring.predictive)."""

import json
import random

import pytest

from leads.scoring.predictive import (
    GLOBAL,
    PredictiveModel,
    TrainingRow,
    add_closed_lead,
    behaviour_features,
    evaluate,
    predict,
    top_factors,
    train,
)

STAGES = ("S1", "S2", "S3")


def odoo_rows(team="emea"):
    """Odoo's worked example: 10 won (6 FR, 4 DE); 30 lost — 20 at S1 (all DE),
    8 at S2 (4 DE, 4 FR), 2 at S3 (FR). So FR won 6 / lost 6, DE won 4 / lost 24."""
    rows = [TrainingRow(won=True, fields={"country": "FR"}, team=team) for _ in range(6)]
    rows += [TrainingRow(won=True, fields={"country": "DE"}, team=team) for _ in range(4)]
    rows += [TrainingRow(False, {"country": "DE"}, stage="S1", team=team) for _ in range(20)]
    rows += [TrainingRow(False, {"country": "DE"}, stage="S2", team=team) for _ in range(4)]
    rows += [TrainingRow(False, {"country": "FR"}, stage="S2", team=team) for _ in range(4)]
    rows += [TrainingRow(False, {"country": "FR"}, stage="S3", team=team) for _ in range(2)]
    return rows


def test_counts_are_cumulative_over_stages():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)

    counts = model.teams["emea"]
    assert counts.stage_won == {"S1": 10, "S2": 10, "S3": 10}
    assert counts.stage_lost == {"S1": 30, "S2": 10, "S3": 2}
    assert counts.values == {"country": {"FR": [6, 6], "DE": [4, 24]}}


@pytest.mark.parametrize(
    ("stage", "country", "percent"),
    [
        ("S1", "DE", 14.46),
        ("S1", "FR", 49.84),
        ("S2", "DE", 33.50),
        ("S2", "FR", 74.75),
        ("S3", "DE", 70.78),
        ("S3", "FR", 93.44),
    ],
)
def test_odoo_vector(stage, country, percent):
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)

    prediction = predict(model, fields={"country": country}, stage=stage, team="emea")

    assert round(prediction.probability, 2) == percent
    assert prediction.team == "emea"
    assert round(prediction.prior_won, 4) == round(100 * 10.1 / 40.2, 4)


def test_model_round_trips_through_json():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)

    again = PredictiveModel.from_dict(json.loads(json.dumps(model.to_dict())))

    assert again == model
    assert round(predict(again, fields={"country": "FR"}, stage="S3").probability, 2) == 93.44


def test_team_without_history_falls_back_to_global_counts():
    apac = [TrainingRow(True, {"country": "DE"}, team="apac") for _ in range(5)]
    apac += [TrainingRow(False, {"country": "DE"}, stage="S1", team="apac") for _ in range(5)]
    model = train(rows=odoo_rows() + apac, stages=STAGES, min_count=0)

    own = predict(model, fields={"country": "DE"}, stage="S1", team="apac")
    fallback = predict(model, fields={"country": "DE"}, stage="S1", team="latam")
    no_team = predict(model, fields={"country": "DE"}, stage="S1")

    # apac: P(won) = 5.1 / 10.2 = 0.5 and DE's factor is 1 on both sides -> 50 %
    assert (own.team, round(own.probability, 2)) == ("apac", 50.0)
    # global: won 15 (FR 6, DE 9), lost 35 (FR 6, DE 29) on S1
    p_won = 15.1 / 50.2
    won = p_won * 9.1 / 15.2
    lost = (1 - p_won) * 29.1 / 35.2
    assert (fallback.team, fallback.probability) == (
        GLOBAL,
        pytest.approx(100 * won / (won + lost)),
    )
    assert no_team.probability == fallback.probability


def test_values_seen_fewer_than_min_count_times_are_ignored():
    # the Odoo vector plus two Italian leads (one won, one lost at S1): IT is seen
    # twice, under min_count=10, so it gives no factor and is left out of the
    # country sums; FR (12) and DE (28) count.
    italians = [
        TrainingRow(True, {"country": "IT"}, team="emea"),
        TrainingRow(False, {"country": "IT"}, stage="S1", team="emea"),
    ]
    model = train(rows=odoo_rows() + italians, stages=STAGES, min_count=10)

    it = predict(model, fields={"country": "IT"}, stage="S1", team="emea")
    de = predict(model, fields={"country": "DE"}, stage="S1", team="emea")

    p_won = 11.1 / 42.2  # the stage counts include the Italians
    won, lost = p_won * 4.1 / 10.2, (1 - p_won) * 24.1 / 30.2  # the sums do not
    assert it.factors == ()
    assert it.probability == pytest.approx(100 * p_won)
    assert round(de.probability, 2) == round(100 * won / (won + lost), 2) == 15.24


def test_min_count_above_every_value_leaves_the_prior():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=50)

    prediction = predict(model, fields={"country": "DE"}, stage="S1", team="emea")

    assert prediction.factors == ()
    assert round(prediction.probability, 2) == round(100 * 10.1 / 40.2, 2) == 25.12


def test_unseen_value_and_unknown_field_give_no_factor():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)

    prediction = predict(model, fields={"country": "JP", "industry": "Software"}, stage="S1")

    assert prediction.factors == ()
    assert round(prediction.probability, 2) == 25.12


def test_probability_is_clamped():
    rows = [TrainingRow(True, {"x": "a"}) for _ in range(100_000)]
    rows += [TrainingRow(False, {"x": "b"}, stage="S1") for _ in range(100_000)]
    model = train(rows=rows, stages=STAGES, min_count=0)

    assert predict(model, fields={"x": "a"}, stage="S3").probability == 99.99
    assert predict(model, fields={"x": "b"}, stage="S1").probability == 0.01


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage 'S9'"):
        train(rows=[TrainingRow(False, {}, stage="S9")], stages=STAGES)
    model = train(rows=odoo_rows(), stages=STAGES)
    with pytest.raises(ValueError, match="unknown stage 'S9'"):
        predict(model, fields={}, stage="S9")


def test_add_closed_lead_updates_team_and_global_counts():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)

    add_closed_lead(model, TrainingRow(False, {"country": "FR"}, stage="S2", team="emea"))

    for key in ("emea", GLOBAL):
        assert model.teams[key].stage_lost == {"S1": 31, "S2": 11, "S3": 2}
        assert model.teams[key].values["country"]["FR"] == [6, 7]


def test_a_prediction_after_add_closed_lead_uses_the_new_counts():
    # the per-field sums are kept between predictions: adding a lead must refresh them
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)
    before = predict(model, fields={"country": "FR"}).probability
    fresh = train(rows=odoo_rows(), stages=STAGES, min_count=0)
    for _ in range(5):
        row = TrainingRow(False, {"country": "BE"}, stage="S1", team="emea")
        add_closed_lead(model, row)
        add_closed_lead(fresh, row)

    after = predict(model, fields={"country": "FR"}).probability
    assert after != before
    assert after == predict(fresh, fields={"country": "FR"}).probability


def test_behaviour_features_bucket_activity_counts():
    features = behaviour_features(
        {"demo_request": 1, "pricing_page": 3}, types=("demo_request", "pricing_page", "webinar")
    )

    assert features == {
        "activity:demo_request": "1",
        "activity:pricing_page": "2+",
        "activity:webinar": "0",
    }


def synthetic_rows(n, seed):
    """Leads that requested a demo twice or more mostly win; country is noise."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        demos = rng.choice((0, 0, 1, 2, 3))
        won = rng.random() < {0: 0.05, 1: 0.3, 2: 0.8, 3: 0.8}[demos]
        fields = {"country": rng.choice(("CN", "US", "DE"))}
        fields.update(behaviour_features({"demo_request": demos}, types=("demo_request",)))
        rows.append(TrainingRow(won, fields, stage=None if won else rng.choice(STAGES)))
    return rows


def test_behaviour_predicts_winning_and_tops_the_factors():
    model = train(rows=synthetic_rows(3000, seed=1), stages=STAGES, min_count=50)
    held_out = synthetic_rows(1000, seed=2)

    keen = predict(model, fields={"country": "US", "activity:demo_request": "2+"})
    cold = predict(model, fields={"country": "US", "activity:demo_request": "0"})
    result = evaluate(model, held_out)

    assert keen.probability > 70 > 10 > cold.probability
    assert top_factors(keen, n=1)[0].field == "activity:demo_request"
    assert top_factors(cold, n=1)[0].value == "0"
    assert result.n == 1000
    assert result.auc > 0.8
    assert result.accuracy > 0.75
    assert result.brier < 0.2


def test_evaluate_worked_by_hand():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)
    held_out = [
        TrainingRow(True, {"country": "FR"}, team="emea"),  # 49.84 % -> called lost: wrong
        TrainingRow(False, {"country": "DE"}, stage="S2", team="emea"),  # 14.46 %: right
        TrainingRow(False, {"country": "FR"}, stage="S1", team="emea"),  # 49.84 %: right
    ]

    result = evaluate(model, held_out)

    fr, de = 0.498375, 0.144580
    assert (result.n, result.won, result.base_rate) == (3, 1, pytest.approx(1 / 3))
    assert result.accuracy == pytest.approx(2 / 3)
    # the won lead ties with one lost lead (half) and beats the other: (1 + 0.5) / 2
    assert result.auc == 0.75
    assert result.brier == pytest.approx(((fr - 1) ** 2 + de**2 + fr**2) / 3, abs=1e-5)


def test_top_factors_are_ordered_by_strength():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)

    prediction = predict(model, fields={"country": "DE"}, stage="S3", team="emea")
    factors = top_factors(prediction)

    # stage S3: log((10.1/10.1) / (2.1/30.1)) = 2.66; DE: log((4.1/10.2) / (24.1/30.2)) = -0.69
    assert [(f.field, f.value) for f in factors] == [("stage", "S3"), ("country", "DE")]
    assert [round(f.log_odds, 2) for f in factors] == [2.66, -0.69]
