"""What the API fuzz (tests/test_api_fuzz.py) found, each kept as a plain test that
failed before its fix (issue 10 §1)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from leads.models import Activity, Lead, ScoringModelVersion, Touch
from tests.factories import LeadFactory

# Python takes UTC offsets up to ±23:59; PostgreSQL only up to ±15:59.
FAR_OFFSET = "2020-01-01T00:00:00-18:18"
IN_UTC = dt.datetime(2020, 1, 1, 18, 18, tzinfo=dt.UTC)


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["created_after", "created_before"])
def test_lead_list_filters_take_an_offset_postgresql_does_not(api_as, integration, name):
    # was: 500, DataError "time zone displacement out of range"
    LeadFactory(received_at=IN_UTC + dt.timedelta(hours=1))

    response = api_as(integration).get("/api/v1/leads/", {name: FAR_OFFSET})

    assert response.status_code == 200
    assert response.json()["count"] == (1 if name == "created_after" else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["created_at_source", "consent_at"])
def test_a_lead_time_with_an_offset_postgresql_does_not_take_is_stored_in_utc(
    api_as, integration, field
):
    # was: 500 (in a batch: every row lost)
    response = _post(
        api_as(integration),
        "/api/v1/leads/",
        {"email": "ann@acme.example", "source_channel": "website", field: FAR_OFFSET},
    )

    assert response.status_code == 201
    assert getattr(Lead.objects.get(), field) == IN_UTC


@pytest.mark.django_db
def test_a_bulk_row_with_a_far_offset_does_not_sink_the_batch(api_as, integration):
    rows = [
        {"email": "ann@acme.example", "source_channel": "website"},
        {"email": "bo@acme.example", "source_channel": "website", "consent_at": FAR_OFFSET},
    ]

    response = _post(api_as(integration), "/api/v1/leads/bulk/", rows)

    assert response.status_code == 200
    assert response.json()["created"] == 2
    assert Lead.objects.get(email="bo@acme.example").consent_at == IN_UTC


@pytest.mark.django_db
def test_an_activity_at_a_far_offset_is_stored_in_utc(api_as, integration):
    lead = LeadFactory()

    response = _post(
        api_as(integration),
        "/api/v1/activities/",
        {"lead": lead.pk, "type": "web_visit", "occurred_at": FAR_OFFSET, "source": "x"},
    )

    assert response.status_code == 201
    assert Activity.objects.get().occurred_at == IN_UTC


@pytest.mark.django_db
def test_a_touch_at_a_far_offset_is_stored_in_utc(api_as, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)

    response = _post(
        api_as(sdr),
        f"/api/v1/leads/{lead.pk}/touches/",
        {"channel": "call", "outcome": "connected", "at": FAR_OFFSET},
    )

    assert response.status_code == 201
    assert Touch.objects.get().at == IN_UTC


@pytest.mark.django_db
def test_a_model_version_whose_author_is_gone_reads_with_created_by_null(api_as, director):
    # was: "null is not of type object" against the schema (created_by not nullable)
    version = ScoringModelVersion.objects.create(number=7, name="orphan", created_by=None)
    client = api_as(director)

    response = client.get(f"/api/v1/scoring/models/{version.pk}/")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert response.status_code == 200
    assert response.json()["created_by"] is None
    created_by = schema["components"]["schemas"]["ScoringModelOut"]["properties"]["created_by"]
    assert created_by.get("nullable") is True or {"type": "null"} in created_by.get("oneOf", [])


def test_a_single_lead_answer_declares_its_warnings_optional():
    # was: a new lead's 201 has no `warnings` (only a kept opt-out gives them), yet the
    # schema listed the field as required — a schema violation for every plain create
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    out = schema["components"]["schemas"]["LeadIntakeOut"]

    assert "warnings" in out["properties"]
    assert "warnings" not in out["required"]
