"""Scores on the lead pages and API: the grade/quadrant/MQL filters of the lead list
(page and ``GET /api/v1/leads/``), the score column, and "why this score"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.scoring.engine import default_model
from leads.scoring.services import lead_rescore, scoring_model_create_draft, scoring_model_publish
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:lead_list")
BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def lead_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-lead-id="(\d+)"', response.content.decode())]


@pytest.fixture
def scored_leads():
    """a: A/hot MQL; b: B/nurture; c: D/sales check, still an MQL; d: not scored."""

    def lead(n, **fields):
        return LeadFactory(received_at=BASE - dt.timedelta(days=n), **fields)

    return {
        "a": lead(0, score_grade="A", score_quadrant="hot", mql_at=BASE),
        "b": lead(1, score_grade="B", score_quadrant="nurture"),
        "c": lead(2, score_grade="D", score_quadrant="sales_check", mql_at=BASE),
        "d": lead(3),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"grade": "A"}, ["a"]),
        ({"grade": "D"}, ["c"]),
        ({"quadrant": "nurture"}, ["b"]),
        ({"quadrant": "sales_check"}, ["c"]),
        ({"mql": "yes"}, ["a", "c"]),
        ({"mql": "no"}, ["b", "d"]),
        ({"grade": "D", "mql": "yes"}, ["c"]),
        ({"quadrant": "hot", "mql": "no"}, []),
        ({}, ["a", "b", "c", "d"]),
    ],
)
def test_lead_list_page_filters_by_score(client, marketer, scored_leads, params, expected):
    client.force_login(marketer)

    response = client.get(reverse("leads:lead_list"), params)

    assert response.status_code == 200
    assert lead_ids(response) == [scored_leads[name].pk for name in expected]


@pytest.mark.parametrize(("params", "field"), [({"grade": "E"}, "grade"), ({"mql": "x"}, "mql")])
def test_lead_list_page_bad_score_filter_shows_the_error(
    client, marketer, scored_leads, params, field
):
    client.force_login(marketer)

    response = client.get(reverse("leads:lead_list"), params)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert len(lead_ids(response)) == 4  # the broken field filters nothing


def test_lead_list_shows_grade_and_quadrant(client, marketer, scored_leads):
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    cells = re.findall(r'data-grade="(\w*)" data-quadrant="(\w*)">(.*?)</td>', html, re.S)
    assert [(g, q) for g, q, _ in cells] == [
        ("A", "hot"),
        ("B", "nurture"),
        ("D", "sales_check"),
        ("", ""),
    ]
    assert ">Hot<" in cells[0][2]
    assert ">Sales check<" in cells[2][2]
    assert "—" in cells[3][2]


def test_lead_list_score_labels_in_chinese(client, marketer, scored_leads):
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert ">热门<" in html
    assert "全部等级" in html  # the grade filter's first choice


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"grade": ["A", "B"]}, ["a", "b"]),
        ({"quadrant": "sales_check"}, ["c"]),
        ({"quadrant": ["hot", "nurture"]}, ["a", "b"]),
        ({"mql": "true"}, ["a", "c"]),
        ({"mql": "false"}, ["b", "d"]),
        ({"grade": "D", "mql": "true"}, ["c"]),
    ],
)
def test_api_filters_by_score(api_as, director, scored_leads, params, expected):
    body = api_as(director).get(LIST, params).json()

    assert [row["id"] for row in body["results"]] == [scored_leads[n].pk for n in expected]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"grade": "E"}, "grade"), ({"quadrant": "lukewarm"}, "quadrant"), ({"mql": "x"}, "mql")],
)
def test_api_bad_score_filter_is_400_naming_it(api_as, director, scored_leads, params, field):
    response = api_as(director).get(LIST, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- "why this score" on the lead page -------------------------------------------------


@pytest.fixture
def published(marketer):
    draft = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    version, _job = scoring_model_publish(version=draft, user=marketer)
    return version


@pytest.fixture
def hot_lead(published):
    account = AccountFactory(employees=120, industry="Software", country="US")
    lead = LeadFactory(account=account, seniority="vp")
    ActivityFactory(lead=lead, type="demo_request", occurred_at=timezone.now())
    lead_rescore(lead=lead)
    return lead


def why_lines(html: str) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    for key, text in re.findall(r'data-why="([\w.]+)">(.*?)</(?:p|li)>', html, re.S):
        lines.setdefault(key, []).append(re.sub(r"<[^>]+>", "", text).strip())
    return lines


def test_lead_page_explains_the_score(client, director, hot_lead, published):
    client.force_login(director)

    response = client.get(
        reverse("leads:lead_detail", args=[hot_lead.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    html = response.content.decode()
    side = html[html.index('class="detail-side"') :]
    assert side.index("data-why-score") < side.index("Contact")  # first in the side column
    lines = why_lines(html)
    # fit: employees 20 + country 10 + industry 25 + VP 20 = 75 → A; interest: demo 50
    assert lines["mql.yes"] == ["An MQL: grade A meets B or better and interest 50 reaches 40"]
    assert lines["fit.grade"] == ["Grade A: 75 fit points (needs 60 for A)"]
    assert lines["fit.matched"][0] == "Employees: 120 &gt; 50 (+20, required)"
    assert lines["interest.type"] == ["Demo request: 1 time, 50 points"]
    assert lines["quadrant"] == ["Next step: Hot: sales follows up within 24 hours"]
    assert "Model v1" in lines["model"][0]
    assert reverse("leads:scoring_model", args=[published.pk]) in html


def test_lead_page_explains_the_score_in_chinese(client, director, hot_lead):
    client.force_login(director)

    response = client.get(
        reverse("leads:lead_detail", args=[hot_lead.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    lines = why_lines(response.content.decode())
    assert lines["mql.yes"] == ["是 MQL：等级 A 达到 B 或以上，兴趣分 50 达到 40"]
    assert lines["fit.grade"] == ["等级 A：匹配度 75 分（A 级需要 60 分）"]
    assert lines["quadrant"] == ["下一步: 热门：销售在 24 小时内跟进"]
    assert "为什么是这个评分" in response.content.decode()


def test_lead_page_of_an_unscored_lead(client, director):
    lead = LeadFactory()
    client.force_login(director)

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]), HTTP_ACCEPT_LANGUAGE="en")

    assert why_lines(response.content.decode()) == {"none": ["Not scored yet."]}


@pytest.mark.parametrize("activities", [1, 12])
def test_lead_page_query_count_with_a_score(
    client, director, published, django_assert_num_queries, activities
):
    account = AccountFactory(employees=120, industry="Software", country="US")
    lead = LeadFactory(account=account)
    for n in range(activities):
        ActivityFactory(lead=lead, type=("demo_request", "webinar", "pricing_page")[n % 3])
    lead_rescore(lead=lead)
    client.force_login(director)

    # session, user, groups (roles), the lead with account, owner and scoring model,
    # activities, events: the explanation adds none; the predictive snapshot (none yet),
    # the consent history, the SLA clocks (sla.clocks), the bell's unread count (sla.notify)
    with django_assert_num_queries(10):
        response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert len(why_lines(response.content.decode())["interest.type"]) == min(activities, 3)
