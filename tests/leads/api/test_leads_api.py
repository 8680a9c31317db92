"""POST/GET /api/v1/leads/, /api/v1/leads/bulk/, /api/v1/leads/{id}/."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from leads.models import Lead, LeadEvent
from tests.factories import ActivityFactory, LeadFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:lead_list")
BULK = reverse("api:lead_bulk")


def lead_row(n=1, **extra):
    return {"email": f"lead{n}@acme.com", "source_channel": "website", **extra}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("post", LIST),
        ("post", BULK),
        ("get", "/api/v1/leads/1/"),
        ("post", "/api/v1/activities/"),
        ("get", "/api/v1/jobs/1/"),
    ],
)
def test_every_endpoint_needs_credentials(api_client, method, url):
    response = getattr(api_client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("url", [LIST, BULK, "/api/v1/activities/"])
def test_a_role_that_may_not_push_gets_403_and_nothing_changes(api_as, sdr, url):
    body = lead_row() if url == LIST else [lead_row()]
    response = api_as(sdr).post(url, body, format="json")
    assert response.status_code == 403
    assert "may push" in response.json()["detail"]
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("role_user", ["marketer", "admin_user", "integration"])
def test_intake_roles_may_push(api_as, request, role_user):
    response = api_as(request.getfixturevalue(role_user)).post(LIST, lead_row(), format="json")
    assert response.status_code == 201


def test_post_one_lead_creates_then_updates(api_as, integration):
    client = api_as(integration)
    created = client.post(LIST, lead_row(name="Ada", external_id="h-1"), format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["email"] == "lead1@acme.com"
    assert (body["source_system"], body["external_id"]) == ("hubspot-sync", "h-1")
    assert body["stage"] == "inquiry"

    updated = client.post(
        LIST, {"external_id": "h-1", "source_channel": "website", "title": "CTO"}, format="json"
    )
    assert updated.status_code == 200
    assert updated.json()["id"] == body["id"]
    lead = Lead.objects.get()
    assert (lead.name, lead.title) == ("Ada", "CTO")
    event = LeadEvent.objects.get(kind="updated")
    assert event.actor_user == integration


def test_post_one_lead_with_a_naive_datetime_is_400_naming_the_field(api_as, integration):
    response = api_as(integration).post(
        LIST, lead_row(created_at_source="2025-03-01T09:30:00"), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert "time zone" in body["errors"]["created_at_source"][0]
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@acme.com"}, "source_channel"),
        ({"email": "a@acme.com", "source_channel": 3}, "source_channel"),
        ({"email": "not-mail", "source_channel": "website"}, "email"),
        ({"email": "a@acme.com", "source_channel": "website", "title": "x" * 201}, "title"),
        ({"email": "a@acme.com", "source_channel": "website", "seniority": "king"}, "seniority"),
        ({"email": "a@acme.com", "source_channel": "website", "employees": "lots"}, "employees"),
        ({"email": "a@acme.com", "source_channel": "website", "stage": "won"}, "stage"),
        ({"email": "a@acme.com", "source_channel": "website", "owner": 3}, "owner"),
        ({"email": "a@acme.com", "source_channel": "website", "shoe_size": 9}, "shoe_size"),
        ([lead_row()], "non_field_errors"),
    ],
)
def test_post_one_lead_bad_input_is_400_naming_the_field(api_as, marketer, body, field):
    response = api_as(marketer).post(LIST, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("url", [LIST, BULK, "/api/v1/activities/"])
def test_malformed_json_is_400(api_as, integration, url):
    response = api_as(integration).post(
        url, '[{"email": "a@acme.com",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_bulk_saves_valid_rows_and_reports_the_rest(api_as, integration):
    rows = [
        lead_row(1),
        lead_row(2, created_at_source="2025-01-01T00:00:00"),
        lead_row(3, phone="13800138000"),
        "junk",
        lead_row(1, title="CEO"),
    ]
    response = api_as(integration).post(BULK, rows, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["rejected"]) == (2, 1, 2)
    assert [(r["index"], r["status"]) for r in body["results"]] == [
        (0, "created"),
        (2, "created"),
        (4, "updated"),
    ]
    assert body["results"][0]["id"] == body["results"][2]["id"]
    assert [e["index"] for e in body["errors"]] == [1, 3]
    assert "created_at_source" in body["errors"][0]["errors"]
    assert Lead.objects.count() == 2
    assert Lead.objects.get(email_normalised="lead1@acme.com").title == "CEO"


def test_bulk_twice_is_idempotent(api_as, integration):
    rows = [lead_row(n, phone=f"1380013800{n}") for n in range(5)]
    client = api_as(integration)
    first = client.post(BULK, rows, format="json").json()
    second = client.post(BULK, rows, format="json").json()
    assert (first["created"], second["created"], second["updated"]) == (5, 0, 5)
    assert [r["id"] for r in first["results"]] == [r["id"] for r in second["results"]]
    assert Lead.objects.count() == 5


def test_bulk_rejects_a_row_pointing_at_two_leads(api_as, integration):
    one = LeadFactory(email="one@acme.com", email_normalised="one@acme.com")
    LeadFactory(external_id="x-2", source_system="hubspot-sync")
    body = (
        api_as(integration)
        .post(
            BULK,
            [{"external_id": "x-2", "email": "one@acme.com", "source_channel": "website"}],
            format="json",
        )
        .json()
    )
    assert body["rejected"] == 1
    assert f"#{one.pk}" in body["errors"][0]["errors"]["email"][0]


def test_bulk_over_the_limit_is_413_and_saves_nothing(api_as, integration, settings):
    rows = [lead_row(n) for n in range(settings.INTAKE_MAX_BATCH + 1)]
    response = api_as(integration).post(BULK, rows, format="json")
    assert response.status_code == 413
    assert "at most 5000" in response.json()["detail"]
    assert Lead.objects.count() == 0


def test_bulk_needs_a_list(api_as, integration):
    response = api_as(integration).post(BULK, lead_row(), format="json")
    assert response.status_code == 400
    assert "array" in response.json()["errors"]["non_field_errors"][0]


def test_bulk_with_wrong_types_reports_each_field(api_as, integration):
    row = {"email": 12, "phone": ["x"], "source_channel": None, "do_not_contact": "perhaps"}
    body = api_as(integration).post(BULK, [row], format="json").json()
    assert set(body["errors"][0]["errors"]) == {
        "email",
        "phone",
        "source_channel",
        "do_not_contact",
    }


# --- reads -------------------------------------------------------------------------


def test_list_shows_only_visible_leads(api_as, sdr, other_sdr):
    mine = LeadFactory(owner=sdr)
    LeadFactory(owner=other_sdr)
    body = api_as(sdr).get(LIST).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["count"] == 1


def test_list_filters(api_as, director, sdr):
    wanted = LeadFactory(
        source_channel="event", campaign="Expo", owner=sdr, stage="mql", name="Zhang Wei"
    )
    LeadFactory(source_channel="event", campaign="Other", stage="mql")
    LeadFactory(source_channel="website", campaign="Expo")
    client = api_as(director)
    query = {"source": "event", "campaign": "Expo", "stage": "mql", "owner": sdr.pk, "q": "zhang"}
    body = client.get(LIST, query).json()
    assert [row["id"] for row in body["results"]] == [wanted.pk]
    after = client.get(
        LIST, {"created_after": "2000-01-01T00:00:00Z", "created_before": "2001-01-01T00:00:00Z"}
    )
    assert after.json()["count"] == 0


def test_list_bad_filter_value_is_400(api_as, director):
    response = api_as(director).get(LIST, {"stage": "heaven"})
    assert response.status_code == 400
    assert "stage" in response.json()["errors"]


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count_does_not_grow_with_rows(
    api_as, director, sdr, django_assert_num_queries, rows
):
    for _ in range(rows):
        LeadFactory(owner=sdr, account=None)
    client = api_as(director)
    # token+user with the roles (SQLite: then the groups), count, page
    with django_assert_num_queries(3 + (connection.vendor != "postgresql")):
        response = client.get(LIST)
    assert len(response.json()["results"]) == rows


def test_detail_has_the_timeline(api_as, marketer, integration):
    client = api_as(integration)
    lead_id = client.post(LIST, lead_row(), format="json").json()["id"]
    ActivityFactory(lead_id=lead_id, type="webinar")
    body = api_as(marketer).get(f"/api/v1/leads/{lead_id}/").json()
    assert [entry["kind"] for entry in body["timeline"]] == ["event", "activity"]
    assert body["timeline"][0]["event"]["kind"] == "created"
    assert body["timeline"][0]["event"]["actor"] == integration.get_full_name()
    assert body["timeline"][1]["activity"]["type"] == "webinar"
    assert body["timeline"][1]["words"]["title"] == "Webinar attended"


def test_the_timeline_words_follow_the_request_language(api_as, marketer, sdr, sdr_team_east):
    from leads.queue import work

    lead = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    work.touch_log(lead=lead, by=sdr, channel="call", outcome="no_answer")
    client = api_as(marketer)

    english = client.get(f"/api/v1/leads/{lead.pk}/").json()["timeline"]
    chinese = client.get(f"/api/v1/leads/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    touch = [e for e in english if e.get("event", {}).get("kind") == "touch"]
    assert touch[0]["words"]["title"] == "Call: No answer"
    zh_touch = [e for e in chinese["timeline"] if e.get("event", {}).get("kind") == "touch"]
    assert zh_touch[0]["words"]["title"] == "电话：无人接听"


def test_detail_outside_visibility_is_404(api_as, sdr, other_sdr):
    theirs = LeadFactory(owner=other_sdr)
    assert api_as(sdr).get(f"/api/v1/leads/{theirs.pk}/").status_code == 404
    assert api_as(other_sdr).get(f"/api/v1/leads/{theirs.pk}/").status_code == 200


def test_a_raw_json_body_works_like_the_test_client(api_as, integration):
    response = api_as(integration).post(
        BULK, json.dumps([lead_row()]), content_type="application/json"
    )
    assert response.json()["created"] == 1
