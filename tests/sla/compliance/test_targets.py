"""Monthly targets (issue 13 §1, first slice): dated rows whose every change is
recorded, the target in force for a month, the API's permissions and bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leads.audit.models import AuditRecord
from sla import period_terms as P
from sla.compliance import services
from sla.models import MonthlyTarget
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sla/targets/"
NOV, DEC, JAN = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)


def test_the_target_in_force_is_the_latest_row_at_or_before_the_month(director):
    east = TeamFactory(name="East", kind="sdr")
    assert services.target_in_force("mql_volume", NOV) == Decimal(300)  # product.md
    services.set_target(by=director, term="mql_volume", month="2026-12", value="400")
    services.set_target(by=director, term="mql_volume", month="2026-12", value="450")
    services.set_target(by=director, term="mql_volume", month="2027-01", value="120", team=east.pk)

    assert services.target_in_force("mql_volume", NOV) == Decimal(300)
    assert services.target_in_force("mql_volume", DEC) == Decimal(450)
    assert services.target_in_force("mql_volume", JAN) == Decimal(450)
    assert services.target_in_force("mql_volume", JAN, east) == Decimal(120)
    assert services.target_in_force("mql_volume", DEC, east) == Decimal(450)


def test_every_change_records_who_when_before_and_after(director):
    services.set_target(by=director, term="icp_share", month="2026-12", value="80")
    row = services.set_target(by=director, term="icp_share", month="2026-12", value="88.5")

    assert (row.previous, row.value, row.created_by) == (Decimal(80), Decimal("88.5"), director)
    record = AuditRecord.objects.filter(action="sla_target.set").order_by("-id").first()
    assert (record.before, record.after, record.actor) == (
        {"value": "80.00"},
        {"value": "88.5"},
        director,
    )
    assert MonthlyTarget.objects.count() == 2  # nothing edited in place


def test_directors_and_admins_set_targets_others_may_not(api_as, director, admin_user, sdr):
    for user in (director, admin_user):
        response = api_as(user).post(
            URL, {"term": "mql_volume", "month": "2026-12", "value": 5}, format="json"
        )
        assert response.status_code == 201, response.content
    for role in ("sdr", "ae", "sales_manager", "marketing", "integration"):
        user = UserFactory(roles=[role])
        response = api_as(user).post(
            URL, {"term": "mql_volume", "month": "2026-12", "value": 9}, format="json"
        )
        assert response.status_code == 403
        assert api_as(user).get(URL).status_code == 200
    assert MonthlyTarget.objects.count() == 2


def test_the_targets_need_authentication(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"term": "mql_volume", "month": "2026-13", "value": "5"}, "month"),
        ({"term": "mql_volume", "month": "Dec 2026", "value": "5"}, "month"),
        ({"term": "mql_volume", "month": "2026-12", "value": "-1"}, "value"),
        ({"term": "icp_share", "month": "2026-12", "value": "100.5"}, "value"),
        ({"term": "mql_volume", "month": "2026-12", "value": "2.5"}, "value"),
        ({"term": "mql_volume", "month": "2026-12", "value": "lots"}, "value"),
        ({"term": "coffee", "month": "2026-12", "value": "5"}, "term"),
        ({"term": "mql_volume", "month": "2026-12", "value": "5", "team": 999999}, "team"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api_as, director, body, field):
    response = api_as(director).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not MonthlyTarget.objects.exists()


def test_the_list_says_each_rows_term_kind_and_side(api_as, director):
    api_as(director).post(
        URL, {"term": "delivery_hours", "month": "2026-12", "value": "2"}, format="json"
    )
    (row,) = api_as(director).get(URL).json()["results"]
    assert (row["term"], row["kind"], row["side"], row["month"]) == (
        "delivery_hours",
        "hours",
        "marketing",
        "2026-12",
    )


@pytest.mark.parametrize(
    ("text", "month"),
    [("2026-11", NOV), (" 2027-01 ", JAN), ("2026-00", None), ("26-11", None), (None, None)],
)
def test_parse_month(text, month):
    assert P.parse_month(text) == month
