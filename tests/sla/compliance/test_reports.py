"""The monthly compliance report (issue 13 §2): frozen, immutable, versioned;
reproducible as of its watermark (``sla_report --check``); the daily run freezes every
closed month once, a missed run loses none; a month closes at midnight in the
calendar's zone."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from leads import hooks
from sla.compliance import figures, reports
from sla.models import ComplianceReport
from sla.tasks import report_email
from tests.factories import LeadFactory
from tests.sla.compliance.conftest import NOVEMBER, SH, at, touch

pytestmark = pytest.mark.django_db
DECEMBER_3 = dt.datetime(2026, 12, 3, 10, 0, tzinfo=SH)


def line(data, term):
    return next(item for item in data["terms"] if item["term"] == term)


def test_freezing_makes_an_immutable_first_version(november):
    report = reports.freeze(NOVEMBER)
    assert (report.version, report.month, report.reason) == (1, NOVEMBER, "on_demand")
    assert report.terms.number == report.data["terms_version"] == 1
    assert report.watermark <= report.created_at
    assert line(report.data, "accepted_in_time")["actual"] == "66.67"
    report.data = {}
    with pytest.raises(ValueError, match="immutable"):
        report.save()
    assert reports.check(ComplianceReport.objects.get(pk=report.pk)) == []


def test_an_open_or_future_month_is_never_frozen(db):
    with pytest.raises(figures.MonthRefused) as refused:
        reports.freeze(dt.date(2026, 12, 1), now=DECEMBER_3)
    assert refused.value.code == "open"
    with pytest.raises(figures.MonthRefused) as refused:
        reports.freeze(dt.date(2027, 1, 1), now=DECEMBER_3)
    assert refused.value.code == "future"
    assert not ComplianceReport.objects.exists()


def test_a_backdated_touch_is_a_change_for_the_next_version_not_a_mismatch(november, sdr, director):
    a, b, c, d = november
    first = reports.freeze(NOVEMBER)
    # C's new round was never touched: its first touch breached on 3 Nov at 14:30. The
    # SDR now logs a call made at 13:45 that day (entered today, with its past time).
    touch(c, at(11, 3, 13, 45), sdr)
    hooks.on_events_written(c.pk)
    assert reports.check(first) == []  # as of its watermark, the report still holds
    changed = {(c_["term"], c_["field"]) for c_ in reports.pending(first) if not c_["dimension"]}
    assert ("first_touch_in_time", "actual") in changed

    second = reports.freeze(NOVEMBER, by=director, reason=ComplianceReport.Reason.REGENERATED)
    assert second.version == 2
    assert ComplianceReport.objects.filter(month=NOVEMBER).count() == 2
    assert line(ComplianceReport.objects.get(pk=first.pk).data, "first_touch_in_time")[
        "actual"
    ] == "33.33"  # fmt: skip
    assert line(second.data, "first_touch_in_time")["actual"] == "66.67"
    assert {
        "term": "first_touch_in_time", "dimension": "", "key": "", "field": "actual",
        "before": "33.33", "after": "66.67",
    } in second.changes  # fmt: skip
    assert reports.check(second) == []


def test_check_reports_a_figure_that_does_not_follow_from_the_events(november):
    report = reports.freeze(NOVEMBER)
    tampered = dict(report.data)
    tampered["terms"] = [dict(item) for item in report.data["terms"]]
    line(tampered, "icp_share")["actual"] = "99.00"
    ComplianceReport.objects.filter(pk=report.pk).update(data=tampered)
    out = io.StringIO()
    with pytest.raises(SystemExit) as failed:
        call_command("sla_report", "--month", "2026-11", "--check", stdout=out)
    assert failed.value.code == 1
    assert "icp_share" in out.getvalue()
    assert "99.00" in out.getvalue()


def test_the_command_freezes_and_checks_a_month(november):
    out = io.StringIO()
    call_command("sla_report", "--month", "2026-11", stdout=out)
    assert "accepted_in_time" in out.getvalue()
    assert "66.67" in out.getvalue()
    assert ComplianceReport.objects.filter(month=NOVEMBER).count() == 1
    out = io.StringIO()
    call_command("sla_report", "--month", "2026-11", "--check", stdout=out)
    assert "no difference" in out.getvalue()


@pytest.mark.parametrize("month", ["2026-13", "26-11", "", "2026-11\x00"])
def test_the_command_names_a_malformed_month(db, month):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--month"):
        call_command("sla_report", "--month", month)


def test_the_daily_run_freezes_each_closed_month_once_and_a_missed_run_loses_none(
    november, director, mailoutbox, django_capture_on_commit_callbacks
):
    director.email = "dana@example.com"
    director.save()
    # The daily run did not happen on 1 and 2 December; on 3 December it freezes
    # October and November (the months with data), oldest first.
    with django_capture_on_commit_callbacks() as announced:
        made = reports.freeze_closed_months(now=DECEMBER_3)
    assert [report.month for report in made] == [dt.date(2026, 10, 1), NOVEMBER]
    assert all(report.reason == "scheduled" for report in made)
    assert reports.freeze_closed_months(now=DECEMBER_3) == []  # idempotent
    assert ComplianceReport.objects.count() == 2
    assert len(announced) == 2  # after the commit, a task emails each report
    for report in made:  # what the worker runs
        assert report_email(report.pk) == 1
        assert report_email(report.pk) == 0  # a redelivered task sends nothing twice
    assert len(mailoutbox) == 2
    assert {tuple(m.to) for m in mailoutbox} == {("dana@example.com",)}
    assert all(m.attachments for m in mailoutbox)


def test_the_daily_task_emails_a_report_whose_task_was_lost(november, director, mailoutbox):
    from sla.tasks import freeze_reports

    director.email = "dana@example.com"
    director.save()
    report = reports.freeze(NOVEMBER)  # its email task never ran (no commit here)
    freeze_reports()
    assert [m.subject for m in mailoutbox if "2026-11" in m.subject]
    assert ComplianceReport.objects.get(pk=report.pk).emailed_at is not None
    pdf_name = f"sla-2026-11-v{report.version}.pdf"
    assert any(name == pdf_name for m in mailoutbox for name, *_ in m.attachments)


def test_a_month_closes_at_midnight_in_the_calendars_zone(db):
    LeadFactory(received_at=at(11, 2, 9))
    # 00:05 on 1 December in Shanghai is still 30 November in UTC: November is closed.
    just_after = dt.datetime(2026, 12, 1, 0, 5, tzinfo=SH)
    assert figures.month_state(NOVEMBER, now=just_after) == "closed"
    assert [r.month for r in reports.freeze_closed_months(now=just_after)] == [NOVEMBER]
    just_before = dt.datetime(2026, 11, 30, 23, 55, tzinfo=SH)
    assert figures.month_state(NOVEMBER, now=just_before) == "open"


def test_a_report_holds_ids_not_names(november, sdr):
    report = reports.freeze(NOVEMBER)
    text = str(report.data)
    assert sdr.first_name not in text
    assert str(sdr.pk) in {
        row["key"] for row in report.data["rows"] if row["dimension"] == "person"
    }


def test_the_run_records_why_and_the_watermark_it_was_given(november):
    watermark = dt.datetime(2026, 12, 3, 9, 0, tzinfo=SH)  # before the fixture's events
    made = reports.freeze_closed_months(
        now=DECEMBER_3, watermark=watermark, reason=ComplianceReport.Reason.ON_DEMAND
    )
    assert {(r.reason, r.watermark) for r in made} == {("on_demand", watermark)}
    assert line(made[-1].data, "mql_volume")["count"] == 0  # nothing recorded by then
