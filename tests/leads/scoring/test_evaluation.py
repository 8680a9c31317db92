"""Evaluation against history and closed-loop calibration: the pure maths
(leads.scoring.evaluation), on small fixtures whose numbers are worked out by hand
in the comments."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leads.scoring.engine import (
    ActivityFact,
    FitRule,
    InterestRule,
    MqlThreshold,
    ScoringModel,
    compile_model,
    default_model,
    score_lead,
)
from leads.scoring.evaluation import (
    Evaluation,
    HistoryLead,
    calibrate,
    calibrated_model,
    evaluate,
    month_ends,
    months_back,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


# ------------------------------------------------------------------ month ends


def test_month_ends_are_the_last_complete_months_in_the_site_zone():
    ends = month_ends(as_of=datetime(2025, 1, 15, tzinfo=SHANGHAI), months=3, tz=SHANGHAI)
    assert ends == (
        datetime(2024, 11, 1, tzinfo=SHANGHAI),
        datetime(2024, 12, 1, tzinfo=SHANGHAI),
        datetime(2025, 1, 1, tzinfo=SHANGHAI),
    )


def test_month_ends_use_the_local_month_of_as_of():
    # 2024-12-31 20:00 UTC is already 2025-01-01 04:00 in Shanghai: December is complete.
    ends = month_ends(as_of=datetime(2024, 12, 31, 20, tzinfo=UTC), months=1, tz=SHANGHAI)
    assert ends == (datetime(2025, 1, 1, tzinfo=SHANGHAI),)
    # ... but not in UTC, where it is still December: November is the last complete month.
    assert month_ends(as_of=datetime(2024, 12, 31, 20, tzinfo=UTC), months=1, tz=UTC) == (
        datetime(2024, 12, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("months", [0, 25, -1])
def test_month_ends_refuse_a_window_out_of_range(months):
    with pytest.raises(ValueError, match="months must be 1 to 24"):
        month_ends(as_of=at(7, 10), months=months, tz=UTC)


def test_month_ends_refuse_a_naive_as_of():
    with pytest.raises(ValueError, match="timezone-aware"):
        month_ends(as_of=datetime(2025, 7, 10), months=3, tz=UTC)  # noqa: DTZ001


# ------------------------------------------------------------------ evaluation

# A model simple enough to score by hand: no decay, no window.
# Fit: employees > 50 is a must worth 40 points (grade B at 40); interest:
# demo request 50, pricing page 20 (cap 40), web visit 5 (cap 10).
FIT = (FitRule("employees", "gt", 50, 40, must=True),)
INTEREST = (
    InterestRule("demo_request", 50),
    InterestRule("pricing_page", 20, cap=40),
    InterestRule("web_visit", 5, cap=10),
)
PUBLISHED = ScoringModel(
    version=1,
    fit_rules=FIT,
    interest_rules=INTEREST,
    threshold=MqlThreshold(min_grade="B", min_interest=40),
)
# The draft only lowers the interest bar to 20.
DRAFT = ScoringModel(
    version=2,
    fit_rules=FIT,
    interest_rules=INTEREST,
    threshold=MqlThreshold(min_grade="B", min_interest=20),
)
AS_OF = at(7, 10)
JUNE_1 = datetime(2025, 6, 1, tzinfo=UTC)
JULY_1 = datetime(2025, 7, 1, tzinfo=UTC)
ENDS = month_ends(as_of=AS_OF, months=3, tz=UTC)  # April, May, June 2025


def lead(n, received, acts=(), employees=100, **outcome) -> HistoryLead:
    return HistoryLead(
        id=n,
        facts={"employees": employees},
        activities=tuple(ActivityFact(kind, when) for kind, when in acts),
        received_at=received,
        **outcome,
    )


HISTORY = [
    # L1: demo request in April -> MQL April for both; reached SQL in May, won in June.
    lead(1, at(4, 5), [("demo_request", at(4, 6))], sql_at=at(5, 1), won_at=at(6, 10)),
    # L2: 20 points in April (draft MQL), 40 by the end of May (published MQL);
    # disqualified in June without reaching SQL.
    lead(2, at(4, 10), [("pricing_page", at(4, 11)), ("pricing_page", at(5, 3))],
         closed_at=at(6, 20)),
    # L3: 10 employees fails the must-rule: never an MQL; won in June (neither catches it).
    lead(3, at(5, 2), [("demo_request", at(5, 2))], employees=10,
         sql_at=at(5, 20), won_at=at(6, 5)),
    # L4: 10 points (two capped web visits) until a demo request on 30 June: MQL June; open.
    lead(
        4,
        at(5, 15),
        [("web_visit", at(5, 16)), ("web_visit", at(5, 16, 13)), ("demo_request", at(6, 30))],
        sql_at=at(7, 1),
    ),
    # L5: received before the window: left out although it was won in the window.
    lead(5, at(3, 20), [("demo_request", at(3, 21))], sql_at=at(4, 2), won_at=at(4, 30)),
    # L6: its demo request comes after the window; disqualified in July: decided, no MQL.
    lead(6, at(6, 28), [("demo_request", at(7, 2))], closed_at=at(7, 5)),
    # L7: 20 points in April: the draft's MQL in April, never the published one's;
    # nothing new after April (so it is scored once per model); won in May.
    lead(7, at(4, 1), [("pricing_page", at(4, 2))], sql_at=at(5, 20), won_at=at(5, 25)),
    # L8: received at the first instant of June, demo request at once: MQL June;
    # won on 20 July, after as_of: still open.
    lead(8, JUNE_1, [("demo_request", JUNE_1)], won_at=at(7, 20)),
    # L9: its demo request at the first instant of July belongs to July: no MQL; open.
    lead(9, at(6, 15), [("demo_request", JULY_1)]),
    # L10: MQL June; won on 5 July (after the window, before as_of) with no SQL event:
    # won counts as SQL; won for precision, in no month's recall.
    lead(10, at(6, 2), [("demo_request", at(6, 3))], won_at=at(7, 5)),
]  # fmt: skip


def run(history=HISTORY):
    return evaluate(
        leads=history, models={"draft": DRAFT, "published": PUBLISHED}, ends=ENDS, as_of=AS_OF
    )


def test_population_and_outcomes():
    result = run()
    # L5 is outside; decided: L1 L2 L3 L6 L7 L10; won: L1 L3 L7 L10; open: L4 L8 L9.
    assert result["leads"] == {"received": 9, "decided": 6, "won": 4, "open": 3}
    assert [m["month"] for m in result["per_month"]] == ["2025-04", "2025-05", "2025-06"]
    assert [m["received"] for m in result["per_month"]] == [3, 2, 4]
    assert [m["received_decided"] for m in result["per_month"]] == [3, 1, 2]
    # Deals won per month: May L7; June L1 and L3 (L10's July win is after the window).
    assert [m["won_deals"] for m in result["per_month"]] == [0, 1, 2]
    assert result["versions"] == {"draft": 2, "published": 1}
    assert result["start"] == "2025-04-01T00:00:00+00:00"
    assert result["end"] == "2025-07-01T00:00:00+00:00"
    assert result["synthetic"] is False


def test_the_published_model_month_by_month():
    months = [m["models"]["published"] for m in run()["per_month"]]
    # April: L1 (won). May: L2 (closed, no SQL). June: L4 and L8 (open), L10 (won).
    # Recall: May's deal L7 was never its MQL; of June's L1 and L3 it had L1.
    assert months == [
        {"mqls": 1, "decided": 1, "open": 0, "reached_sql": 1, "won": 1, "sql_rate": 1.0,
         "precision": 1.0, "caught": 0, "recall": None},
        {"mqls": 1, "decided": 1, "open": 0, "reached_sql": 0, "won": 0, "sql_rate": 0.0,
         "precision": 0.0, "caught": 0, "recall": 0.0},
        {"mqls": 3, "decided": 1, "open": 2, "reached_sql": 1, "won": 1, "sql_rate": 1.0,
         "precision": 1.0, "caught": 1, "recall": 0.5},
    ]  # fmt: skip


def test_the_draft_month_by_month():
    months = [m["models"]["draft"] for m in run()["per_month"]]
    # April: L1 (won), L2 (closed, no SQL), L7 (won). May: none. June: L4, L8, L10.
    # Recall: May's L7 was its MQL in April; June: L1 yes, L3 no.
    assert months == [
        {"mqls": 3, "decided": 3, "open": 0, "reached_sql": 2, "won": 2, "sql_rate": 0.6667,
         "precision": 0.6667, "caught": 0, "recall": None},
        {"mqls": 0, "decided": 0, "open": 0, "reached_sql": 0, "won": 0, "sql_rate": None,
         "precision": None, "caught": 1, "recall": 1.0},
        {"mqls": 3, "decided": 1, "open": 2, "reached_sql": 1, "won": 1, "sql_rate": 1.0,
         "precision": 1.0, "caught": 1, "recall": 0.5},
    ]  # fmt: skip


def test_totals_sum_the_months_and_recompute_the_rates():
    totals = run()["totals"]
    assert totals["published"] == {
        "mqls": 5, "decided": 3, "open": 2, "reached_sql": 2, "won": 2, "sql_rate": 0.6667,
        "precision": 0.6667, "caught": 1, "recall": 0.3333, "won_deals": 3,
    }  # fmt: skip
    assert totals["draft"] == {
        "mqls": 6, "decided": 4, "open": 2, "reached_sql": 3, "won": 3, "sql_rate": 0.75,
        "precision": 0.75, "caught": 2, "recall": 0.6667, "won_deals": 3,
    }  # fmt: skip


def test_a_lead_is_scored_once_when_nothing_new_happens():
    evaluation = Evaluation(models={"published": PUBLISHED}, ends=ENDS, as_of=AS_OF)
    evaluation.add(HISTORY[6])  # L7: April, then no new activity in May or June
    assert evaluation.scorings == 1
    evaluation.add(HISTORY[2])  # L3 fails a must-rule in May: June is not scored
    assert evaluation.scorings == 2
    evaluation.add(HISTORY[1])  # L2: April no, May yes (new activity), stops there
    assert evaluation.scorings == 4


def test_outcomes_after_as_of_are_not_known_yet():
    late = [lead(1, at(4, 5), [("demo_request", at(4, 6))], won_at=at(7, 11), closed_at=None)]
    totals = run(late)["totals"]["published"]
    assert (totals["mqls"], totals["decided"], totals["won"]) == (1, 0, 0)


def test_synthetic_leads_are_flagged():
    history = [lead(1, at(4, 5)), HistoryLead(2, {}, (), at(4, 6), synthetic=True)]
    assert run(history)["synthetic"] is True


def test_progress_is_reported_by_leads_read():
    seen = []
    evaluate(
        leads=HISTORY,
        models={"published": PUBLISHED},
        ends=ENDS,
        as_of=AS_OF,
        progress=seen.append,
        every=4,
    )
    assert seen == [4, 8, 10]


def test_as_of_before_the_window_end_is_refused():
    with pytest.raises(ValueError, match="as_of"):
        Evaluation(models={"p": PUBLISHED}, ends=ENDS, as_of=at(6, 30))


def _brute_first_mql(model, history_lead, ends):
    """Score at every month end from the month received, no shortcuts."""
    for k, end in enumerate(ends):
        if history_lead.received_at >= end:
            continue  # not received yet
        cutoff = end - timedelta(microseconds=1)
        if score_lead(
            lead=history_lead.facts, activities=history_lead.activities, model=model, now=cutoff
        ).is_mql:
            return k
    return None


def test_the_shortcuts_change_nothing_against_brute_force():
    # The default model decays, caps and windows; random leads over six months.
    model = default_model(1)
    compile_model(model)
    rng = random.Random(7)
    as_of = datetime(2025, 9, 3, tzinfo=SHANGHAI)
    ends = month_ends(as_of=as_of, months=6, tz=SHANGHAI)  # March to August
    start = datetime(2025, 3, 1, tzinfo=SHANGHAI)
    span = (ends[-1] - start).total_seconds()
    kinds = ("demo_request", "pricing_page", "webinar", "web_visit", "email_open", "live_stream")
    history = []
    for n in range(800):
        received = start + timedelta(seconds=rng.random() * span)
        times = sorted(
            received + timedelta(days=rng.uniform(-5, 150)) for _ in range(rng.randint(0, 8))
        )
        facts = {
            "employees": rng.choice((10, 60, 500, None)),
            "annual_revenue": rng.choice((1_000_000, 9_000_000)),
            "country": rng.choice(("CN", "US", "BR")),
            "industry": rng.choice(("Software", "Retail")),
            "seniority": rng.choice(("vp", "director", "manager", "individual")),
        }
        acts = tuple(ActivityFact(rng.choice(kinds), t) for t in times)
        history.append(HistoryLead(n, facts, acts, received))
    evaluation = Evaluation(models={"m": model}, ends=ends, as_of=as_of)
    expected = [0] * len(ends)
    for item in history:
        evaluation.add(item)
        k = _brute_first_mql(model, item, ends)
        if k is not None:
            expected[k] += 1
    got = [m.models["m"].mqls for m in evaluation.months]
    assert got == expected
    assert sum(expected) > 50  # the fixture does make MQLs, in several months
    assert sum(1 for count in expected if count) >= 4
    # ... and the shortcuts were taken: far fewer scorings than month ends walked.
    walked = sum(sum(1 for end in ends if item.received_at < end) for item in history)
    assert evaluation.scorings < walked / 2, (evaluation.scorings, walked)


# ------------------------------------------------------------------ calibration

# 250 closed leads, 20 won: the base rate is 8 %. Over the activities, 410 (lead, type)
# pairs of which 41 won: the average close rate of an activity is 10 %.
COUNTS = {
    "demo_request": (40, 12),  # 30 % -> lift 3.0 (the highest eligible)
    "pricing_page": (50, 10),  # 20 % -> lift 2.0
    "webinar": (60, 6),  # 10 % -> lift 1.0
    "web_visit": (150, 9),  # 6 % -> lift 0.6
    "email_open": (100, 0),  # 0 % -> lift 0
    "trial_signup": (10, 4),  # 40 % -> lift 4.0, but only 10 leads (< 30)
}


def test_calibration_table():
    calibration = calibrate(counts=COUNTS, closed=250, won=20, model=default_model(1))
    rows = {r.activity_type: r for r in calibration.rows}
    assert (calibration.base_close_rate, calibration.average_close_rate) == (0.08, 0.1)
    assert calibration.reference_type == "demo_request"
    # The default model's highest interest points are 50 (demo request): the scale.
    assert calibration.reference_points == 50
    table = {
        kind: (r.leads, r.won, r.close_rate, r.lift, r.current_points, r.suggested_points)
        for kind, r in rows.items()
        if kind in COUNTS
    }
    assert table == {
        "demo_request": (40, 12, 0.3, 3.0, 50.0, 50.0),  # 50 * 3 / 3
        "pricing_page": (50, 10, 0.2, 2.0, 25.0, 33.0),  # 50 * 2 / 3 = 33.3
        "webinar": (60, 6, 0.1, 1.0, 15.0, 17.0),  # 50 / 3 = 16.7
        "web_visit": (150, 9, 0.06, 0.6, 2.0, 10.0),  # 50 * 0.6 / 3
        "email_open": (100, 0, 0.0, 0.0, 1.0, 0.0),
        "trial_signup": (10, 4, 0.4, 4.0, 20.0, None),
    }
    assert rows["trial_signup"].reason == "too_few_leads"
    assert (rows["live_stream"].leads, rows["live_stream"].reason) == (0, "too_few_leads")
    assert [k for k, r in rows.items() if r.trigger] == ["demo_request", "pricing_page"]
    assert calibration.suggestion == {
        "demo_request": 50.0,
        "pricing_page": 33.0,
        "webinar": 17.0,
        "email_open": 0.0,
        "web_visit": 10.0,
    }
    assert len(calibration.rows) == 14  # every activity type is listed


def test_calibration_min_leads_is_a_parameter():
    calibration = calibrate(counts=COUNTS, closed=250, won=20, model=default_model(1), min_leads=10)
    # Now the trial sign-up (lift 4) is eligible and sets the scale; halves round up.
    assert calibration.reference_type == "trial_signup"
    assert calibration.suggestion == {
        "demo_request": 38.0,  # 50 * 3 / 4 = 37.5
        "pricing_page": 25.0,
        "webinar": 13.0,  # 12.5
        "email_open": 0.0,
        "web_visit": 8.0,  # 7.5
        "trial_signup": 50.0,
    }


def test_calibration_without_wins_suggests_nothing():
    calibration = calibrate(counts={"web_visit": (80, 0)}, closed=80, won=0, model=None)
    assert calibration.average_close_rate == 0.0
    assert calibration.suggestion == {}
    assert {r.reason for r in calibration.rows} == {"no_wins"}
    assert calibration.reference_points == 50  # no model: the fallback scale


def test_calibration_where_no_eligible_type_ever_won():
    calibration = calibrate(
        counts={"web_visit": (50, 0), "demo_request": (3, 3)}, closed=100, won=5, model=None
    )
    rows = {r.activity_type: r for r in calibration.rows}
    assert (rows["web_visit"].reason, rows["demo_request"].reason) == ("no_wins", "too_few_leads")
    assert calibration.suggestion == {}


def test_calibration_refuses_impossible_counts():
    with pytest.raises(ValueError, match="won"):
        calibrate(counts={}, closed=5, won=6, model=None)
    with pytest.raises(ValueError, match="web_visit"):
        calibrate(counts={"web_visit": (2, 3)}, closed=5, won=3, model=None)


def test_calibrated_model_replaces_points_and_scales_caps():
    model = default_model(4)
    suggestion = calibrate(counts=COUNTS, closed=250, won=20, model=model).suggestion
    new = calibrated_model(model=model, suggestion=suggestion, label="Calibrated")
    rules = {r.activity_type: r for r in new.interest_rules}
    assert (rules["demo_request"].points, rules["demo_request"].cap) == (50.0, 75.0)
    assert (rules["pricing_page"].points, rules["pricing_page"].cap) == (33.0, 66.0)  # 50*33/25
    assert (rules["webinar"].points, rules["webinar"].cap) == (17.0, 34.0)  # 30*17/15
    assert (rules["web_visit"].points, rules["web_visit"].cap) == (10.0, 50.0)  # 10*10/2
    assert (rules["email_open"].points, rules["email_open"].cap) == (0.0, 0.0)
    # Untouched: types without a suggestion, decay, windows, fit, grades, threshold.
    old = {r.activity_type: r for r in model.interest_rules}
    assert rules["trial_signup"] == old["trial_signup"]
    assert (rules["web_visit"].half_life_days, rules["web_visit"].window_days) == (14, 90)
    assert [r.activity_type for r in new.interest_rules] == [
        r.activity_type for r in model.interest_rules
    ]
    assert (new.fit_rules, new.grade_thresholds, new.threshold) == (
        model.fit_rules,
        model.grade_thresholds,
        model.threshold,
    )
    assert (new.label, new.version) == ("Calibrated", 4)
    compile_model(new)  # still a valid model


def test_calibrated_model_adds_rules_for_new_types_like_the_reference_rule():
    model = ScoringModel(
        version=1,
        fit_rules=FIT,
        interest_rules=(
            InterestRule("demo_request", 50, cap=75, half_life_days=30, window_days=90),
        ),
    )
    new = calibrated_model(
        model=model, suggestion={"demo_request": 40, "webinar": 17, "email_open": 0}
    )
    assert new.interest_rules == (
        InterestRule("demo_request", 40, cap=60.0, half_life_days=30, window_days=90),
        InterestRule("webinar", 17, cap=25.5, half_life_days=30, window_days=90),  # 17*75/50
    )
    assert new.label == model.label


def test_calibrated_model_keeps_the_cap_of_a_type_that_had_no_points():
    model = ScoringModel(version=1, interest_rules=(InterestRule("web_visit", 0, cap=10),))
    new = calibrated_model(model=model, suggestion={"web_visit": 6})
    assert new.interest_rules == (InterestRule("web_visit", 6, cap=10),)


def test_calibrated_model_needs_a_suggestion():
    with pytest.raises(ValueError, match="empty"):
        calibrated_model(model=default_model(1), suggestion={})


@pytest.mark.parametrize(
    ("at_", "months", "expected"),
    [
        (datetime(2025, 7, 10, 9, tzinfo=UTC), 12, datetime(2024, 7, 10, 9, tzinfo=UTC)),
        (datetime(2025, 3, 31, tzinfo=UTC), 1, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2025, 1, 15, tzinfo=UTC), 13, datetime(2023, 12, 15, tzinfo=UTC)),
    ],
)
def test_months_back(at_, months, expected):
    assert months_back(at_, months) == expected
