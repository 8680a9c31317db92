"""The calendars' API: everyone reads, admins and directors write; 400 naming the
field, 403 for other roles, nothing written either way."""

from __future__ import annotations

import pytest

from leads.audit.models import AuditRecord
from sla.calendars import services
from sla.models import BusinessCalendar, CalendarDate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/sla/calendars/"
SPLIT = [["09:00", "12:00"], ["13:30", "18:00"]]
ALL_ROLES = ["admin", "director", "sdr", "ae", "sales_manager", "marketing", "integration"]
NEW = {
    "name": "Berlin",
    "time_zone": "Europe/Berlin",
    "countries": ["DE"],
    "hours": {str(d): [["08:00", "16:30"]] for d in range(5)},
    "dates": [{"date": "2026-12-24", "kind": "closed", "note": "Heiligabend"}],
}


@pytest.fixture
def calendar(db):
    return services.default_calendar()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_everyone_reads_calendars(api_as, calendar, role):
    client = api_as(UserFactory(roles=[role]))
    listed = client.get(URL)
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()] == ["Default"]
    one = client.get(f"{URL}{calendar.pk}/").json()
    assert one["hours"]["0"] == SPLIT
    assert one["countries"] == ["CN"]
    assert one["revision"] == 1
    assert one["is_default"]
    assert one["dates"] == []
    assert client.get(f"{URL}{10**9}/").status_code == 404


@pytest.mark.parametrize("role", ["sdr", "ae", "sales_manager", "marketing", "integration"])
def test_other_roles_may_not_write(api_as, calendar, role):
    client = api_as(UserFactory(roles=[role]))
    assert client.post(URL, NEW, format="json").status_code == 403
    response = client.patch(f"{URL}{calendar.pk}/", {"name": "Mine"}, format="json")
    assert response.status_code == 403
    assert "admins and directors" in response.json()["detail"]
    calendar.refresh_from_db()
    assert calendar.name == "Default"
    assert BusinessCalendar.objects.count() == 1
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize("role", ["admin", "director"])
def test_admins_and_directors_create_and_change_calendars(api_as, calendar, role):
    client = api_as(UserFactory(roles=[role]))
    created = client.post(URL, NEW, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["revision"] == 1
    assert body["hours"]["0"] == [["08:00", "16:30"]]
    assert body["hours"]["6"] == []
    assert not body["is_default"]
    assert body["dates"][0]["date"] == "2026-12-24"
    assert body["dates"][0]["kind"] == "closed"
    changed = client.patch(
        f"{URL}{body['id']}/",
        {"makeup_weekday": 5, "dates": [{"date": "2027-02-20", "kind": "open", "works_as": 0}]},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["revision"] == 2
    assert changed.json()["makeup_weekday"] == 5
    assert [d["date"] for d in changed.json()["dates"]] == ["2027-02-20"]
    assert CalendarDate.objects.filter(calendar_id=body["id"]).count() == 1
    assert list(AuditRecord.objects.order_by("id").values_list("action", flat=True)) == [
        "calendar.create",
        "calendar.update",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hours": {"0": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "hours.0"),
        ({"hours": {"3": [["18:00", "09:00"]]}}, "hours.3"),
        ({"hours": {"0": [["9am", "5pm"]]}}, "hours.0"),
        ({"hours": {"8": SPLIT}}, "hours.8"),
        ({"hours": {}}, "hours"),
        ({"hours": "9-5"}, "hours"),
        ({"time_zone": "Atlantis/Capital"}, "time_zone"),
        ({"countries": ["QQ"]}, "countries"),
        ({"makeup_weekday": 9}, "makeup_weekday"),
        ({"is_default": False}, "is_default"),
        ({"name": ""}, "name"),
        ({"dates": [{"date": "2027-13-01", "kind": "open"}]}, "dates"),
        ({"dates": [{"date": "2027-02-20", "kind": "closed", "works_as": 2}]}, "dates[0].works_as"),
        ({"dates": [{"date": "1900-01-01", "kind": "closed"}]}, "dates[0].date"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_as, calendar, body, field):
    client = api_as(UserFactory(roles=["admin"]))
    response = client.patch(f"{URL}{calendar.pk}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    calendar.refresh_from_db()
    assert calendar.revision == 1
    assert not AuditRecord.objects.exists()
    assert not CalendarDate.objects.exists()


def test_creating_needs_the_required_fields(api_as, calendar):
    client = api_as(UserFactory(roles=["director"]))
    response = client.post(URL, {"name": "Half"}, format="json")
    assert response.status_code == 400
    assert {"time_zone", "hours"} <= set(response.json()["errors"])
    assert not BusinessCalendar.objects.filter(name="Half").exists()
    taken = client.post(URL, {**NEW, "name": "default"}, format="json")
    assert taken.status_code == 400
    assert "name" in taken.json()["errors"]


def test_the_missing_make_up_days_are_listed(api_as, calendar, settings):
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC), tick=False):
        body = api_as(UserFactory(roles=["sdr"])).get(f"{URL}{calendar.pk}/").json()
    assert body["missing_makeup_days"] == [{"country": "CN", "year": 2027}]


def test_the_schema_declares_the_calendar_operations(api_as):
    schema = api_as(UserFactory(roles=["admin"])).get("/api/schema/?format=json").json()
    assert set(schema["paths"][URL]) >= {"get", "post"}
    detail = schema["paths"][URL + "{id}/"]
    assert set(detail) >= {"get", "patch"}
    assert {"200", "400", "403", "404"} <= set(detail["patch"]["responses"])
