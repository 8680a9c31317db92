"""The routing distribution report (page and API): who got how many leads, and why."""

import pytest
from django.urls import reverse

from leads.queue.routing import lead_assign
from tests.factories import LeadFactory


@pytest.fixture
def assigned(sdr, sales_manager, sdr_team_east):
    leads = [LeadFactory(stage="mql", team=sdr_team_east) for _ in range(3)]
    for lead in leads:
        lead_assign(lead=lead, to_user=sdr, by=sales_manager)
    return leads


def test_api_counts_per_person_and_reason(api_as, sales_manager, sdr, assigned):
    body = api_as(sales_manager).get("/api/v1/routing/distribution/").json()
    [row] = [r for r in body["rows"] if r["user_id"] == sdr.pk]
    assert row["total"] == 3
    assert row["by_reason"] == {"manual": 3}


@pytest.mark.parametrize("role", ["sdr", "marketer", "ae"])
def test_others_may_not_read_it(request, api_as, client, role):
    user = request.getfixturevalue(role)
    assert api_as(user).get("/api/v1/routing/distribution/").status_code == 403
    client.force_login(user)
    assert client.get(reverse("leads:distribution")).status_code == 403


def test_bad_dates_are_400_naming_the_field(api_as, director):
    answer = api_as(director).get("/api/v1/routing/distribution/?start=yesterday")
    assert answer.status_code == 400
    assert "start" in answer.json()["errors"]
    reversed_period = api_as(director).get(
        "/api/v1/routing/distribution/?start=2026-11-10&end=2026-11-01"
    )
    assert "end" in reversed_period.json()["errors"]


def test_page_shows_the_reason_in_words(client, sales_manager, sdr, assigned):
    client.force_login(sales_manager)
    page = client.get(reverse("leads:distribution")).content.decode()
    assert "assigned by hand: 3" in page
    assert "data-total>3<" in page


@pytest.mark.parametrize(
    ("role", "back"),
    [("sales_manager", "leads:team"), ("director", "home"), ("admin_user", "home")],
)
def test_the_navigation_leads_to_the_report_and_it_leads_back(request, client, role, back):
    client.force_login(request.getfixturevalue(role))

    home = client.get(reverse("home"), follow=True).content.decode()
    page = client.get(reverse("leads:distribution"))

    url = reverse("leads:distribution")
    assert f'<a href="{url}" data-nav="leads:distribution"' in home
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-nav="leads:distribution" class="active"' in html
    assert f'<p class="breadcrumb" data-back><a href="{reverse(back)}">' in html


@pytest.mark.parametrize("role", ["sdr", "marketer", "ae"])
def test_the_navigation_offers_it_to_no_one_else(request, client, role):
    client.force_login(request.getfixturevalue(role))

    assert 'data-nav="leads:distribution"' not in client.get(reverse("home")).content.decode()


def test_a_bad_date_on_the_page_is_400_naming_the_field(client, director):
    client.force_login(director)

    page = client.get(reverse("leads:distribution"), {"start": "yesterday"})

    assert page.status_code == 400
    assert 'data-error-field="start">From: Use a date such as 2026-11-01.' in (
        page.content.decode()
    )
