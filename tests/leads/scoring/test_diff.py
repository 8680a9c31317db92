"""Rule-by-rule differences between two scoring models (leads.scoring.diff, pure)."""

from dataclasses import replace

import pytest

from leads.scoring.diff import diff_models
from leads.scoring.engine import FitRule, InterestRule, MqlThreshold, ScoringModel, default_model

DEFAULT_THRESHOLD = MqlThreshold()


def model(*fit, interest=(), grades=None, threshold=DEFAULT_THRESHOLD, label="m") -> ScoringModel:
    return ScoringModel(
        version=1,
        label=label,
        fit_rules=tuple(fit),
        grade_thresholds=grades or {"A": 60, "B": 40, "C": 20},
        interest_rules=tuple(interest),
        threshold=threshold,
    )


def rows(changes) -> list[tuple]:
    return [(c.section, c.kind, c.key, c.old_index, c.new_index, c.fields) for c in changes]


EMPLOYEES = FitRule("employees", "gt", 50, 20, must=True, group="size")
REVENUE = FitRule("annual_revenue", "gt", 5_000_000, 10, must=True, group="size")
COUNTRY = FitRule("country", "in", ("CN", "US", "DE"), 10, must=True)
DIRECTOR = FitRule("seniority", "eq", "director", 15)
MANAGER = FitRule("seniority", "eq", "manager", 5)


def test_a_model_against_itself_has_no_changes():
    assert diff_models(default_model(1), default_model(2)) == []


def test_equal_values_written_differently_are_no_change():
    # given: 50 vs 50.0, list order and case, a padded text
    old = model(
        FitRule("employees", "gt", 50, 20),
        FitRule("country", "in", ("CN", "US"), 10),
        FitRule("industry", "eq", "Software", 5),
    )
    new = model(
        FitRule("employees", "gt", 50.0, 20.0),
        FitRule("country", "in", ("us", "cn"), 10),
        FitRule("industry", "eq", " software ", 5),
    )

    assert diff_models(old, new) == []


def test_reordering_rules_is_no_change():
    old = model(EMPLOYEES, REVENUE, COUNTRY)
    new = model(COUNTRY, EMPLOYEES, REVENUE)

    assert diff_models(old, new) == []


FIT_VECTORS = [
    # (old rules, new rules, expected rows)
    pytest.param(
        [EMPLOYEES, COUNTRY],
        [EMPLOYEES, COUNTRY, DIRECTOR],
        [("fit", "added", "seniority", None, 2, ())],
        id="added",
    ),
    pytest.param(
        [EMPLOYEES, REVENUE, COUNTRY],
        [EMPLOYEES, COUNTRY],
        [("fit", "removed", "annual_revenue", 1, None, ())],
        id="removed",
    ),
    pytest.param(
        [EMPLOYEES, COUNTRY],
        [replace(EMPLOYEES, points=25), COUNTRY],
        [("fit", "changed", "employees", 0, 0, ("points",))],
        id="points (same criterion)",
    ),
    pytest.param(
        [EMPLOYEES],
        [replace(EMPLOYEES, must=False, group="")],
        [("fit", "changed", "employees", 0, 0, ("must", "group"))],
        id="must to bonus",
    ),
    pytest.param(
        [EMPLOYEES, COUNTRY],
        [replace(EMPLOYEES, value=100), COUNTRY],
        [("fit", "changed", "employees", 0, 0, ("value",))],
        id="value (same field)",
    ),
    pytest.param(
        [EMPLOYEES],
        [replace(EMPLOYEES, operator="between", value=(50, 500), points=30)],
        [("fit", "changed", "employees", 0, 0, ("operator", "value", "points"))],
        id="operator and value",
    ),
    pytest.param(
        # the criterion pass pairs manager with manager although it moved; the
        # field pass then pairs director with head
        [DIRECTOR, MANAGER],
        [replace(MANAGER, points=8), replace(DIRECTOR, value="head")],
        [
            ("fit", "changed", "seniority", 1, 0, ("points",)),
            ("fit", "changed", "seniority", 0, 1, ("value",)),
        ],
        id="criterion before field",
    ),
    pytest.param(
        [DIRECTOR],
        [FitRule("title", "contains", "director", 15)],
        [
            ("fit", "removed", "seniority", 0, None, ()),
            ("fit", "added", "title", None, 0, ()),
        ],
        id="another field is removed + added",
    ),
    pytest.param(
        [EMPLOYEES, EMPLOYEES],
        [EMPLOYEES],
        [("fit", "removed", "employees", 1, None, ())],
        id="one of two identical rules removed",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), FIT_VECTORS)
def test_fit_rule_vectors(old, new, expected):
    assert rows(diff_models(model(*old), model(*new))) == expected


def test_a_changed_rule_carries_both_sides():
    [change] = diff_models(model(EMPLOYEES), model(replace(EMPLOYEES, points=25)))

    assert change.old == EMPLOYEES.to_dict()
    assert change.new["points"] == 25
    assert change.to_dict()["fields"] == ["points"]


