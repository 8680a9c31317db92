"""field_factors: every factor one set of counts can give (leads.scoring.predictive)."""

import math

import pytest

from leads.scoring.predictive import GLOBAL, TrainingRow, field_factors, predict, train
from tests.leads.scoring.test_predictive import STAGES, odoo_rows


def test_field_factors_of_the_odoo_counts_by_hand():
    model = train(rows=odoo_rows(), stages=STAGES, min_count=0)

    factors = {(f.field, f.value): f for f in field_factors(model, team="emea")}

    # S2: (10.1/10.1) / (10.1/30.1); S3: 1 / (2.1/30.1); FR: (6.1/10.2)/(6.1/30.2); DE: ...
    assert set(factors) == {("stage", "S2"), ("stage", "S3"), ("country", "FR"), ("country", "DE")}
    assert factors["stage", "S2"].log_odds == pytest.approx(math.log(30.1 / 10.1))
    assert factors["stage", "S3"].log_odds == pytest.approx(math.log(30.1 / 2.1))
    assert factors["country", "FR"].log_odds == pytest.approx(math.log(30.2 / 10.2))
    assert factors["country", "DE"].log_odds == pytest.approx(
        math.log((4.1 / 10.2) / (24.1 / 30.2))
    )
    ordered = [(f.field, f.value) for f in field_factors(model, team="emea")]
    assert ordered == [("stage", "S3"), ("stage", "S2"), ("country", "FR"), ("country", "DE")]


def test_field_factors_are_the_ones_predict_applies():
    italians = [TrainingRow(True, {"country": "IT"}), TrainingRow(False, {"country": "IT"})]
    model = train(rows=odoo_rows(team=None) + italians, stages=STAGES, min_count=10)

    listed = {(f.field, f.value): f for f in field_factors(model)}
    applied = predict(model, fields={"country": "DE"}, stage="S3").factors

    assert ("country", "IT") not in listed  # seen twice, under min_count
    for factor in applied:
        assert listed[factor.field, factor.value] == factor


def test_field_factors_of_unknown_counts_are_empty_but_the_stages():
    model = train(rows=[], stages=STAGES, min_count=0)

    factors = field_factors(model, team="nobody")

    assert [(f.field, f.value, f.won, f.lost) for f in factors] == [
        ("stage", "S2", 1.0, 1.0),
        ("stage", "S3", 1.0, 1.0),
    ]
    assert field_factors(model, team=GLOBAL) == factors
