"""sla.calendars.services: the default calendar, which calendar a clock uses, the
checks, revisions and the audit trail, the cache, the missing make-up days, the
preview (on the real database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leads.audit.models import AuditRecord
from sla import business_time, terms
from sla.calendars import services
from sla.models import BusinessCalendar, CalendarDate, PersonCalendar, TeamSla
from sla.policies import services as terms_versions
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
SPLIT = [["09:00", "12:00"], ["13:30", "18:00"]]
WEEKDAYS = {str(day): SPLIT for day in range(5)}


@pytest.fixture
def admin(db):
    return UserFactory(username="ada", roles=["admin"])


def make(by, name="Shanghai office", **fields):
    return services.save_calendar(
        by=by,
        **{"name": name, "time_zone": "Asia/Shanghai", "countries": ["CN"], "hours": WEEKDAYS}
        | fields,
    )


def test_the_migration_made_the_default_calendar():
    default = BusinessCalendar.objects.get(is_default=True)
    assert default.name == "Default"
    assert default.time_zone == "Asia/Shanghai"  # settings.TIME_ZONE
    assert default.countries == ["CN"]
    assert default.hours["0"] == SPLIT
    assert default.hours["5"] == []
    assert default.hours["6"] == []
    assert services.default_calendar() == default


def test_the_default_calendar_is_made_again_when_a_flush_removed_it(settings):
    BusinessCalendar.objects.all().delete()
    settings.SLA_DEFAULT_COUNTRIES = ["cn", "HK"]
    default = services.default_calendar()
    assert default.is_default
    assert default.countries == ["CN", "HK"]
    assert services.default_calendar() == default
    assert BusinessCalendar.objects.count() == 1


def test_a_clock_uses_the_policy_s_then_the_owner_s_then_the_team_s_then_the_default(admin):
    default = services.default_calendar()
    policy_cal, owner_cal, team_cal = (make(admin, name=n) for n in ("Policy", "Owner", "Team"))
    owner, team = UserFactory(), TeamFactory()
    PersonCalendar.objects.create(user=owner, calendar=owner_cal)
    TeamSla.objects.create(team=team, calendar=team_cal)
    everything = {"owner_id": owner.pk, "team_id": team.pk}
    assert services.calendar_for(policy_calendar_id=policy_cal.pk, **everything) == policy_cal
    assert services.calendar_for(policy_calendar_id=None, **everything) == owner_cal
    assert services.calendar_for(owner_id=UserFactory().pk, team_id=team.pk) == team_cal
    assert services.calendar_for(team_id=team.pk) == team_cal
    assert services.calendar_for(owner_id=owner.pk) == owner_cal
    assert services.calendar_for(owner_id=None, team_id=TeamFactory().pk) == default
    assert services.calendar_for() == default
    # a team without a calendar of its own, a policy's calendar that is gone
    TeamSla.objects.create(team=TeamFactory(name="No calendar"), calendar=None)
    no_cal = TeamSla.objects.get(calendar=None).team_id
    assert services.calendar_for(policy_calendar_id=10**9, team_id=no_cal) == default


def test_choosing_a_calendar_is_one_query(admin, django_assert_num_queries):
    services.default_calendar()
    owner, team = UserFactory(), TeamFactory()
    PersonCalendar.objects.create(user=owner, calendar=make(admin))
    with django_assert_num_queries(1):
        services.calendar_for(policy_calendar_id=None, owner_id=owner.pk, team_id=team.pk)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"hours": {**WEEKDAYS, "2": [["09:00", "12:00"], ["11:00", "13:00"]]}},
            "hours.2",
            "Wednesday: 09:00–12:00 and 11:00–13:00 overlap",
        ),
        (
            {"hours": {"4": [["18:00", "09:00"]]}},
            "hours.4",
            "Friday: 18:00–09:00 ends before it starts",
        ),
        ({"hours": {"0": [["09:00", "25:00"]]}}, "hours.0", "not a time of day"),
        ({"hours": {"0": [["9am", "5pm"]]}}, "hours.0", "not a time of day"),
        ({"hours": {"7": SPLIT}}, "hours.7", "Not a weekday"),
        ({"hours": {"0": "09:00-12:00"}}, "hours.0", "list of [start, end] pairs"),
        ({"hours": {str(d): [] for d in range(7)}}, "hours", "needs some working time"),
        ({"hours": []}, "hours", "object of weekdays"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Mars/Olympus is not a known time zone"),
        ({"countries": ["CN", "XX"]}, "countries", "No public holidays known for XX"),
        ({"makeup_weekday": 7}, "makeup_weekday", "0 (Monday) to 6 (Sunday)"),
        ({"name": "  "}, "name", "Give the calendar a name"),
        ({"dates": [{"date": "2027-02-30", "kind": "open"}]}, "dates[0].date", "YYYY-MM-DD"),
        ({"dates": [{"date": "1066-10-14", "kind": "closed"}]}, "dates[0].date", "between 1970"),
        (
            {"dates": [{"date": "2027-02-20", "kind": "ajar"}]},
            "dates[0].kind",
            '"closed" or "open"',
        ),
        (
            {"dates": [{"date": "2027-02-20", "kind": "open", "works_as": 9}]},
            "dates[0].works_as",
            "0 (Monday)",
        ),
        (
            {"dates": [{"date": "2027-02-20", "kind": "closed", "works_as": 1}]},
            "dates[0].works_as",
            "Only an open date",
        ),
        (
            {
                "dates": [
                    {"date": "2027-02-20", "kind": "open"},
                    {"date": "2027-02-20", "kind": "closed"},
                ]
            },
            "dates[1].date",
            "given twice",
        ),
    ],
)
def test_bad_calendars_are_refused_naming_the_field(admin, fields, field, words):
    before = BusinessCalendar.objects.count()
    with pytest.raises(services.CalendarInvalid) as caught:
        make(admin, **fields)
    assert field in caught.value.errors, caught.value.errors
    assert words in " ".join(caught.value.errors[field])
    assert BusinessCalendar.objects.count() == before
    assert not AuditRecord.objects.exists()


def test_names_are_unique_and_the_default_stays_a_default(admin):
    make(admin, name="Berlin")
    with pytest.raises(services.CalendarInvalid) as caught:
        make(admin, name="berlin ")
    assert "name" in caught.value.errors
    default = services.default_calendar()
    with pytest.raises(services.CalendarInvalid) as caught:
        services.save_calendar(by=admin, calendar=default, is_default=False)
    assert "is_default" in caught.value.errors


def test_a_new_default_takes_over(admin):
    old = services.default_calendar()
    new = make(admin, is_default=True)
    old.refresh_from_db()
    assert new.is_default
    assert not old.is_default
    assert services.default_calendar() == new


def test_only_admins_and_directors_save(admin):
    from django.core.exceptions import PermissionDenied

    for role in ("sdr", "sales_manager", "marketing", "ae", "integration"):
        with pytest.raises(PermissionDenied):
            make(UserFactory(roles=[role]), name=role)
    assert make(UserFactory(roles=["director"]), name="By a director").revision == 1


def test_every_change_bumps_the_revision_and_leaves_an_audit_record(admin):
    calendar = make(admin)
    assert calendar.revision == 1
    same = services.save_calendar(by=admin, calendar=calendar, hours=WEEKDAYS, name=calendar.name)
    assert same.revision == 1  # nothing changed
    changed = services.save_calendar(by=admin, calendar=calendar, hours={"0": [["08:00", "17:00"]]})
    assert changed.revision == 2
    assert changed.hours["0"] == [["08:00", "17:00"]]
    assert changed.hours["1"] == []
    row = services.add_date(by=admin, calendar=changed, date=dt.date(2027, 2, 20), kind="open")
    changed.refresh_from_db()
    assert changed.revision == 3
    services.remove_date(by=admin, calendar=changed, date_id=row.pk)
    changed.refresh_from_db()
    assert changed.revision == 4
    replaced = services.save_calendar(
        by=admin, calendar=changed, dates=[{"date": "2027-02-21", "kind": "closed", "note": "x"}]
    )
    assert replaced.revision == 5
    assert list(replaced.dates.values_list("date", "kind")) == [(dt.date(2027, 2, 21), "closed")]
    actions = list(
        AuditRecord.objects.filter(target_type="businesscalendar", target_id=str(calendar.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "calendar.create",
        "calendar.update",
        "calendar.date_add",
        "calendar.date_remove",
        "calendar.update",
    ]
    update = AuditRecord.objects.filter(action="calendar.update").order_by("id").first()
    assert update.before["hours_0"] == SPLIT
    assert update.after["hours_0"] == [["08:00", "17:00"]]


def test_a_date_is_added_once(admin):
    calendar = make(admin)
    services.add_date(by=admin, calendar=calendar, date=dt.date(2027, 2, 20), kind="open")
    with pytest.raises(services.CalendarInvalid) as caught:
        services.add_date(by=admin, calendar=calendar, date=dt.date(2027, 2, 20), kind="closed")
    assert "date" in caught.value.errors
    calendar.refresh_from_db()
    assert calendar.revision == 2


def test_resolving_is_cached_by_revision_and_knows_the_custom_dates(admin):
    calendar = make(admin)
    first = services.resolve(calendar, around=dt.date(2025, 6, 1))
    assert services.resolve(calendar, around=dt.date(2025, 6, 1)) is first
    assert dt.date(2025, 1, 26) in first.open  # a CN make-up Sunday
    assert dt.date(2024, 10, 1) in first.closed
    assert dt.date(2027, 10, 1) in first.closed
    services.add_date(by=admin, calendar=calendar, date=dt.date(2025, 6, 3), kind="closed")
    calendar.refresh_from_db()
    second = services.resolve(calendar, around=dt.date(2025, 6, 1))
    assert second is not first
    assert dt.date(2025, 6, 3) in second.closed


def test_the_issue_s_worked_example_through_the_stored_calendar(admin):
    calendar = make(admin)
    resolved = services.resolve_for_span(calendar, dt.datetime(2025, 1, 24, 17, tzinfo=SHANGHAI))
    due = business_time.add_working(
        resolved, dt.datetime(2025, 1, 24, 17, tzinfo=SHANGHAI), dt.timedelta(hours=4)
    )
    assert due == dt.datetime(2025, 1, 26, 12, tzinfo=SHANGHAI)


def test_missing_make_up_days_are_named_until_an_open_date_is_entered(admin):
    calendar = make(admin)
    missing = services.missing_years(calendar, [2026, 2027])
    assert missing == [services.MissingYear(country="CN", year=2027)]
    services.add_date(by=admin, calendar=calendar, date=dt.date(2027, 2, 20), kind="open")
    assert services.missing_years(calendar, [2026, 2027]) == []
    us = make(admin, name="US", countries=["US"], time_zone="America/New_York")
    assert services.missing_years(us, [2026, 2027]) == []


def test_years_in_use_are_this_year_and_next():
    assert services.years_in_use(dt.date(2026, 12, 3)) == [2026, 2027]


def test_the_preview_gives_the_default_terms_due_times(admin):
    calendar = make(admin)
    # Friday 2025-01-24 17:00 Shanghai: 2 h → Sunday 26th (a make-up day) 10:00; 4 h → 12:00
    rows = services.preview(calendar, at=dt.datetime(2025, 1, 24, 17, tzinfo=SHANGHAI))
    assert [(r.term, r.target, r.due) for r in rows] == [
        ("acceptance", "2 working hours", dt.datetime(2025, 1, 26, 10, tzinfo=SHANGHAI)),
        ("first_touch", "4 working hours", dt.datetime(2025, 1, 26, 12, tzinfo=SHANGHAI)),
    ]
    assert rows[0].due.tzinfo == SHANGHAI


@time_machine.travel(dt.datetime(2026, 5, 22, 16, 30, tzinfo=NEW_YORK), tick=False)
def test_the_preview_uses_now_and_the_published_terms(admin):
    calendar = make(
        admin,
        name="New York",
        time_zone="America/New_York",
        countries=["US"],
        hours={str(d): [["09:00", "17:00"]] for d in range(5)},
    )
    # the issue's example: Friday 16:30 + 4 working hours → Tuesday 12:30 (Memorial Day)
    rows = services.preview(calendar)
    assert rows[1].due == dt.datetime(2026, 5, 26, 12, 30, tzinfo=NEW_YORK)
    assert rows[0].due == dt.datetime(2026, 5, 26, 10, 30, tzinfo=NEW_YORK)
    definition = terms.default_definition()
    definition["terms"]["acceptance"]["target"] = 30
    # version 1 (the migration's) is in force: publish a version 2 with a shorter target
    draft = terms_versions.create_draft(None, definition=definition)
    terms_versions.publish(draft, by=None)
    rows = services.preview(calendar)
    assert rows[0].target == "30 working minutes"
    assert rows[0].due == dt.datetime(2026, 5, 22, 17, 0, tzinfo=NEW_YORK)


def test_calendar_dates_kept_with_their_weekday(admin):
    calendar = make(
        admin,
        dates=[{"date": dt.date(2027, 2, 20), "kind": "open", "works_as": 4, "note": "make-up"}],
    )
    row = CalendarDate.objects.get(calendar=calendar)
    assert (row.works_as, row.note) == (4, "make-up")
    resolved = services.resolve(calendar, around=dt.date(2027, 1, 1))
    assert resolved.open[dt.date(2027, 2, 20)] == 4


def test_saving_a_calendar_recomputes_its_running_clocks(client, sdr):
    from sla.models import Clock
    from tests.factories import LeadFactory, with_history

    # Monday 2026-03-02 10:30 in Shanghai: accept by 14:00 (lunch not counted)
    lead = with_history(
        LeadFactory(
            stage="mql", owner=sdr, assigned_at=dt.datetime(2026, 3, 2, 10, 30, tzinfo=SHANGHAI)
        )
    )
    calendar = services.default_calendar()
    acceptance = Clock.objects.get(lead=lead, term="acceptance")
    assert acceptance.calendar_id == calendar.pk
    assert acceptance.due_at == dt.datetime(2026, 3, 2, 14, 0, tzinfo=SHANGHAI)
    director = UserFactory(roles=["director"])
    client.force_login(director)
    response = client.post(
        f"/sla/calendars/{calendar.pk}/",
        {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "countries": "CN",
            "makeup_weekday": "0",
            "is_default": "on",
            **{f"hours_{d}": "09:00-18:00" for d in range(5)},  # no lunch break
        },
        follow=True,
    )
    assert "The running clocks of 1 lead were recomputed." in response.content.decode()
    acceptance.refresh_from_db()
    assert acceptance.due_at == dt.datetime(2026, 3, 2, 12, 30, tzinfo=SHANGHAI)
    assert acceptance.calendar_revision == 2
    # a custom closed date on that Monday: due on Tuesday
    services.add_date(by=director, calendar=calendar, date=dt.date(2026, 3, 2), kind="closed")
    acceptance.refresh_from_db()
    assert acceptance.due_at == dt.datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI)
    assert acceptance.calendar_revision == 3