def test_list_value_changes_name_the_items():
    new = replace(COUNTRY, value=("cn", "US", "JP", "SG"))

    [change] = diff_models(model(COUNTRY), model(new))

    assert (change.kind, change.fields) == ("changed", ("value",))
    assert change.items_added == ("JP", "SG")
    assert change.items_removed == ("DE",)
    assert change.new["value"] == ["cn", "US", "JP", "SG"]


def test_between_bounds_keep_their_order():
    old = FitRule("employees", "between", (50, 500), 10)
    new = FitRule("employees", "between", (500, 50), 10)

    assert rows(diff_models(model(old), model(new))) == [
        ("fit", "changed", "employees", 0, 0, ("value",))
    ]


def test_interest_rules_by_activity_type():
    demo = InterestRule("demo_request", 50, cap=75, half_life_days=30, window_days=90)
    pricing = InterestRule("pricing_page", 25, cap=50, half_life_days=30)
    webinar = InterestRule("webinar", 15, cap=30)
    old = model(interest=[demo, pricing, webinar])
    new = model(
        interest=[
            InterestRule("live_stream", 15, cap=30),
            replace(pricing, points=30, cap=None),
            replace(demo, half_life_days=30.0, window_days=60),
        ]
    )

    changes = diff_models(old, new)

    assert rows(changes) == [
        ("interest", "added", "live_stream", None, 0, ()),
        ("interest", "changed", "pricing_page", 1, 1, ("points", "cap")),
        ("interest", "changed", "demo_request", 0, 2, ("window_days",)),
        ("interest", "removed", "webinar", 2, None, ()),
    ]
    assert (changes[1].old["cap"], changes[1].new["cap"]) == (50, None)


def test_grade_thresholds():
    old = model(grades={"A": 60, "B": 40, "C": 20})
    new = model(grades={"A": 70, "B": 40.0, "C": 25})

    changes = diff_models(old, new)

    assert [(c.section, c.kind, c.key, c.old, c.new) for c in changes] == [
        ("grades", "changed", "A", 60, 70),
        ("grades", "changed", "C", 20, 25),
    ]


def test_mql_threshold_attribute_by_attribute():
    old = model(threshold=MqlThreshold("grade_and_interest", "B", 40, None))
    new = model(threshold=MqlThreshold("total", "B", 50, 90))

    changes = diff_models(old, new)

    assert [(c.section, c.kind, c.key, c.old, c.new) for c in changes] == [
        ("threshold", "changed", "mode", "grade_and_interest", "total"),
        ("threshold", "changed", "min_interest", 40, 50),
        ("threshold", "added", "min_total", None, 90),
    ]


def test_a_model_without_threshold_reads_as_all_none():
    changes = diff_models(model(threshold=None), model(threshold=MqlThreshold("total", "C", 0, 80)))

    assert [(c.kind, c.key, c.new) for c in changes] == [
        ("added", "mode", "total"),
        ("added", "min_grade", "C"),
        ("added", "min_interest", 0),
        ("added", "min_total", 80),
    ]


def test_label_and_the_order_of_sections():
    old = model(EMPLOYEES, interest=[InterestRule("webinar", 15)], label="Q3")
    new = model(
        replace(EMPLOYEES, points=30),
        interest=[InterestRule("webinar", 20)],
        grades={"A": 65, "B": 40, "C": 20},
        threshold=MqlThreshold(min_interest=45),
        label="Q4",
    )

    changes = diff_models(old, new)

    assert [(c.section, c.key) for c in changes] == [
        ("label", "label"),
        ("fit", "employees"),
        ("grades", "A"),
        ("interest", "webinar"),
        ("threshold", "min_interest"),
    ]
    assert (changes[0].old, changes[0].new) == ("Q3", "Q4")


def test_default_model_edited_like_a_marketer_would():
    # given: the seed model; the draft drops revenue from the size group, adds JP to
    # the serviceable countries, makes industry a must and raises pricing-page points
    old = default_model(1)
    fit = list(old.fit_rules)
    del fit[1]
    fit[1] = replace(fit[1], value=(*fit[1].value, "JP"))
    fit[2] = replace(fit[2], must=True)
    interest = [
        replace(r, points=30) if r.activity_type == "pricing_page" else r
        for r in old.interest_rules
    ]
    new = replace(old, version=2, fit_rules=tuple(fit), interest_rules=tuple(interest))

    changes = diff_models(old, new)

    assert rows(changes) == [
        ("fit", "removed", "annual_revenue", 1, None, ()),
        ("fit", "changed", "country", 2, 1, ("value",)),
        ("fit", "changed", "industry", 3, 2, ("must",)),
        ("interest", "changed", "pricing_page", 1, 1, ("points",)),
    ]
    assert changes[1].items_added == ("JP",)
