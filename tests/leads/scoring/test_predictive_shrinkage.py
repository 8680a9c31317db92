"""Shrinkage toward the average and the fitted temperature (leads.scoring.predictive):
why a hot grade-A demo lead no longer reads "Chance of winning 0.0 %"."""

import math
import random

import pytest

from leads.scoring.predictive import (
    PredictiveModel,
    TrainingRow,
    field_factors,
    fitted_temperature,
    predict,
    train,
)

STAGES = ("S1", "S2", "S3")


def small_history():
    """As the demo's: 16 won of 296; "Healthcare" on 37 lost leads and no won one
    (by chance: about 2 wins were to be expected), "Software" 2 won of 38."""
    rows = [TrainingRow(True, {"industry": "Software"}) for _ in range(2)]
    rows += [TrainingRow(True, {"industry": "Other"}) for _ in range(14)]
    rows += [TrainingRow(False, {"industry": "Healthcare"}, stage="S1") for _ in range(37)]
    rows += [TrainingRow(False, {"industry": "Software"}, stage="S1") for _ in range(36)]
    rows += [TrainingRow(False, {"industry": "Other"}, stage="S1") for _ in range(207)]
    return rows


def test_a_value_never_won_on_a_few_leads_is_pulled_toward_the_average():
    odoo = train(rows=small_history(), stages=STAGES, min_count=20)
    shrunk = train(rows=small_history(), stages=STAGES, min_count=20, prior_weight=5)

    [odoo_factor] = predict(odoo, fields={"industry": "Healthcare"}).factors
    [factor] = predict(shrunk, fields={"industry": "Healthcare"}).factors

    p = 16.1 / 296.2  # the average (smoothed) win rate
    rate = 5 * p / (37 + 5)  # 0 won of 37, plus 5 leads at the average
    assert factor.lift == pytest.approx(rate / p) == pytest.approx(5 / 42)
    assert factor.log_odds == pytest.approx(math.log(rate / p) - math.log((1 - rate) / (1 - p)))
    # Odoo's counts divide the odds by ~22; shrunk, by ~8.5
    assert math.exp(-odoo_factor.log_odds) > 20
    assert 8 < math.exp(-factor.log_odds) < 9


def test_a_value_seen_on_many_leads_keeps_its_own_rate():
    rows = [TrainingRow(True, {"x": "a"}) for _ in range(300)]
    rows += [TrainingRow(False, {"x": "a"}, stage="S1") for _ in range(700)]
    rows += [TrainingRow(True, {"x": "b"}) for _ in range(100)]
    rows += [TrainingRow(False, {"x": "b"}, stage="S1") for _ in range(900)]
    model = train(rows=rows, stages=STAGES, min_count=0, prior_weight=5)

    factors = {f.value: f for f in field_factors(model) if f.field == "x"}

    assert factors["a"].lift == pytest.approx(0.3 / 0.2, rel=0.01)  # 30 % won vs 20 %
    assert factors["b"].lift == pytest.approx(0.1 / 0.2, rel=0.01)


def correlated_rows(n, seed, copies):
    """One real signal (``hot``: won 30 % against 5 %), written into ``copies``
    fields that always agree, as size, revenue and seniority go together."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        hot = rng.random() < 0.3
        won = rng.random() < (0.3 if hot else 0.05)
        fields = {f"f{i}": "yes" if hot else "no" for i in range(copies)}
        rows.append(TrainingRow(won, fields, stage=None if won else "S1"))
    return rows


def test_the_temperature_undoes_fields_that_say_the_same_thing():
    rows = correlated_rows(4000, seed=3, copies=5)
    plain = train(rows=rows, stages=STAGES, min_count=0, prior_weight=5)
    fitted = train(rows=rows, stages=STAGES, min_count=0, prior_weight=5, fit_temperature=True)
    hot = {f"f{i}": "yes" for i in range(5)}

    assert plain.temperature == 1.0
    assert 4 < fitted.temperature < 6  # the one signal counted five times
    assert predict(plain, fields=hot).probability > 70  # naive Bayes: over-confident
    assert predict(fitted, fields=hot).probability == pytest.approx(30, abs=3)


def test_independent_fields_keep_a_temperature_near_one():
    rng = random.Random(5)
    rows = []
    for _ in range(4000):
        a, b = rng.random() < 0.5, rng.random() < 0.5
        won = rng.random() < 0.04 * (3 if a else 1) * (3 if b else 1)
        fields = {"a": str(a), "b": str(b)}
        rows.append(TrainingRow(won, fields, stage=None if won else "S1"))

    model = train(rows=rows, stages=STAGES, min_count=0, prior_weight=5, fit_temperature=True)

    assert 0.7 < model.temperature < 1.4


def test_the_stage_keeps_its_full_weight():
    rows = correlated_rows(2000, seed=4, copies=3)
    rows += [TrainingRow(False, {}, stage="S2") for _ in range(50)]
    model = train(rows=rows, stages=STAGES, min_count=0, prior_weight=5, fit_temperature=True)

    at_first = predict(model, fields={})
    at_s2 = predict(model, fields={}, stage="S2")
    [stage] = at_s2.factors

    odds = at_s2.probability / (100 - at_s2.probability)
    first_odds = at_first.probability / (100 - at_first.probability)
    assert math.log(odds / first_odds) == pytest.approx(stage.log_odds)


def test_nothing_to_fit_leaves_the_temperature_at_one():
    same = [TrainingRow(True, {"x": "a"}) for _ in range(5)]
    model = train(rows=same, stages=STAGES, min_count=0, prior_weight=5)

    assert fitted_temperature(model, same) == 1.0
    assert fitted_temperature(model, []) == 1.0


def test_shrinkage_and_temperature_round_trip_and_old_snapshots_read_as_odoo():
    model = train(
        rows=correlated_rows(500, seed=1, copies=2),
        stages=STAGES,
        min_count=0,
        prior_weight=5,
        fit_temperature=True,
    )
    stored = model.to_dict()

    assert PredictiveModel.from_dict(stored) == model
    old = {k: v for k, v in stored.items() if k not in ("prior_weight", "temperature")}
    assert (
        PredictiveModel.from_dict(old).prior_weight,
        PredictiveModel.from_dict(old).temperature,
    ) == (0.0, 1.0)


@pytest.mark.parametrize("weight", [-1, math.inf, math.nan])
def test_a_bad_prior_weight_is_refused(weight):
    with pytest.raises(ValueError, match="prior_weight"):
        train(rows=[], stages=STAGES, prior_weight=weight)
