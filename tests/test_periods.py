"""Period keys of the periodic jobs (leads.periods, pure) and the once-per-period
records: a Job per kind and night (leads.jobs.start_once), a PeriodicRun per task
(leads.periodic)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from leads import jobs, periods
from leads.models import Job, PeriodicRun
from leads.periodic import period_claim

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- the pure keys -----------------------------------------------------------------


def test_a_night_is_the_companys_calendar_day():
    # 02:15 in Shanghai is 18:15 UTC the day before: the night is Shanghai's date
    assert periods.night(dt.datetime(2026, 12, 1, 18, 15, tzinfo=dt.UTC), SHANGHAI) == "2026-12-02"
    assert periods.night(dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC), SHANGHAI) == "2026-12-02"
    assert periods.night(dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC), SHANGHAI) == "2026-12-03"


def test_every_names_the_utc_slot_that_holds_the_moment():
    at = dt.datetime(2026, 12, 2, 21, 9, 59, tzinfo=SHANGHAI)
    assert periods.every(at, 300) == "2026-12-02T13:05:00+00:00"
    assert periods.every(at + dt.timedelta(seconds=1), 300) == "2026-12-02T13:10:00+00:00"
    assert periods.every(at, 1) == "2026-12-02T13:09:59+00:00"
    # keys of one length sort in time order as strings
    keys = [periods.every(at + dt.timedelta(minutes=m), 300) for m in range(0, 60, 7)]
    assert keys == sorted(keys)


def test_a_period_needs_an_aware_time_and_a_length():
    with pytest.raises(ValueError, match="aware"):
        periods.night(dt.datetime(2026, 12, 2, 2, 15), SHANGHAI)  # noqa: DTZ001
    with pytest.raises(ValueError, match="second"):
        periods.every(dt.datetime(2026, 12, 2, tzinfo=dt.UTC), 0)


# --- a periodic task without a job: once per period ----------------------------------


@pytest.mark.django_db
def test_a_task_runs_once_per_period_and_never_for_an_older_one():
    assert period_claim(name="heartbeat", period="2026-12-02T13:05:00+00:00") is True
    assert period_claim(name="heartbeat", period="2026-12-02T13:05:00+00:00") is False
    assert period_claim(name="heartbeat", period="2026-12-02T13:00:00+00:00") is False  # late
    assert period_claim(name="heartbeat", period="2026-12-02T13:10:00+00:00") is True
    assert period_claim(name="other", period="2026-12-02T13:10:00+00:00") is True

    run = PeriodicRun.objects.get(name="heartbeat")
    assert run.period == "2026-12-02T13:10:00+00:00"
    assert run.ran_at is not None
    assert PeriodicRun.objects.count() == 2


# --- a periodic job: one per kind and period ------------------------------------------


@pytest.mark.django_db
def test_start_once_makes_one_job_per_kind_and_period(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as sent:
        first, created = jobs.start_once(Job.Kind.PREDICTIVE, period="2026-12-02", enqueue=False)
        again, created_again = jobs.start_once(
            Job.Kind.PREDICTIVE, period="2026-12-02", enqueue=False
        )
        other_kind, _ = jobs.start_once(Job.Kind.RESCORE, period="2026-12-02", enqueue=False)
        next_night, _ = jobs.start_once(Job.Kind.PREDICTIVE, period="2026-12-03", enqueue=False)

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert len({first.pk, other_kind.pk, next_night.pk}) == 3
    assert first.period == "2026-12-02"
    assert sent == []  # enqueue=False: the caller runs it
    # jobs without a period (a person's) are as many as they are
    jobs.start(Job.Kind.PREDICTIVE, enqueue=False)
    jobs.start(Job.Kind.PREDICTIVE, enqueue=False)
    assert Job.objects.filter(kind="predictive", period=None).count() == 2


@pytest.mark.django_db
def test_start_once_sends_the_task_only_for_the_job_it_created(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as sent:
        jobs.start_once(Job.Kind.PREDICTIVE, period="2026-12-02")
        jobs.start_once(Job.Kind.PREDICTIVE, period="2026-12-02")
    assert len(sent) == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_job_for_a_period():
    Job.objects.create(kind=Job.Kind.RESCORE, period="2026-12-02")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind=Job.Kind.RESCORE, period="2026-12-02")
