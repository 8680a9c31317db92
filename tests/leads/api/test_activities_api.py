"""POST /api/v1/activities/."""

import pytest
from django.urls import reverse

from leads.models import Activity
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

URL = reverse("api:activities")


def activity(**extra):
    return {"type": "webinar", "occurred_at": "2025-03-01T09:30:00+08:00", **extra}


@pytest.fixture
def lead(db):
    return LeadFactory(
        email="ada@acme.com",
        email_normalised="ada@acme.com",
        external_id="c-1",
        source_system="crm",
    )


def test_one_activity_by_lead_id_is_201(api_as, integration, lead):
    response = api_as(integration).post(
        URL, activity(lead=lead.pk, properties={"title": "AI"}), format="json"
    )
    assert response.status_code == 201
    stored = Activity.objects.get()
    assert (stored.lead, stored.type, stored.source) == (lead, "webinar", "hubspot-sync")
    assert stored.properties == {"title": "AI"}
    assert response.json()["id"] == stored.pk


@pytest.mark.parametrize(
    "naming",
    [
        {"lead_email": "ADA@acme.com"},
        {"lead_external_id": "c-1", "lead_source_system": "crm"},
    ],
)
def test_the_lead_can_be_named_by_email_or_external_id(api_as, integration, lead, naming):
    response = api_as(integration).post(URL, activity(**naming), format="json")
    assert response.status_code == 201
    assert Activity.objects.get().lead == lead


@pytest.mark.parametrize(
    ("naming", "field"),
    [
        ({"lead": 999999}, "lead"),
        ({"lead_email": "nobody@acme.com"}, "lead_email"),
        ({"lead_external_id": "c-1"}, "lead_external_id"),  # source system defaults to the user
        ({}, "lead"),
    ],
)
def test_an_unknown_lead_is_400_naming_the_field(api_as, integration, lead, naming, field):
    response = api_as(integration).post(URL, activity(**naming), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"occurred_at": "2025-03-01T09:30:00+08:00"}, "type"),
        ({"type": "telepathy", "occurred_at": "2025-03-01T09:30:00+08:00"}, "type"),
        ({"type": "webinar", "occurred_at": "2025-03-01T09:30:00"}, "occurred_at"),
        ({"type": "webinar"}, "occurred_at"),
        (activity(properties=[1, 2]), "properties"),
        (activity(external_id="x" * 129), "external_id"),
        (activity(mood="happy"), "mood"),
    ],
)
def test_bad_activity_input_is_400_naming_the_field(api_as, integration, lead, body, field):
    response = api_as(integration).post(URL, {**body, "lead": lead.pk}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_list_saves_the_good_items_and_is_idempotent_by_external_id(api_as, integration, lead):
    items = [
        activity(lead=lead.pk, external_id="e-1"),
        activity(lead_email="ghost@acme.com", external_id="e-2"),
        activity(lead=lead.pk, external_id="e-1"),
        activity(lead=lead.pk, type="demo_request"),
    ]
    client = api_as(integration)
    first = client.post(URL, items, format="json").json()
    assert (first["created"], first["existing"], first["rejected"]) == (2, 1, 1)
    assert first["errors"] == [{"index": 1, "errors": {"lead_email": ["No lead with this email."]}}]
    second = client.post(URL, items[:1], format="json").json()
    assert (second["created"], second["existing"]) == (0, 1)
    assert second["results"][0]["id"] == first["results"][0]["id"]
    assert Activity.objects.count() == 2


def test_a_repeated_single_activity_is_200_with_the_stored_one(api_as, integration, lead):
    client = api_as(integration)
    first = client.post(URL, activity(lead=lead.pk, external_id="e-1"), format="json")
    again = client.post(URL, activity(lead=lead.pk, external_id="e-1"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_too_many_activities_is_413(api_as, integration, settings):
    settings.INTAKE_MAX_BATCH = 3
    response = api_as(integration).post(URL, [activity(lead=1)] * 4, format="json")
    assert response.status_code == 413
    assert Activity.objects.count() == 0
