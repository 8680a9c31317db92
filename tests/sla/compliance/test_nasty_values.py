"""The compliance API and pages against nasty values: years 1 and 9999, NUL bytes,
lone surrogates, 10 MB strings, deep JSON — a 4xx naming the field, never a 500,
nothing written."""

from __future__ import annotations

import json

import pytest

from sla.models import ComplianceReport, MonthlyTarget

pytestmark = pytest.mark.django_db

# as they arrive in a query string (a lone surrogate: its UTF-8-style bytes, percent-encoded)
NASTY_MONTHS = [
    "0001-01",
    "9999-12",
    "2026-11%00",
    "%ED%A0%80",
    "2026-1%ED%A0%80",
    "x" * 10_000_000,
]


@pytest.mark.parametrize("month", NASTY_MONTHS, ids=range(len(NASTY_MONTHS)))
def test_the_scorecard_and_the_dashboard_refuse_a_nasty_month(director, api_as, client, month):
    query = {"QUERY_STRING": f"month={month}"}
    answer = api_as(director).get("/api/v1/sla/scorecard/", **query)
    assert answer.status_code == 400
    assert "month" in answer.json()["errors"]
    client.force_login(director)
    page = client.get("/sla/compliance/", **query)
    assert page.status_code == 400


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2026-11%00", "%ED%A0%80"])
def test_a_nasty_month_in_the_path_is_refused(director, api_as, month):
    client = api_as(director)
    assert client.get(f"/api/v1/sla/reports/{month}/").status_code in (400, 404)
    assert client.post(f"/api/v1/sla/reports/{month}/regenerate/").status_code in (400, 404)
    assert not ComplianceReport.objects.exists()


def test_regenerate_ignores_a_deep_or_huge_body(director, api_as):
    body = '{"deep": ' + "[" * 10_000 + "1" + "]" * 10_000 + ', "big": "' + "x" * 10_000_000 + '"}'
    answer = api_as(director).generic(
        "POST", "/api/v1/sla/reports/2099-01/regenerate/", body, content_type="application/json"
    )
    assert answer.status_code == 400
    assert not ComplianceReport.objects.exists()


# each value as the JSON text that arrives (a lone surrogate travels as its escape)
@pytest.mark.parametrize(
    ("field", "token"),
    [("month", '"0001-01"'), ("month", '"9999-13"'), ("value", '"1e309"'),
     ("value", '"' + "9" * 10_000_000 + '"'), ("term", '"icp_share\\u0000"'),
     ("value", '"\\ud800"'), ("month", '"2026-1\\ud800"')],
)  # fmt: skip
def test_a_target_refuses_nasty_values(director, api_as, field, token):
    body = {"term": "icp_share", "month": "2026-11", "value": "80", field: "@"}
    raw = json.dumps(body).replace('"@"', token)
    answer = api_as(director).generic(
        "POST", "/api/v1/sla/targets/", raw, content_type="application/json"
    )
    assert answer.status_code == 400
    assert field in answer.json()["errors"]
    assert not MonthlyTarget.objects.exists()
