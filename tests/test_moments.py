"""Moments outside what can be stored and read back are refused before anything is
written (issue 10 §1, first slice): a lead's time at its source and its consent, an
activity, a touch, a spreadsheet's zone-less date; list filters outside the range
answer an error, not a 500."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import moments
from leads.intake.services import leads_ingest
from leads.models import Activity, Lead, LeadEvent, Touch
from leads.queue import work
from tests.factories import LeadFactory

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00",  # not even representable in UTC
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59+00:00",  # before 1970
    "2126-01-01T00:00:00+00:00",  # in the future
]


# --- the pure rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "problem"),
    [
        (dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))), "unrepresentable"),
        (
            dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=14))),
            "unrepresentable",
        ),
        (dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC), "too_early"),
        (dt.datetime(1970, 1, 1, 7, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))), "too_early"),
        (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), None),
        (NOW + dt.timedelta(minutes=5), None),  # the sender's clock may run ahead a little
        (NOW + dt.timedelta(minutes=5, seconds=1), "future"),
    ],
)
def test_a_past_moment_lies_between_1970_and_now_plus_five_minutes(moment, problem):
    assert moments.past_moment_problem(moment, now=NOW) == problem


# --- intake --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["created_at_source", "consent_at"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_the_api_refuses_a_moment_out_of_range_and_stores_nothing(
    api_as, integration, field, value
):
    answer = api_as(integration).post(
        reverse("api:lead_list"),
        {"email": "far@acme.example", "source_channel": "website", field: value},
        format="json",
    )
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == [field]
    assert not Lead.objects.exists()
    assert not LeadEvent.objects.exists()


@pytest.mark.django_db
def test_in_a_batch_the_bad_moment_is_its_rows_error_and_the_good_rows_are_saved(
    api_as, integration
):
    rows = [
        {
            "email": "good@acme.example",
            "source_channel": "website",
            "created_at_source": "2026-01-05T09:00:00+08:00",
        },
        {
            "email": "bad@acme.example",
            "source_channel": "website",
            "created_at_source": "0001-01-01T00:00:00+14:00",
        },
    ]
    answer = api_as(integration).post(reverse("api:lead_bulk"), rows, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["created"], body["rejected"]) == (1, 1)
    assert [(e["index"], list(e["errors"])) for e in body["errors"]] == [(1, ["created_at_source"])]
    assert list(Lead.objects.values_list("email_normalised", flat=True)) == ["good@acme.example"]
    # what was stored reads back: the list answers
    assert api_as(integration).get(reverse("api:lead_list")).status_code == 200


@pytest.mark.django_db
def test_a_spreadsheets_zone_less_year_one_is_a_rejected_row():
    result = leads_ingest(
        rows=[
            {
                "email": "old@acme.example",
                "source_channel": "website",
                "created_at_source": "0001-01-01",
            },
            {
                "email": "ok@acme.example",
                "source_channel": "website",
                "created_at_source": "2025-03-05 14:30",
            },
        ],
        source_system="import",
        naive_tz=ZoneInfo("Asia/Shanghai"),
    )
    assert (result.created, result.rejected) == (1, 1)
    assert [(e.index, list(e.errors)) for e in result.errors] == [(0, ["created_at_source"])]


@pytest.mark.django_db
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_activity_out_of_range_is_refused(api_as, integration, value):
    lead = LeadFactory()
    answer = api_as(integration).post(
        reverse("api:activities"),
        {"lead": lead.pk, "type": "web_visit", "occurred_at": value},
        format="json",
    )
    assert answer.status_code == 400, answer.content
    assert list(answer.json()["errors"]) == ["occurred_at"]
    assert not Activity.objects.exists()


# --- touches -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_touch_out_of_range_is_refused_and_nothing_is_written(value, sdr, sdr_team_east):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    with pytest.raises(work.WorkInvalid) as invalid:
        work.touch_log(lead=lead, by=sdr, channel="call", outcome="connected", at=value)
    assert list(invalid.value.errors) == ["at"]
    assert not Touch.objects.exists()
    assert not lead.events.filter(kind="touch").exists()


# --- list filters ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["received_to=9999-12-31", "received_from=0001-01-01", "received_to=1969-12-31"]
)
def test_the_lead_lists_date_filters_out_of_range_show_an_error(client, marketer, query):
    LeadFactory()
    client.force_login(marketer)
    page = client.get(f"{reverse('leads:lead_list')}?{query}")
    assert page.status_code == 200
    assert "Enter a date between 1970-01-01 and 9999-12-30." in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["created_after", "created_before"])
def test_the_apis_time_filters_out_of_range_are_400(api_as, marketer, name):
    LeadFactory()
    answer = api_as(marketer).get(reverse("api:lead_list"), {name: "9999-12-31T23:59:59-14:00"})
    assert answer.status_code == 400, answer.content
    assert name in str(answer.json())


@pytest.mark.django_db
def test_a_moment_just_past_is_still_accepted(api_as, integration):
    recent = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    answer = api_as(integration).post(
        reverse("api:lead_list"),
        {
            "email": "now@acme.example",
            "source_channel": "website",
            "created_at_source": recent,
            "consent_at": recent,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
