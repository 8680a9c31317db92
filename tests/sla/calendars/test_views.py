"""The calendar pages: who may open them, the form's errors on their fields, saving,
custom dates, the warning and the preview."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from leads.audit.models import AuditRecord
from sla.calendars import services
from sla.models import BusinessCalendar, CalendarDate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
EDITORS = ["admin", "director"]
OTHERS = ["sdr", "ae", "sales_manager", "marketing", "integration"]


def form_data(calendar=None, **changes):
    data = {
        "name": "Shanghai office",
        "time_zone": "Asia/Shanghai",
        "countries": "CN",
        "makeup_weekday": "0",
        **{f"hours_{d}": "09:00-12:00, 13:30-18:00" for d in range(5)},
        "hours_5": "",
        "hours_6": "",
    }
    if calendar is not None:
        data["name"] = calendar.name
        if calendar.is_default:
            data["is_default"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def calendar(db):
    return services.default_calendar()


def _pages(calendar):
    date = CalendarDate.objects.create(calendar=calendar, date=dt.date(2027, 2, 20), kind="open")
    return [
        ("get", reverse("sla:calendars")),
        ("get", reverse("sla:calendar_new")),
        ("get", reverse("sla:calendar", args=[calendar.pk])),
        ("post", reverse("sla:calendar_new")),
        ("post", reverse("sla:calendar", args=[calendar.pk])),
        ("post", reverse("sla:calendar_date_add", args=[calendar.pk])),
        ("post", reverse("sla:calendar_date_remove", args=[calendar.pk, date.pk])),
    ]


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_get_403_and_change_nothing(client, calendar, role):
    client.force_login(UserFactory(roles=[role]))
    for method, url in _pages(calendar):
        response = getattr(client, method)(url, form_data(calendar, name="Changed"))
        assert response.status_code == 403, (method, url)
    calendar.refresh_from_db()
    assert calendar.name == "Default"
    assert calendar.revision == 1
    assert CalendarDate.objects.count() == 1
    assert not AuditRecord.objects.exists()


def test_anonymous_people_are_sent_to_sign_in(client, calendar):
    for method, url in _pages(calendar):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", EDITORS)
def test_admins_and_directors_open_every_page(client, calendar, role):
    client.force_login(UserFactory(roles=[role]))
    page = client.get(reverse("sla:calendars"))
    assert page.status_code == 200
    assert b'data-calendar="Default"' in page.content
    assert client.get(reverse("sla:calendar_new")).status_code == 200
    assert client.get(reverse("sla:calendar", args=[calendar.pk])).status_code == 200
    assert client.get(reverse("sla:calendar", args=[10**9])).status_code == 404


@pytest.mark.parametrize("role", EDITORS)
def test_the_navigation_offers_calendars_to_admins_and_directors(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert b'data-nav="sla:calendars"' in client.get(reverse("sla:calendars")).content


def test_the_navigation_hides_calendars_from_others(client):
    client.force_login(UserFactory(roles=["sdr"]))
    assert b'data-nav="sla:calendars"' not in client.get("/", follow=True).content


def test_an_admin_creates_a_calendar(client):
    admin = UserFactory(roles=["admin"])
    client.force_login(admin)
    response = client.post(
        reverse("sla:calendar_new"),
        form_data(name="Berlin", time_zone="Europe/Berlin", countries="de", hours_0="8:00-16:00"),
    )
    calendar = BusinessCalendar.objects.get(name="Berlin")
    assert response.status_code == 302
    assert response["Location"] == reverse("sla:calendar", args=[calendar.pk])
    assert calendar.countries == ["DE"]
    assert calendar.hours["0"] == [["08:00", "16:00"]]
    assert calendar.revision == 1
    assert not calendar.is_default
    assert AuditRecord.objects.get().action == "calendar.create"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"hours_2": "09:00-12:00, 11:00-13:00"},
            "hours_2",
            "Wednesday: 09:00–12:00 and 11:00–13:00 overlap",
        ),
        ({"hours_4": "18:00-09:00"}, "hours_4", "Friday: 18:00–09:00 ends before it starts"),
        ({"hours_1": "nine to five"}, "hours_1", "is not a time span"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a known time zone"),
        ({"countries": "CN, ZZ"}, "countries", "No public holidays known for ZZ"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_form_errors_name_the_field_and_nothing_is_saved(client, calendar, changes, field, words):
    client.force_login(UserFactory(roles=["admin"]))
    response = client.post(
        reverse("sla:calendar", args=[calendar.pk]), form_data(calendar, **changes)
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert words in " ".join(form.errors[field]), form.errors
    assert f'data-field="{field}"'.encode() in response.content
    calendar.refresh_from_db()
    assert calendar.revision == 1
    assert not AuditRecord.objects.exists()


def test_no_working_time_at_all_is_refused(client, calendar):
    client.force_login(UserFactory(roles=["director"]))
    empty = {f"hours_{d}": "" for d in range(7)}
    response = client.post(
        reverse("sla:calendar", args=[calendar.pk]), form_data(calendar, **empty)
    )
    assert response.status_code == 400
    assert "needs some working time" in " ".join(response.context["form"].non_field_errors())
    calendar.refresh_from_db()
    assert calendar.hours["0"]


def test_saving_bumps_the_revision_and_says_so(client, calendar):
    client.force_login(UserFactory(roles=["admin"]))
    url = reverse("sla:calendar", args=[calendar.pk])
    response = client.post(url, form_data(calendar, hours_5="10:00-14:00"), follow=True)
    assert response.status_code == 200
    calendar.refresh_from_db()
    assert calendar.revision == 2
    assert calendar.hours["5"] == [["10:00", "14:00"]]
    assert "leads were recomputed" in response.content.decode()
    response = client.post(url, form_data(calendar, hours_5="10:00-14:00"), follow=True)
    calendar.refresh_from_db()
    assert calendar.revision == 2
    assert "Nothing changed." in response.content.decode()


def test_custom_dates_are_added_and_removed(client, calendar):
    client.force_login(UserFactory(roles=["admin"]))
    add = reverse("sla:calendar_date_add", args=[calendar.pk])
    response = client.post(
        add,
        {"date": "2027-02-20", "kind": "open", "works_as": "4", "note": "Spring Festival make-up"},
    )
    assert response.status_code == 302
    row = CalendarDate.objects.get(calendar=calendar)
    assert (row.date, row.kind, row.works_as) == (dt.date(2027, 2, 20), "open", 4)
    # twice: refused on the date field
    response = client.post(add, {"date": "2027-02-20", "kind": "closed"})
    assert response.status_code == 400
    assert "already a custom date" in " ".join(response.context["date_form"].errors["date"])
    response = client.post(add, {"date": "not a date", "kind": "closed"})
    assert response.status_code == 400
    assert "date" in response.context["date_form"].errors
    response = client.post(add, {"date": "2027-03-01", "kind": "shut"})
    assert response.status_code == 400
    assert "kind" in response.context["date_form"].errors
    remove = reverse("sla:calendar_date_remove", args=[calendar.pk, row.pk])
    assert client.post(remove).status_code == 302
    assert not CalendarDate.objects.exists()
    assert client.post(remove).status_code == 404
    calendar.refresh_from_db()
    assert calendar.revision == 3


@time_machine.travel(dt.datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI), tick=False)
def test_the_page_warns_of_missing_make_up_days_until_one_is_entered(client, calendar):
    client.force_login(UserFactory(roles=["admin"]))
    url = reverse("sla:calendar", args=[calendar.pk])
    page = client.get(url).content.decode()
    assert 'data-missing-year="2027"' in page
    assert "CN 2027" in page
    assert 'data-missing-year="2026"' not in page
    services.add_date(
        by=UserFactory(roles=["admin"]), calendar=calendar, date=dt.date(2027, 2, 20), kind="open"
    )
    assert "data-missing-year" not in client.get(url).content.decode()


@time_machine.travel(dt.datetime(2025, 1, 24, 17, 0, tzinfo=SHANGHAI), tick=False)
def test_the_preview_for_now_and_for_a_typed_moment(client, calendar):
    client.force_login(UserFactory(roles=["admin"]))
    url = reverse("sla:calendar", args=[calendar.pk])
    page = client.get(url)
    rows = {row.term: row for row in page.context["preview"]}
    # Friday 17:00 before the Spring Festival: Sunday the 26th is a make-up working day
    assert rows["acceptance"].due == dt.datetime(2025, 1, 26, 10, tzinfo=SHANGHAI)
    assert rows["first_touch"].due == dt.datetime(2025, 1, 26, 12, tzinfo=SHANGHAI)
    html = page.content.decode()
    assert "Sunday 2025-01-26 12:00" in html
    assert "Sunday 2025-01-26 10:00" in html
    # a typed moment, read in the calendar's zone: Monday 2025-01-27 11:00
    page = client.get(url, {"at": "2025-01-27T11:00"})
    rows = {row.term: row for row in page.context["preview"]}
    assert rows["acceptance"].due == dt.datetime(2025, 1, 27, 14, 30, tzinfo=SHANGHAI)
    assert "Monday 2025-01-27 11:00" in page.content.decode()
    bad = client.get(url, {"at": "next tuesday"})
    assert bad.status_code == 400
    assert "at" in bad.context["preview_form"].errors


def test_the_history_shows_the_calendar_s_changes_in_words(client, calendar):
    admin = UserFactory(roles=["admin"])
    client.force_login(admin)
    services.save_calendar(by=admin, calendar=calendar, makeup_weekday=5)
    page = client.get(reverse("sla:calendar", args=[calendar.pk])).content.decode()
    assert "Business calendar changed" in page
    assert "Saturday" in page
