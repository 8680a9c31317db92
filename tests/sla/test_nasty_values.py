"""The SLA's write endpoints and filters against the nasty values: NUL bytes, lone
surrogates, huge strings, deep JSON, extreme datetimes — a 4xx naming the field,
never a 500, nothing written."""

from __future__ import annotations

import json

import pytest

from sla.models import BusinessCalendar, MonthlyTarget, TermSet

pytestmark = pytest.mark.django_db

NASTY = ["a\x00b", "\ud800", "x" * 10_000_000]


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("value", NASTY, ids=["nul", "surrogate", "10MB"])
def test_calendar_name(api_as, director, value):
    before = BusinessCalendar.objects.count()
    response = _post(api_as(director), "/api/v1/sla/calendars/", {
        "name": value, "time_zone": "Asia/Shanghai", "hours": {"0": [["09:00", "18:00"]]},
    })  # fmt: skip
    assert 400 <= response.status_code < 500
    if response.status_code == 400:
        assert "name" in json.dumps(response.json())
    assert BusinessCalendar.objects.count() == before


@pytest.mark.parametrize("value", NASTY, ids=["nul", "surrogate", "10MB"])
def test_target_value_and_month(api_as, director, value):
    client = api_as(director)
    for body, field in (
        ({"term": "mql_volume", "month": "2026-12", "value": value}, "value"),
        ({"term": "mql_volume", "month": value, "value": "5"}, "month"),
    ):
        response = _post(client, "/api/v1/sla/targets/", body)
        assert 400 <= response.status_code < 500
        if response.status_code == 400:
            assert field in response.json()["errors"]
    assert not MonthlyTarget.objects.exists()


def test_terms_draft_with_deep_json_and_nul_name(api_as, director):
    client = api_as(director)
    before = TermSet.objects.count()
    deep: dict = {}
    node = deep
    for _ in range(200):
        node["x"] = {}
        node = node["x"]
    for body in ({"name": "a\x00b"}, {"definition": deep}):
        response = _post(client, "/api/v1/sla/terms/", body)
        assert 400 <= response.status_code < 500, response.content[:300]
    assert TermSet.objects.count() == before


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "a\x00b"]
)
def test_clock_filter_extreme_datetimes(api_as, director, value):
    response = api_as(director).get("/api/v1/sla/clocks/", {"due_before": value})
    assert response.status_code == 400
    assert "due_before" in response.json()["errors"]
