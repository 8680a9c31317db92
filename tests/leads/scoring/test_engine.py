"""Table-driven tests of the pure scoring engine (leads.scoring.engine)."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from leads.scoring.engine import (
    NEXT_ACTIONS,
    ActivityFact,
    FitRule,
    InterestRule,
    InvalidModel,
    MqlThreshold,
    ScoreResult,
    ScoringModel,
    compile_model,
    default_model,
    explain,
    score_lead,
    validate_model,
)

NOW = datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
DAYS = timedelta(days=1)


def model_with(*fit, interest=(), threshold=None, grades=None) -> ScoringModel:
    return ScoringModel(
        version=7,
        label="test",
        fit_rules=tuple(fit),
        grade_thresholds=grades or {"A": 60, "B": 40, "C": 20},
        interest_rules=tuple(interest),
        threshold=threshold or MqlThreshold(min_grade="B", min_interest=40),
    )


def score(lead, acts=(), model=None, now=NOW) -> ScoreResult:
    return score_lead(lead=lead, activities=list(acts), model=model, now=now)


def act(kind: str, days_ago: float) -> ActivityFact:
    return ActivityFact(kind, NOW - timedelta(days=days_ago))


# ----------------------------------------------------------------- operators

OPERATOR_CASES = [
    # field, operator, value, lead value, matched
    ("employees", "gt", 50, 51, True),
    ("employees", "gt", 50, 50, False),
    ("employees", "gte", 50, 50, True),
    ("employees", "gte", 50, 49, False),
    ("employees", "lt", 50, 49, True),
    ("employees", "lt", 50, 50, False),
    ("employees", "lte", 50, 50, True),
    ("employees", "lte", 50, 51, False),
    ("employees", "eq", 50, 50, True),
    ("employees", "eq", 50, 51, False),
    ("annual_revenue", "between", [1_000_000, 5_000_000], 1_000_000, True),
    ("annual_revenue", "between", [1_000_000, 5_000_000], 5_000_000, True),
    ("annual_revenue", "between", [1_000_000, 5_000_000], 5_000_001, False),
    ("annual_revenue", "gt", 5_000_000, "5000000.50", True),  # Decimal-as-text from a form
    ("employees", "gt", 50, None, False),  # missing never matches
    ("industry", "eq", "Software", "software", True),  # text ignores case
    ("industry", "eq", "Software", "Retail", False),
    ("industry", "ne", "Retail", "Software", True),
    ("industry", "ne", "Retail", "RETAIL", False),
    ("industry", "ne", "Retail", "", False),  # missing never matches, even ne
    ("country", "in", ["CN", "US"], "cn", True),
    ("country", "in", ["CN", "US"], "DE", False),
    ("country", "not_in", ["CN", "US"], "DE", True),
    ("country", "not_in", ["CN", "US"], "US", False),
    ("country", "not_in", ["CN", "US"], None, False),
    ("title", "contains", "market", "VP Marketing", True),
    ("title", "contains", "market", "CTO", False),
    ("do_not_contact", "is", True, True, True),
    ("do_not_contact", "is", True, False, False),
    ("do_not_contact", "is", False, False, True),
    ("do_not_contact", "is", False, None, False),
]


@pytest.mark.parametrize(("field", "operator", "value", "lead_value", "matched"), OPERATOR_CASES)
def test_each_operator(field, operator, value, lead_value, matched):
    model = model_with(FitRule(field, operator, value, points=25))

    result = score({field: lead_value}, model=model)

    assert result.fit[0].matched is matched
    assert result.fit_points == (25 if matched else 0)


# ----------------------------------------------------------- must, bonus, grades

ICP = (
    FitRule("employees", "gt", 50, 20, must=True, group="size"),
    FitRule("annual_revenue", "gt", 5_000_000, 10, must=True, group="size"),
    FitRule("country", "in", ["CN", "US"], 10, must=True),
    FitRule("industry", "eq", "Software", 25),
    FitRule("seniority", "in", ["executive", "vp"], 20),
)


@pytest.mark.parametrize(
    ("lead", "points", "grade", "failed"),
    [
        # both size rules, country, industry, role: 85
        (
            {
                "employees": 500,
                "annual_revenue": 9e6,
                "country": "US",
                "industry": "Software",
                "seniority": "vp",
            },
            85,
            "A",
            (),
        ),
        # the size group is met by revenue alone (OR), no role: 10+10+25 = 45
        (
            {"employees": 10, "annual_revenue": 6e6, "country": "CN", "industry": "Software"},
            45,
            "B",
            (),
        ),
        # employees alone, 20+10 = 30 -> C; exactly at the C cut is C
        ({"employees": 51, "country": "CN"}, 30, "C", ()),
        # 20 points exactly -> C ... here: revenue 10 + country 10
        ({"annual_revenue": 6e6, "country": "CN"}, 20, "C", ()),
        # size met, country fails: D, disqualified despite 65 points
        (
            {"employees": 500, "country": "DE", "industry": "Software", "seniority": "vp"},
            65,
            "D",
            ("rule:2",),
        ),
        # neither size rule: the group fails (both members named in the breakdown)
        (
            {"employees": 10, "annual_revenue": 1e6, "country": "US", "seniority": "vp"},
            30,
            "D",
            ("group:size",),
        ),
        # unknown country: a must-rule on a missing value fails
        ({"employees": 60}, 20, "D", ("rule:2",)),
    ],
)
def test_must_bonus_and_grades(lead, points, grade, failed):
    result = score(lead, model=model_with(*ICP))

    assert result.fit_points == points
    assert result.grade == grade
    assert result.failed_requirements == failed
    assert result.disqualified is bool(failed)


@pytest.mark.parametrize(
    ("points", "grade"),
    [(60, "A"), (59.99, "B"), (40, "B"), (39.99, "C"), (20, "C"), (19.99, "D"), (0, "D")],
)
def test_grade_edges(points, grade):
    model = model_with(FitRule("employees", "gte", 0, points))

    assert score({"employees": 1}, model=model).grade == grade


def test_negative_bonus_points_lower_the_grade():
    model = model_with(
        FitRule("industry", "eq", "Software", 45), FitRule("do_not_contact", "is", True, -100)
    )

    assert score({"industry": "Software", "do_not_contact": True}, model=model).fit_points == -55
    assert score({"industry": "Software", "do_not_contact": True}, model=model).grade == "D"


# ------------------------------------------------------------------- interest


def test_decay_then_sum_then_cap_order():
    # 10 points, half-life 10 days, cap 15. Two activities 10 days old:
    # decay first: 5 + 5 = 10, under the cap -> 10.
    # (cap first would give min(20, 15) = 15, then decay -> 7.5: a different number.)
    model = model_with(interest=[InterestRule("webinar", 10, cap=15, half_life_days=10)])

    result = score({}, [act("webinar", 10), act("webinar", 10)], model=model)

    assert result.interest_points == 10
    (line,) = result.interest
    assert (line.count, line.raw, line.decayed, line.points, line.capped) == (2, 20, 10, 10, False)


def test_cap_applies_to_the_decayed_sum():
    # three fresh ones (10 + 10 + 10 = 30) and one 10 days old (5): sum 35, cap 15
    model = model_with(interest=[InterestRule("webinar", 10, cap=15, half_life_days=10)])
    acts = [act("webinar", 0), act("webinar", 0), act("webinar", 0), act("webinar", 10)]

    (line,) = score({}, acts, model=model).interest

    assert (line.count, line.raw, line.decayed, line.points, line.capped) == (4, 40, 35, 15, True)


@pytest.mark.parametrize(
    ("half_life", "days_ago", "points"),
    [(None, 365, 20), (30, 0, 20), (30, 30, 10), (30, 60, 5), (30, 90, 2.5), (7, 3.5, 14.1421)],
)
def test_decay(half_life, days_ago, points):
    model = model_with(interest=[InterestRule("demo_request", 20, half_life_days=half_life)])

    (line,) = score({}, [act("demo_request", days_ago)], model=model).interest

    assert line.points == points


def test_window_counts_only_the_last_n_days():
    model = model_with(interest=[InterestRule("pricing_page", 10, window_days=30)])
    acts = [act("pricing_page", 29), act("pricing_page", 30), act("pricing_page", 30.01)]

    (line,) = score({}, acts, model=model).interest

    assert (line.count, line.points) == (2, 20)


def test_future_activities_are_ignored():
    model = model_with(interest=[InterestRule("demo_request", 40)])
    acts = [
        ActivityFact("demo_request", NOW),
        ActivityFact("demo_request", NOW + timedelta(seconds=1)),
    ]

    result = score({}, acts, model=model)

    assert (result.interest[0].count, result.interest_points) == (1, 40)


def test_scoring_as_of_a_past_date_sees_only_what_happened_by_then():
    model = model_with(interest=[InterestRule("demo_request", 40)])
    acts = [act("demo_request", 40), act("demo_request", 5)]

    assert score({}, acts, model=model, now=NOW - 30 * DAYS).interest_points == 40
    assert score({}, acts, model=model).interest_points == 80


def test_unknown_activity_types_and_types_without_rule_count_nothing():
    model = model_with(interest=[InterestRule("demo_request", 40)])

    result = score({}, [act("webinar", 1), act("fax_sent", 1)], model=model)

    assert (result.interest, result.interest_points) == ((), 0)


def test_activities_in_another_time_zone_age_correctly():
    model = model_with(interest=[InterestRule("demo_request", 20, half_life_days=1)])
    one_day_ago_in_shanghai = (NOW - DAYS).astimezone(timezone(timedelta(hours=8)))

    result = score({}, [ActivityFact("demo_request", one_day_ago_in_shanghai)], model=model)

    assert result.interest_points == 10


def test_naive_datetimes_are_refused():
    model = model_with(interest=[InterestRule("demo_request", 40)])
    naive = datetime(2026, 10, 1, 12, 0)

    with pytest.raises(ValueError, match="now must be timezone-aware"):
        score({}, [], model=model, now=naive)
    with pytest.raises(ValueError, match="occurred_at must be a timezone-aware datetime"):
        score({}, [ActivityFact("demo_request", naive)], model=model)


# ---------------------------------------------------------- MQL and quadrants

FIT_A = FitRule("industry", "eq", "A", 60)
FIT_B = FitRule("industry", "eq", "B", 40)
FIT_C = FitRule("industry", "eq", "C", 20)
DEMO = InterestRule("demo_request", 40)
CLICK = InterestRule("email_click", 5)


@pytest.mark.parametrize(
    ("industry", "acts", "quadrant", "is_mql"),
    [
        ("A", [act("demo_request", 1)], "hot", True),
        ("B", [act("demo_request", 1)], "hot", True),  # edge: grade B, interest exactly 40
        ("B", [act("email_click", 1)] * 7, "nurture", False),  # 35 < 40
        ("C", [act("demo_request", 1)], "sales_check", False),
        ("C", [act("email_click", 1)], "drop", False),
    ],
)
def test_quadrants_grade_and_interest(industry, acts, quadrant, is_mql):
    model = model_with(FIT_A, FIT_B, FIT_C, interest=[DEMO, CLICK])

    result = score({"industry": industry}, acts, model=model)

    assert (result.quadrant, result.is_mql) == (quadrant, is_mql)
    assert result.next_action == NEXT_ACTIONS[quadrant]


def test_next_action_keys():
    assert NEXT_ACTIONS == {
        "hot": "sales_follow_up_24h",
        "nurture": "marketing_nurture",
        "sales_check": "low_cost_sales_check",
        "drop": "drop_from_communications",
    }


def test_disqualified_lead_is_never_a_good_fit():
    must = FitRule("country", "eq", "CN", 0, must=True)
    model = model_with(FIT_A, must, interest=[DEMO])

    result = score({"industry": "A", "country": "US"}, [act("demo_request", 1)], model=model)

    assert (result.grade, result.quadrant, result.is_mql) == ("D", "sales_check", False)


def test_total_threshold_mode():
    threshold = MqlThreshold(mode="total", min_grade="B", min_interest=40, min_total=80)
    must = FitRule("country", "ne", "KP", 0, must=True)
    model = model_with(FIT_A, FIT_C, must, interest=[DEMO, CLICK], threshold=threshold)

    # fit 60 + interest 20 = 80: an MQL by total though interest is under the axis
    a = score({"industry": "A", "country": "CN"}, [act("email_click", 1)] * 4, model=model)
    # 60 + 15 = 75: not
    b = score({"industry": "A", "country": "CN"}, [act("email_click", 1)] * 3, model=model)
    # fit 20 + interest 80 = 100 -> MQL, quadrant from the axes: sales_check
    c = score({"industry": "C", "country": "CN"}, [act("demo_request", 1)] * 2, model=model)
    # disqualified by must: never an MQL, whatever the total
    d = score({"industry": "A", "country": "KP"}, [act("demo_request", 1)] * 2, model=model)

    assert (a.total, a.is_mql, a.quadrant) == (80, True, "nurture")
    assert (b.total, b.is_mql) == (75, False)
    assert (c.total, c.is_mql, c.quadrant) == (100, True, "sales_check")
    assert (d.total, d.is_mql, d.grade) == (140, False, "D")


# ----------------------------------------------------------------- validation


def codes(model):
    return [(e.section, e.index, e.field, e.code) for e in validate_model(model)]


def test_validate_reports_each_kind_of_error_with_index_and_field():
    model = ScoringModel(
        version=2,
        fit_rules=(
            FitRule("industry", "in", ["Software"], 10),
            FitRule("shoe_size", "gt", 42, 5),
            FitRule("industry", "gt", 5, 5),
            FitRule("employees", "between", [100, 10], 5),
            FitRule("employees", "gt", "many", 5),
            FitRule("country", "in", [], 5),
            FitRule("do_not_contact", "is", "yes", 5),
        ),
        grade_thresholds={"A": 20, "B": 40, "C": 10},
        interest_rules=(
            InterestRule("demo_request", 40, cap=60),
            InterestRule("fax_sent", 5),
            InterestRule("webinar", -5),
            InterestRule("email_click", 5, cap=-1, half_life_days=0, window_days=0),
            InterestRule("demo_request", 10),
        ),
        threshold=MqlThreshold(mode="total", min_grade="E", min_interest=-1, min_total=None),
    )

    assert codes(model) == [
        ("fit", 1, "shoe_size", "unknown_field"),
        ("fit", 2, "industry", "operator_type"),
        ("fit", 3, "employees", "bad_value"),
        ("fit", 4, "employees", "bad_value"),
        ("fit", 5, "country", "bad_value"),
        ("fit", 6, "do_not_contact", "bad_value"),
        ("interest", 1, "fax_sent", "unknown_activity_type"),
        ("interest", 2, "webinar", "out_of_range"),
        ("interest", 3, "email_click", "out_of_range"),
        ("interest", 3, "email_click", "out_of_range"),
        ("interest", 3, "email_click", "out_of_range"),
        ("interest", 4, "demo_request", "duplicate"),
        ("grades", None, "B", "out_of_range"),
        ("threshold", None, "min_grade", "out_of_range"),
        ("threshold", None, "min_interest", "out_of_range"),
        ("threshold", None, "min_total", "missing"),
    ]
    messages = [e.message for e in validate_model(model)]
    assert (
        messages[1]
        == "operator 'gt' does not fit a text field (allowed: eq, ne, in, not_in, contains)"
    )


def test_validate_model_without_threshold():
    assert codes(model_with(FIT_A).__class__(version=1, threshold=None)) == [
        ("threshold", None, "threshold", "missing")
    ]
    no_axes = model_with(FIT_A, threshold=MqlThreshold(min_grade=None, min_interest=None))
    assert codes(no_axes) == [
        ("threshold", None, "min_grade", "missing"),
        ("threshold", None, "min_interest", "missing"),
    ]


def test_validate_grades_missing_or_unknown():
    model = model_with(FIT_A, grades={"A": 60, "B": 40, "E": 1})

    assert codes(model) == [
        ("grades", None, "C", "missing"),
        ("grades", None, "E", "unknown_grade"),
    ]


def test_an_invalid_model_cannot_score():
    model = model_with(FitRule("shoe_size", "gt", 42, 5))

    with pytest.raises(InvalidModel, match="fit\\[0\\] shoe_size: unknown field") as info:
        score({}, model=model)
    assert [e.code for e in info.value.errors] == ["unknown_field"]


# ------------------------------------------------ serialisation, explain, default


def test_model_and_result_round_trip_through_json_dicts():
    import json

    model = default_model(version=3)
    again = ScoringModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model

    result = score(
        {"employees": 80, "annual_revenue": Decimal("6000000.00"), "country": "CN"},
        [act("demo_request", 2), act("pricing_page", 1)],
        model=model,
    )
    assert ScoreResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert compile_model(model) is compile_model(model)  # compiled once, cached


def test_explain_lines():
    model = model_with(*ICP, interest=[DEMO, InterestRule("email_click", 5, cap=10)])
    lead = {"employees": 10, "annual_revenue": 1e6, "country": "US", "industry": "Software"}
    acts = [
        act("demo_request", 1),
        act("email_click", 1),
        act("email_click", 2),
        act("email_click", 3),
    ]

    result = score(lead, acts, model=model)
    lines = [(line.key, dict(line.params)) for line in explain(result, model)]

    size_rules = [
        {"index": 0, "field": "employees", "lead_value": 10.0, "operator": "gt", "value": 50},
        {"index": 1, "field": "annual_revenue", "lead_value": 1e6, "operator": "gt", "value": 5e6},
    ]
    assert lines == [
        ("mql.no", {"model_version": 7, "total": 85.0}),
        ("fit.must_failed", {"requirement": "group:size", "rules": size_rules}),
        ("fit.grade", {"grade": "D", "points": 35.0, "disqualified": True}),
        (
            "fit.matched",
            {
                "index": 2,
                "field": "country",
                "lead_value": "US",
                "operator": "in",
                "value": ["CN", "US"],
                "points": 10.0,
            },
        ),
        (
            "fit.matched",
            {
                "index": 3,
                "field": "industry",
                "lead_value": "Software",
                "operator": "eq",
                "value": "Software",
                "points": 25.0,
            },
        ),
        (
            "interest.type",
            {
                "activity_type": "demo_request",
                "count": 1,
                "raw": 40.0,
                "decayed": 40.0,
                "points": 40.0,
                "capped": False,
            },
        ),
        (
            "interest.type",
            {
                "activity_type": "email_click",
                "count": 3,
                "raw": 15.0,
                "decayed": 15.0,
                "points": 10.0,
                "capped": True,
            },
        ),
        ("interest.total", {"points": 50.0}),
        ("quadrant", {"quadrant": "sales_check", "next_action": "low_cost_sales_check"}),
    ]


def test_default_model_is_valid_and_follows_the_seed():
    model = default_model()
    assert validate_model(model) == []
    types = {r.activity_type for r in model.interest_rules}
    assert {
        "wechat_article_read",
        "mini_program_visit",
        "live_stream",
        "event_registration",
    } <= types
    top_two = sorted(model.interest_rules, key=lambda r: r.points, reverse=True)[:2]
    assert {r.activity_type for r in top_two} == {"demo_request", "pricing_page"}
    assert not any(r.must for r in model.fit_rules if r.field == "seniority")

    good = {"employees": 30, "annual_revenue": 6_000_000, "country": "CN", "industry": "Software"}
    # revenue alone meets the size requirement; no role at all (bonus): 10 + 10 + 25 = 45 -> B
    result = score(good, [act("demo_request", 1)], model=model)
    assert (result.fit_points, result.grade, result.disqualified) == (45, "B", False)
    assert (result.interest_points, result.is_mql, result.quadrant) == (48.86, True, "hot")

    small = {**good, "annual_revenue": 4_000_000}  # employees 30, revenue $4M: too small
    result = score(small, [act("demo_request", 1)], model=model)
    assert (result.grade, result.failed_requirements, result.is_mql) == (
        "D",
        ("group:size",),
        False,
    )


def test_min_total_is_checked_in_every_mode():
    model = default_model(1)
    bad = ScoringModel.from_dict(
        {**model.to_dict(), "threshold": {**model.threshold.to_dict(), "min_total": "lots"}}
    )
    [error] = validate_model(bad)
    assert (error.section, error.field, error.code) == ("threshold", "min_total", "out_of_range")
