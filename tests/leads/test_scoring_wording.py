""" "Why this score" in plain sentences (leads.scoring.wording), in English and Chinese.

Each lead below is scored by the real engine; the expected sentences are worked
out by hand from the model (the arithmetic is in the comments).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from leads.scoring.engine import (
    ActivityFact,
    FitRule,
    InterestRule,
    MqlThreshold,
    ScoringModel,
    score_lead,
)
from leads.scoring.wording import (
    criterion,
    format_number,
    interest_sentence,
    rule_sentence,
    why_score,
)

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)

MODEL = ScoringModel(
    version=4,
    label="test",
    fit_rules=(
        FitRule("employees", "gt", 50, 20, must=True, group="size"),
        FitRule("annual_revenue", "gt", 5_000_000, 10, must=True, group="size"),
        FitRule("country", "in", ("CN", "US"), 10, must=True),
        FitRule("industry", "in", ("Software",), 25),
        FitRule("seniority", "eq", "director", 15),
        FitRule("do_not_contact", "is", True, -100),
    ),
    grade_thresholds={"A": 60, "B": 40, "C": 20},
    interest_rules=(
        InterestRule("pricing_page", 25, cap=50, half_life_days=30),
        InterestRule("demo_request", 50),
        InterestRule("webinar", 15, cap=20),
        InterestRule("email_click", 5, half_life_days=14),
    ),
    threshold=MqlThreshold("grade_and_interest", "B", 40),
)
TOTAL_MODEL = ScoringModel(
    version=5,
    fit_rules=MODEL.fit_rules,
    grade_thresholds=MODEL.grade_thresholds,
    interest_rules=MODEL.interest_rules,
    threshold=MqlThreshold("total", "B", 40, 100),
)


def act(kind: str, days_ago: float) -> ActivityFact:
    return ActivityFact(kind, NOW - timedelta(days=days_ago))


HOT_LEAD = {
    "employees": 120,
    "country": "US",
    "industry": "Software",
    "seniority": "director",
    "do_not_contact": False,
}
HOT_ACTIVITIES = [
    act("pricing_page", 0),
    act("pricing_page", 10),
    act("pricing_page", 20),
    act("demo_request", 3),
    act("webinar", 1),
    act("webinar", 2),
    act("email_click", 14),
]


def why(lead, activities=(), model=MODEL, **kwargs):
    result = score_lead(lead=lead, activities=list(activities), model=model, now=NOW)
    return why_score(breakdown=result.to_dict(), definition=model.to_dict(), **kwargs)


def texts(lines) -> list[str]:
    return [line.text for line in lines]


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


def test_an_mql_in_english(english):
    # fit: 20 (employees) + 10 (country) + 25 (industry) + 15 (director) = 70 → A
    # pricing: 25·(1 + 2^(-10/30) + 2^(-20/30)) = 25·2.42366 = 60.59 → cap 50
    # demo 50 (no decay, no cap); webinar 2 × 15 = 30 → cap 20; email 5·2^(-14/14) = 2.5
    # interest 50 + 50 + 20 + 2.5 = 122.5
    w = why(HOT_LEAD, HOT_ACTIVITIES)

    assert w.scored
    assert (w.headline.key, w.headline.good) == ("mql.yes", True)
    assert w.headline.text == ("An MQL: grade A meets B or better and interest 122.5 reaches 40")
    assert texts(w.fit) == [
        "Grade A: 70 fit points (needs 60 for A)",
        "Employees: 120 > 50 (+20, required)",
        "Country: United States is one of China, United States (+10, required)",
        "Industry: Software is one of Software (+25)",
        "Seniority: Director is Director (+15)",
    ]
    assert [line.key for line in w.fit] == ["fit.grade"] + ["fit.matched"] * 4
    assert texts(w.interest) == [
        "Pricing page visit: 3 times, 60.59 points after decay, capped at 50",
        "Demo request: 1 time, 50 points",
        "Webinar attended: 2 times, 30 points, capped at 20",
        "Email click: 1 time, 5 points, 2.5 after decay",
        "Interest: 122.5 points in all (an MQL needs 40)",
    ]
    assert w.next_action.text == "Hot: sales follows up within 24 hours"
    assert (w.grade, w.quadrant, w.model_number, w.computed_at) == ("A", "hot", 4, NOW)


def test_an_mql_in_chinese(chinese):
    w = why(HOT_LEAD, HOT_ACTIVITIES)

    assert w.headline.text == "是 MQL：等级 A 达到 B 或以上，兴趣分 122.5 达到 40"
    assert texts(w.fit) == [
        "等级 A：匹配度 70 分（A 级需要 60 分）",
        "员工人数：120 > 50（+20，必需）",
        "国家：美国 属于 中国, 美国（+10，必需）",
        "行业：软件 属于 软件（+25）",
        "职级：总监 为 总监（+15）",
    ]
    assert texts(w.interest) == [
        "访问价格页：3 次，衰减后 60.59 分，按上限计 50 分",
        "预约演示：1 次，50 分",
        "参加网络研讨会：2 次，共 30 分，按上限计 20 分",
        "邮件点击：1 次，共 5 分，衰减后 2.5 分",
        "兴趣：共 122.5 分（MQL 需要 40 分）",
    ]
    assert w.next_action.text == "热门：销售在 24 小时内跟进"


DISQUALIFIED = {"employees": 30, "annual_revenue": None, "country": "JP", "industry": "Retail"}


def test_failed_requirements_in_english(english):
    w = why(DISQUALIFIED)

    assert (w.headline.key, w.headline.good) == ("mql.no", False)
    assert w.headline.text == "Not an MQL: a required criterion is not met"
    assert texts(w.fit) == [
        "Grade D: a required criterion is not met (0 fit points)",
        "Required, not met: Employees > 50 (the lead: 30) or "
        "Annual revenue (USD) > 5,000,000 (the lead: unknown)",
        "Required, not met: Country is one of China, United States (the lead: Japan)",
    ]
    assert [line.key for line in w.fit] == ["fit.grade", "fit.must_failed", "fit.must_failed"]
    assert texts(w.interest) == ["Interest: 0 points in all (an MQL needs 40)"]
    assert w.next_action.text == "Drop: drop it from communications"


def test_failed_requirements_in_chinese(chinese):
    w = why(DISQUALIFIED)

    assert w.headline.text == "不是 MQL：有必需条件未满足"
    assert texts(w.fit) == [
        "等级 D：有必需条件未满足（匹配度 0 分）",
        "必需条件未满足：员工人数 > 50（该线索：30） 或 年营收（美元） > 5,000,000（该线索：未知）",
        "必需条件未满足：国家 属于 中国, 美国（该线索：日本）",
    ]
    assert w.next_action.text == "放弃：停止向其发送营销信息"


@pytest.mark.parametrize(
    ("lead", "activities", "headline", "grade_line", "quadrant"),
    [
        # employees 20 + country 10 = 30 → C; one email click now: 5 < 40
        (
            {"employees": 60, "country": "CN"},
            [act("email_click", 0)],
            "Not an MQL: grade C is below B and interest 5 is below 40",
            "Grade C: 30 fit points (needs 20 for C)",
            "Drop: drop it from communications",
        ),
        # employees 20 + revenue 10 + country 10 = 40 → B; interest 5 < 40
        (
            {"employees": 60, "annual_revenue": 6_000_000, "country": "CN"},
            [act("email_click", 0)],
            "Not an MQL: interest 5 is below 40",
            "Grade B: 40 fit points (needs 40 for B)",
            "Nurture: marketing nurtures the lead",
        ),
        # 30 - 100 (do not contact) = -70 → D without a failed requirement; demo 50 ≥ 40
        (
            {"employees": 60, "country": "CN", "do_not_contact": True},
            [act("demo_request", 0)],
            "Not an MQL: grade D is below B",
            "Grade D: -70 fit points (C needs 20)",
            "Sales check: sales makes a quick, low-cost check",
        ),
    ],
)
def test_why_not_an_mql(english, lead, activities, headline, grade_line, quadrant):
    w = why(lead, activities)

    assert w.headline.text == headline
    assert w.fit[0].text == grade_line
    assert w.next_action.text == quadrant


def test_a_negative_rule_reads_with_its_sign(english):
    w = why({"employees": 60, "country": "CN", "do_not_contact": True})

    assert "Do not contact: yes is yes (-100)" in texts(w.fit)
    assert [line.good for line in w.fit if line.key == "fit.matched"] == [True, True, False]


def test_total_mode(english):
    # fit 70 + interest 122.5 = 192.5 ≥ 100; the cold lead: 30 + 5 = 35
    hot = why(HOT_LEAD, HOT_ACTIVITIES, model=TOTAL_MODEL)
    cold = why({"employees": 60, "country": "CN"}, [act("email_click", 0)], model=TOTAL_MODEL)

    assert hot.headline.text == "An MQL: the total 192.5 reaches 100"
    assert hot.interest[-1].text == "Interest: 122.5 points in all"
    assert cold.headline.text == "Not an MQL: the total 35 is below 100"


def test_total_mode_in_chinese(chinese):
    cold = why({"employees": 60, "country": "CN"}, [act("email_click", 0)], model=TOTAL_MODEL)

    assert cold.headline.text == "不是 MQL：总分 35 低于 100"
    assert cold.interest[-1].text == "兴趣：共 5 分"


def test_not_scored_yet():
    assert not why_score(breakdown={}, definition=None).scored
    assert not why_score(breakdown=None, definition=None).scored


def test_an_mql_that_scoring_would_not_make_now_is_kept(english):
    mql_at = NOW - timedelta(days=40)

    w = why(DISQUALIFIED, mql_at=mql_at)
    still = why(HOT_LEAD, HOT_ACTIVITIES, mql_at=mql_at)

    assert w.kept_mql_at == mql_at
    assert still.kept_mql_at is None


def test_without_the_definition_the_lines_still_read(english):
    result = score_lead(lead=HOT_LEAD, activities=[], model=MODEL, now=NOW)

    w = why_score(breakdown=result.to_dict(), definition=None)

    assert w.headline.text == "Not an MQL"
    assert texts(w.fit)[:2] == ["Grade A: 70 fit points", "Employees: 120 (+20)"]


# ---------------------------------------------------------- rules, values, numbers


@pytest.mark.parametrize(
    ("value", "text"),
    [(45, "45"), (45.0, "45"), (61.2, "61.2"), (61.234, "61.23"), (5_000_000, "5,000,000")],
)
def test_format_number(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("args", "en", "zh"),
    [
        (("employees", "gte", 50), "Employees ≥ 50", "员工人数 ≥ 50"),
        (("employees", "eq", 50), "Employees = 50", "员工人数 = 50"),
        (
            ("employees", "between", [50, 500]),
            "Employees is between 50 and 500",
            "员工人数 介于 50 与 500 之间",
        ),
        (("industry", "ne", "Retail"), "Industry is not Retail", "行业 不是 零售"),
        (
            ("country", "not_in", ["CN", "US"]),
            "Country is none of China, United States",
            "国家 不属于 中国, 美国",
        ),
        (("title", "contains", "VP"), "Job title contains VP", "职位 包含 VP"),
        (
            ("country", "in", ["A", "B", "C", "D", "E", "F", "G", "H"]),
            "Country is one of A, B, C, D, E, F and 2 more",
            "国家 属于 A, B, C, D, E, F 等另外 2 项",
        ),
    ],
)
def test_criteria_in_both_languages(args, en, zh):
    with translation.override("en"):
        assert criterion(*args) == en
    with translation.override("zh-hans"):
        assert criterion(*args) == zh


def test_rule_and_interest_sentences(english):
    rule = {"field": "employees", "operator": "gt", "value": 50, "points": 20, "must": True}

    assert rule_sentence({**rule, "group": "size"}) == (
        "Employees > 50 · +20 points · required (group size)"
    )
    assert rule_sentence({**rule, "must": False}) == "Employees > 50 · +20 points"
    assert interest_sentence(
        {"points": 25, "cap": 50, "half_life_days": 30, "window_days": 90}
    ) == ("25 points each · cap 50 · half-life 30 days · last 90 days only")
    assert interest_sentence({"points": 1}) == "1 point each · no cap · no decay · no window"
    assert rule_sentence({**rule, "points": -1}) == "Employees > 50 · -1 point · required"


ONE_POINT_MODEL = ScoringModel(
    version=6,
    fit_rules=MODEL.fit_rules,
    grade_thresholds=MODEL.grade_thresholds,
    interest_rules=(InterestRule("email_click", 1), InterestRule("webinar", 1, cap=1)),
    threshold=MODEL.threshold,
)


def test_one_point_is_singular_in_english(english):
    w = why(
        HOT_LEAD, [act("email_click", 1), act("webinar", 1), act("webinar", 2)], ONE_POINT_MODEL
    )

    assert texts(w.interest)[:2] == [
        "Email click: 1 time, 1 point",
        "Webinar attended: 2 times, 2 points, capped at 1",
    ]


def test_one_point_in_chinese(chinese):
    w = why(HOT_LEAD, [act("email_click", 1)], ONE_POINT_MODEL)

    assert texts(w.interest)[0] == "邮件点击：1 次，1 分"
