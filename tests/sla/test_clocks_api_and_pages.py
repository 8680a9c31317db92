"""Who sees which clock: the clocks and breaches API, the lead's API detail and page,
the team view — and bad filters answer 400 naming the parameter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sla.models import Clock
from tests.factories import LeadFactory, UserFactory, with_history

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def clocks(sdr, other_sdr, sales_manager):
    mine = with_history(LeadFactory(stage="mql", owner=sdr, assigned_at=timezone.now()))
    theirs = with_history(LeadFactory(stage="mql", owner=other_sdr, assigned_at=LONG_AGO))
    return mine, theirs


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["lead"] for row in response.json()["results"]}


def test_the_clocks_api_needs_authentication(api_client):
    assert api_client.get("/api/v1/sla/clocks/").status_code == 401
    assert api_client.get("/api/v1/sla/breaches/").status_code == 401


def test_everyone_sees_their_own_clocks_managers_their_teams_directors_all(
    api_as, clocks, sdr, other_sdr, sales_manager, director, ae
):
    mine, theirs = clocks
    assert ids(api_as(sdr).get("/api/v1/sla/clocks/")) == {mine.pk}
    assert ids(api_as(other_sdr).get("/api/v1/sla/clocks/")) == {theirs.pk}
    assert ids(api_as(sales_manager).get("/api/v1/sla/clocks/")) == {mine.pk}  # SDR East
    assert ids(api_as(director).get("/api/v1/sla/clocks/")) == {mine.pk, theirs.pk}
    assert ids(api_as(ae).get("/api/v1/sla/clocks/")) == set()


def test_filters_and_breaches(api_as, clocks, director):
    mine, theirs = clocks
    client = api_as(director)
    assert ids(client.get("/api/v1/sla/breaches/")) == {theirs.pk}
    assert ids(client.get("/api/v1/sla/clocks/?breached=true")) == {theirs.pk}
    assert ids(client.get("/api/v1/sla/clocks/?breached=false&term=acceptance")) == {mine.pk}
    before = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert ids(client.get("/api/v1/sla/clocks/", {"due_before": before})) == {theirs.pk}
    rows = client.get(f"/api/v1/sla/clocks/?owner={mine.owner_id}&state=running").json()
    assert {row["term"] for row in rows["results"]} == {
        "acceptance",
        "first_touch",
        "return_window",
    }
    acceptance = next(row for row in rows["results"] if row["term"] == "acceptance")
    assert (acceptance["target_minutes"], acceptance["unit"], acceptance["policy"]) == (
        120,
        "working_minutes",
        "All leads",
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=ticking", "state"),
        ("term=coffee", "term"),
        ("owner=abc", "owner"),
        ("due_before=tomorrow", "due_before"),
        ("team=999999", "team"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api_as, director, query, field):
    response = api_as(director).get(f"/api/v1/sla/clocks/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_leads_api_detail_lists_its_clocks(api_as, clocks, sdr):
    mine, _theirs = clocks
    body = api_as(sdr).get(f"/api/v1/leads/{mine.pk}/").json()
    assert {(c["term"], c["seq"], c["state"]) for c in body["clocks"]} == {
        ("acceptance", 1, "running"),
        ("first_touch", 1, "running"),
        ("return_window", 1, "running"),
    }


def test_the_lead_page_shows_every_clock(client, clocks, sdr):
    mine, _theirs = clocks
    client.force_login(sdr)
    html = client.get(reverse("leads:lead_detail", args=[mine.pk])).content.decode()
    assert "data-lead-clocks" in html
    for term in ("acceptance-1", "first_touch-1", "return_window-1"):
        assert f'data-clock="{term}"' in html


def test_the_team_view_shows_at_risk_and_breached_clocks_of_the_managers_people(
    client, clocks, sales_manager, other_sdr
):
    mine, theirs = clocks
    # the East SDR's lead: past its warning point
    Clock.objects.filter(lead=mine, term="acceptance").update(
        warn_at=timezone.now() - dt.timedelta(minutes=1)
    )
    client.force_login(sales_manager)
    response = client.get(reverse("sla:team_clocks"))
    assert response.status_code == 200
    html = response.content.decode()
    at_risk = Clock.objects.get(lead=mine, term="acceptance")
    assert f'data-clock-at-risk="{at_risk.pk}"' in html
    west = Clock.objects.get(lead=theirs, term="acceptance")  # another manager's SDR
    assert west.breached_at is not None
    assert f'data-clock-breached="{west.pk}"' not in html


@pytest.mark.parametrize("role", ["sdr", "ae", "marketing", "integration"])
def test_the_team_view_is_for_managers_directors_and_admins(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(reverse("sla:team_clocks")).status_code == 403


def test_the_team_view_needs_a_sign_in(client):
    response = client.get(reverse("sla:team_clocks"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_directors_see_every_teams_breaches(client, clocks, director):
    _mine, theirs = clocks
    client.force_login(director)
    html = client.get(reverse("sla:team_clocks")).content.decode()
    breached = Clock.objects.filter(lead=theirs, breached_at__isnull=False).first()
    assert f'data-clock-breached="{breached.pk}"' in html
