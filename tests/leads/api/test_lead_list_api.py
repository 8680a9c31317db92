"""GET /api/v1/leads/ (page numbers, ``page_size``) and /api/v1/leads/cursor/."""

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from leads import serializers as s
from leads.models import Lead
from leads.web import api_rows
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:lead_list")
CURSOR = reverse("api:lead_cursor")


def test_the_rows_are_what_the_serializer_answers(director, sdr):
    """values() + orjson answer exactly LeadOut's JSON (times, decimals, names, nulls)."""
    account = AccountFactory(annual_revenue=Decimal("300000.5"), employees=120, industry="IT")
    chinese = UserFactory(username="lin", first_name="晓梅", last_name="林", roles=["sdr"])
    at = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    LeadFactory(
        account=account,
        owner=chinese,
        phone="+8613800000000",
        score_grade="A",
        score_total=81.5,
        mql_at=at,
        consent_at=at.replace(microsecond=123),
        created_at_source=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        do_not_contact=True,
    )
    LeadFactory(owner=sdr, account=None, name="")
    LeadFactory(
        owner=None, account=None, phone=None, external_id="x-1", email="", email_normalised=None
    )
    queryset = Lead.objects.order_by("id")
    expected = json.loads(
        json.dumps(s.LeadOut(queryset.select_related("account", "owner"), many=True).data)
    )
    got = json.loads(api_rows.dumps(api_rows.lead_rows(api_rows.lead_values(queryset))))
    assert got == expected
    assert got[0]["owner"]["name"] == "林晓梅"
    assert got[0]["account"]["annual_revenue"] == "300000.50"


def test_page_size_is_honoured_and_next_keeps_it(api_as, director):
    leads = [LeadFactory() for _ in range(5)]
    client = api_as(director)
    body = client.get(LIST, {"page_size": 2, "stage": "inquiry"}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    query = parse_qs(urlsplit(body["next"]).query)
    assert query["page_size"] == ["2"]
    assert query["page"] == ["2"]
    assert query["stage"] == ["inquiry"]
    seen = [row["id"] for row in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        assert len(body["results"]) <= 2
        seen += [row["id"] for row in body["results"]]
    assert sorted(seen) == sorted(lead.pk for lead in leads)
    assert len(client.get(LIST, {"page_size": 200}).json()["results"]) == 5
    assert len(client.get(LIST).json()["results"]) == 5


@pytest.mark.parametrize("value", ["0", "201", "-1", "abc", "2.5", "", "99999999999999999999"])
@pytest.mark.parametrize("url", [LIST, CURSOR])
def test_a_page_size_outside_1_to_200_is_400_naming_it(api_as, director, value, url):
    response = api_as(director).get(url, {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


@pytest.mark.parametrize("url", [LIST, CURSOR])
def test_queries_do_not_grow_with_the_page_size(api_as, director, url):
    for _ in range(12):
        LeadFactory(account=AccountFactory(), owner=director)
    client = api_as(director)
    counts = []
    for size in (1, 5, 200):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 12)
        counts.append(len(queries))
    # token+user (with the roles on PostgreSQL), (SQLite: the groups), (count), the page
    expected = (3 if url == LIST else 2) + (connection.vendor != "postgresql")
    assert counts == [expected] * 3


def test_the_cursor_pulls_every_lead_once_even_with_inserts(api_as, director):
    first = [LeadFactory() for _ in range(5)]
    client = api_as(director)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(CURSOR, {"page_size": 2}).json()
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert "count" not in body
    assert body["previous"] is None
    seen = [row["id"] for row in body["results"]]
    # leads arriving meanwhile, newer and older by received_at: each comes once, later
    late = [LeadFactory(), LeadFactory(received_at=timezone.now() - dt.timedelta(days=400))]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [row["id"] for row in body["results"]]
    assert seen == sorted(lead.pk for lead in [*first, *late])
    assert seen == sorted(set(seen))


def test_the_cursor_shows_only_visible_leads_and_filters(api_as, sdr, other_sdr):
    mine = LeadFactory(owner=sdr, stage="sal")
    LeadFactory(owner=sdr, stage="sql")
    LeadFactory(owner=other_sdr, stage="sal")
    body = api_as(sdr).get(CURSOR, {"stage": "sal"}).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["next"] is None


@pytest.mark.parametrize("cursor", ["nonsense", "cD1hYmM=", "cD0tMQ==", "bz0xJnA9eA=="])
def test_a_bad_cursor_is_404_not_500(api_as, director, cursor):
    """'p=abc', 'p=-1', 'o=1&p=x': a cursor the client made up."""
    LeadFactory()
    response = api_as(director).get(CURSOR, {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("url", [LIST, CURSOR])
def test_a_bad_or_inactive_token_is_401(api_client, director, api_as, url):
    api_client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert api_client.get(url).status_code == 401
    client = api_as(director)
    director.is_active = False
    director.save()
    assert client.get(url).status_code == 401


def test_roles_read_with_the_token_decide_what_is_seen(api_as, sdr, other_sdr, outsider):
    mine = LeadFactory(owner=sdr)
    LeadFactory(owner=other_sdr)
    assert [r["id"] for r in api_as(sdr).get(LIST).json()["results"]] == [mine.pk]
    assert api_as(outsider).get(LIST).json()["results"] == []


def test_both_lists_are_in_the_schema_with_page_size():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/leads/", "/api/v1/leads/cursor/"):
        get = schema["paths"][path]["get"]
        names = {p["name"] for p in get["parameters"]}
        assert {"page_size", "stage", "q"} <= names
        assert {"200", "400", "404"} <= set(get["responses"])
    cursor_names = {
        p["name"] for p in schema["paths"]["/api/v1/leads/cursor/"]["get"]["parameters"]
    }
    assert "cursor" in cursor_names
