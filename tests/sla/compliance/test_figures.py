"""A month's figures (issue 13 §1) on a fixture worked out by hand.

The default calendar: Asia/Shanghai, Mon–Fri 09:00–12:00 and 13:30–18:00 (7.5 working
hours a day), China's holidays (none in November 2026). Acceptance: 2 working hours;
first touch: 4; the status update: every 5 working days (37.5 h); a return fixed: 3
working days (22.5 h).

- A — MQL Mon 2 Nov 09:00, grade A, complete, campaign "spring" on the website;
  accepted 10:00 (1 h: met), touched 11:00 (2 h: met; the status cycle from 10:00 is
  met, a new one starts), given up (disqualified) at 16:00 after 1 touch (< 6; the
  second status cycle is met). Received 1 h after it arose, from "hubspot".
- B — MQL Mon 2 Nov 09:00, grade C, no title, no campaign; accepted 13:00 (3 working
  hours: breached at 11:00), touched 15:00 (4.5 h: breached at 14:30; the status cycle
  from 13:00 is met, the next runs from 15:00 and breaches Mon 9 Nov 15:00). Received
  3 h after it arose, from "form".
- C — MQL Fri 30 Oct 09:00 (October's), accepted 09:30, touched 09:45, returned 10:00;
  re-sent Tue 3 Nov 09:00 (14 working hours later: the fix met, counted in November),
  assigned again and accepted 09:30 (met); never touched again: the new round's first
  touch breaches Tue 3 Nov 14:30, its status cycle from 09:30 breaches Tue 10 Nov 09:30.
- D — MQL Tue 1 Dec 00:05 Shanghai (30 Nov 16:05 UTC): December's.

November: MQL volume 2 (A, B; C counts once, in October); ICP share 1/2; complete
1/2; tagged 1/2; delivery p50 1 h, p90 3 h (target 2 h: missed), 1 of 2 within;
returns fixed 1/1; accepted in time 2/3 (A, C; B breached); first touch 1/3 (p50
2 h, p90 4.5 h over the two that stopped); status updates 3/5; attempts 0/1 (A);
SQL handoff and feedback: no data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from leads import hooks
from sla.compliance import figures
from sla.compliance.services import set_target
from sla.models import Clock
from tests.factories import LeadFactory
from tests.sla.compliance.conftest import NOVEMBER, SH, at, became_mql, move, touch

pytestmark = pytest.mark.django_db


def by_term(card):
    return {line["term"]: line for line in card["terms"]}


def rows(card, term, dimension):
    return {
        row["key"]: row
        for row in card["rows"]
        if row["term"] == term and row["dimension"] == dimension
    }


def test_every_term_of_a_month_worked_out_by_hand(november, sdr, director):
    a, b, c, d = november
    set_target(by=director, term="mql_volume", month="2026-11", value=2)
    set_target(by=director, term="icp_share", month="2026-11", value=50)
    card = figures.scorecard(NOVEMBER)
    terms = by_term(card)
    assert card["month"] == "2026-11"
    assert card["zone"] == "Asia/Shanghai"
    assert card["start"] == "2026-10-31T16:00:00+00:00"
    assert card["end"] == "2026-11-30T16:00:00+00:00"
    assert card["month_to_date"] is False
    assert card["terms_version"] == 1

    volume = terms["mql_volume"]
    assert (volume["actual"], volume["count"], volume["verdict"]) == ("2", 2, "met")  # at target
    icp = terms["icp_share"]
    assert (icp["actual"], icp["count"], icp["of"], icp["verdict"]) == ("50.00", 1, 2, "met")
    assert icp["leads"] == [b.pk]
    complete = terms["completeness"]
    assert (complete["actual"], complete["verdict"], complete["leads"]) == (
        "50.00", "missed", [b.pk],
    )  # fmt: skip
    assert (terms["campaign_tagged"]["actual"], terms["campaign_tagged"]["leads"]) == (
        "50.00", [b.pk],
    )  # fmt: skip

    delivery = terms["delivery_hours"]
    assert (delivery["actual"], delivery["p50"], delivery["p90"]) == ("3.00", "1.00", "3.00")
    assert (delivery["count"], delivery["of"], delivery["verdict"]) == (1, 2, "missed")
    assert rows(card, "icp_share", "source")["website"]["actual"] == "50.00"
    campaigns = rows(card, "campaign_tagged", "campaign")
    assert (campaigns["spring"]["actual"], campaigns[""]["actual"]) == ("100.00", "0.00")
    assert rows(card, "mql_volume", "team")[str(sdr.teams.get().pk)]["count"] == 2
    systems = rows(card, "delivery_hours", "source_system")
    assert systems["hubspot"]["verdict"] == "met"
    assert systems["form"]["verdict"] == "missed"

    fixed = terms["returns_fixed_in_time"]
    assert (fixed["actual"], fixed["count"], fixed["of"]) == ("100.00", 1, 1)

    accepted = terms["accepted_in_time"]
    assert (accepted["actual"], accepted["count"], accepted["of"]) == ("66.67", 2, 3)
    breach = Clock.objects.get(lead=b, term="acceptance")
    assert accepted["clocks"] == [breach.pk]
    assert accepted["leads"] == [b.pk]
    assert breach.breached_at == at(11, 2, 11)

    first = terms["first_touch_in_time"]
    assert (first["actual"], first["count"], first["of"]) == ("33.33", 1, 3)
    assert (first["p50"], first["p90"]) == ("2.00", "4.50")
    assert first["leads"] == sorted([b.pk, c.pk])
    team = str(sdr.teams.get().pk)
    assert rows(card, "first_touch_in_time", "team")[team]["actual"] == "33.33"
    assert rows(card, "first_touch_in_time", "person")[str(sdr.pk)]["p90"] == "4.50"

    status = terms["status_updates_kept"]
    assert (status["actual"], status["count"], status["of"]) == ("60.00", 3, 5)
    attempts = terms["attempts_before_giving_up"]
    assert (attempts["actual"], attempts["of"], attempts["leads"]) == ("0.00", 1, [a.pk])

    for empty, note in (("sql_handoff_in_time", "no_clocks"), ("feedback_delivered", "no_returns")):
        assert terms[empty]["actual"] is None
        assert (terms[empty]["verdict"], terms[empty]["note"]) == ("no_data", note)
    assert d.pk not in terms["mql_volume"]["leads"]


def test_the_month_of_the_first_of_december_in_shanghai(november):
    *_, d = november
    card = figures.scorecard(dt.date(2026, 12, 1))
    assert by_term(card)["mql_volume"]["leads"] == []  # a count lists no leads
    assert by_term(card)["mql_volume"]["count"] == 1  # D: 00:05 on 1 Dec in Shanghai
    if card["month_to_date"]:  # December 2026 is still open
        assert Decimal(0) < Decimal(card["elapsed_share"]) <= 1


def test_a_future_month_is_refused(db):
    with pytest.raises(figures.MonthRefused):
        figures.scorecard(dt.date(2026, 12, 1), now=dt.datetime(2026, 11, 30, 23, 55, tzinfo=SH))


def test_a_month_with_no_data_says_so(db):
    card = figures.scorecard(dt.date(2026, 6, 1))
    terms = by_term(card)
    assert terms["mql_volume"]["actual"] == "0"
    assert terms["mql_volume"]["verdict"] == "missed"
    assert all(
        line["verdict"] == "no_data" and line["note"]
        for key, line in terms.items()
        if key != "mql_volume"
    )


def test_a_planned_target_counts_when_no_row_sets_one(november, director):
    from sla.compliance import services

    def plan(term, month):
        return 5 if term == "mql_volume" and month == NOVEMBER else None

    services.PLANNED_TARGETS.append(plan)
    try:
        volume = by_term(figures.scorecard(NOVEMBER))["mql_volume"]
        assert (volume["target"], volume["verdict"]) == ("5", "missed")
        assert services.target_in_force("mql_volume", NOVEMBER) == 5
        set_target(by=director, term="mql_volume", month="2026-11", value=2)
        volume = by_term(figures.scorecard(NOVEMBER))["mql_volume"]
        assert (volume["target"], volume["verdict"]) == ("2.00", "met")  # a row wins
    finally:
        services.PLANNED_TARGETS.remove(plan)


# --- a month with China's make-up working days: October 2026 --------------------------
# National Day: 1–7 October closed (4 October a Sunday); Saturday 10 October is a make-up
# working day (Monday's hours). Acceptance: 2 working hours.
# - E: MQL Wed 30 Sep 17:00 (September's MQL), accepted Thu 8 Oct 09:45: 1 h on 30 Sep
#   + 0.75 h on 8 Oct = 1.75 h, met (eight calendar days later), counted in October.
# - F: MQL Fri 9 Oct 17:00, accepted Sat 10 Oct 09:30 (the make-up day): 1.5 h, met.
# - G: MQL Fri 9 Oct 17:00, accepted Mon 12 Oct 09:30: due Sat 10 Oct 10:00 (1 h on
#   Friday, 1 h on the make-up Saturday), breached then. Without the make-up day it
#   would have been due Monday 10:00 and met.
# October: MQL volume 2 (F, G); accepted in time 2 of 3 = 66.67 %, G's clock breached
# at Sat 10 Oct 10:00.


def test_a_month_with_chinas_make_up_working_days(sdr):
    common = {"owner": sdr, "team": sdr.teams.get(), "stage": "sal"}
    e, f, g = (LeadFactory(**common) for _ in range(3))
    for lead, mql, accepted in (
        (e, at(9, 30, 17), at(10, 8, 9, 45)),
        (f, at(10, 9, 17), at(10, 10, 9, 30)),
        (g, at(10, 9, 17), at(10, 12, 9, 30)),
    ):
        became_mql(lead, mql, "A", sdr)
        move(lead, accepted, "mql", "sal", sdr)
    hooks.on_events_written([e.pk, f.pk, g.pk])
    terms = by_term(figures.scorecard(dt.date(2026, 10, 1)))
    assert terms["mql_volume"]["count"] == 2
    accepted = terms["accepted_in_time"]
    assert (accepted["actual"], accepted["count"], accepted["of"]) == ("66.67", 2, 3)
    assert accepted["leads"] == [g.pk]
    assert Clock.objects.get(lead=g, term="acceptance").breached_at == at(10, 10, 10)
    assert Clock.objects.get(lead=e, term="acceptance").elapsed == dt.timedelta(hours=1.75)


# --- a month with a DST change: March 2026 in Berlin ------------------------------------
# The default calendar in Europe/Berlin, Mon–Fri 09:00–17:00, Germany's holidays; clocks
# change on Sunday 29 March (02:00 → 03:00). March is [28 Feb 23:00 UTC, 31 Mar 22:00
# UTC): 743 hours.
# - H: MQL Fri 27 Mar 16:00 (CET), accepted Mon 30 Mar 09:30 (CEST): 1 h + 0.5 h = 1.5 h,
#   met; touched 10:30: first touch 2.5 h, met (p50 = p90 = 2.50).
# - I: MQL Tue 31 Mar 23:30 in Berlin (21:30 UTC): March's.
# - J: MQL Wed 1 Apr 00:30 in Berlin (22:30 UTC on 31 March): April's.
# March: MQL volume 2 (H, I); accepted in time 1 of 1 (I's and J's clocks are April's).


def test_a_month_with_a_dst_change(sdr):
    from sla.calendars.services import default_calendar

    calendar = default_calendar()
    calendar.time_zone, calendar.countries = "Europe/Berlin", ["DE"]
    calendar.hours = {str(d): [["09:00", "17:00"]] if d < 5 else [] for d in range(7)}
    calendar.revision += 1
    calendar.save()
    berlin = ZoneInfo("Europe/Berlin")

    def local(day, hour, minute=0, month=3):
        return dt.datetime(2026, month, day, hour, minute, tzinfo=berlin)

    common = {"owner": sdr, "team": sdr.teams.get(), "stage": "sal"}
    h, i, j = (LeadFactory(**common) for _ in range(3))
    became_mql(h, local(27, 16), "A", sdr)
    move(h, local(30, 9, 30), "mql", "sal", sdr)
    touch(h, local(30, 10, 30), sdr)
    became_mql(i, local(31, 23, 30), "A", sdr)
    became_mql(j, local(1, 0, 30, month=4), "A", sdr)
    hooks.on_events_written([h.pk, i.pk, j.pk])

    card = figures.scorecard(dt.date(2026, 3, 1))
    assert (card["zone"], card["start"], card["end"]) == (
        "Europe/Berlin", "2026-02-28T23:00:00+00:00", "2026-03-31T22:00:00+00:00",
    )  # fmt: skip
    terms = by_term(card)
    assert terms["mql_volume"]["count"] == 2
    assert (terms["accepted_in_time"]["actual"], terms["accepted_in_time"]["of"]) == ("100.00", 1)
    first = terms["first_touch_in_time"]
    assert (first["actual"], first["p50"], first["p90"]) == ("100.00", "2.50", "2.50")
    april = by_term(figures.scorecard(dt.date(2026, 4, 1)))
    assert april["mql_volume"]["count"] == 1  # J, though still 31 March in UTC


def test_a_months_figures_take_a_fixed_number_of_queries(november, sdr, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        figures.scorecard(NOVEMBER)
    for day in (2, 3, 4, 5, 6):
        lead = LeadFactory(owner=sdr, team=sdr.teams.get(), stage="sal")
        became_mql(lead, at(11, day, 9), "B", sdr)
        move(lead, at(11, day, 9, 30), "mql", "sal", sdr)
        touch(lead, at(11, day, 10), sdr)
        hooks.on_events_written(lead.pk)
    with django_assert_num_queries(len(small.captured_queries)):
        card = figures.scorecard(NOVEMBER)
    assert by_term(card)["mql_volume"]["count"] == 7
