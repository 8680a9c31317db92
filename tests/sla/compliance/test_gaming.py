"""sla.compliance.gaming: the gaming signals of a month (issue 13 §3), each with a case
that shows it and cases just short of it, built by hand in March 2026 (Shanghai, the
default calendar: Mon–Fri 09:00–12:00 and 13:30–18:00) with the clocks computed by the
real seam; scope filtering; a fixed number of queries.

The targets (product.md's defaults): acceptance 2 working hours, first touch 4
working hours, the return window 48 plain hours, at least 6 attempts before giving up.
Tuesday 10 March 09:00 an assignment → acceptance due 11:00, first touch due 14:30
(09:00–12:00 is 3 h, then 13:30–14:30), the return window closes Thursday 12 09:00.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from leads import hooks
from leads.models import LeadEvent, LeadReturn, Touch
from sla.compliance import gaming
from sla.compliance.gaming import EVERYONE, Scope
from sla.models import Clock
from sla.scorecard import month_bounds
from tests.factories import LeadFactory, TeamFactory, UserFactory, with_history
from tests.helpers import rolled_back

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
START, END = month_bounds(dt.date(2026, 3, 1), SH)


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of March 2026 in Shanghai."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SH)


def event(lead, kind, at, *, by=None, recorded=None, **fields) -> LeadEvent:
    row = LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        at=at,
        actor_user=by,
        actor_system="" if by is not None else "routing",
        recorded_at=recorded or at,
        **fields,
    )
    hooks.on_events_written(lead.pk)
    return row


def touch(lead, by, at, *, outcome="connected", recorded=None) -> Touch:
    """A touch as ``leads.queue.work.touch_log`` writes it, recorded at ``recorded``."""
    recorded = recorded or at
    row = Touch.objects.create(lead=lead, user=by, channel="call", outcome=outcome, at=at)
    Touch.objects.filter(pk=row.pk).update(created_at=recorded)
    event(
        lead, "touch", at, by=by, recorded=recorded, reason=outcome,
        data={"touch_id": row.pk, "channel": "call", "note": ""},
    )  # fmt: skip
    return row


def assigned(owner, team, at=None, *, stage="mql", sal_at=None):
    """An MQL (or SAL) assigned to ``owner`` at ``at`` (Tuesday 10 March 09:00)."""
    at = at or t(10, 9)
    lead = LeadFactory(stage=stage, owner=owner, team=team, assigned_at=at, mql_at=at)
    return with_history(lead, at=at, sal_at=sal_at)


def give_up(lead, by, at, to="disqualified") -> LeadEvent:
    return event(
        lead, "stage_change", at, by=by, from_stage="sal", to_stage=to, reason="no_response"
    )


def return_lead(lead, by, at) -> LeadEvent:
    row = LeadReturn.objects.create(
        lead=lead, returned_by=by, reason="wrong_information", from_stage="sal",
        to_stage="returned", at=at,
    )  # fmt: skip
    returned = event(
        lead, "return", at, by=by, reason="wrong_information", from_stage="sal",
        to_stage="returned", data={"note": "", "return_id": row.pk},
    )  # fmt: skip
    event(lead, "stage_change", at, by=by, from_stage="sal", to_stage="returned")
    return returned


def reassign(lead, by, at, to, team) -> LeadEvent:
    return event(
        lead, "assignment", at, by=by, reason="manual", data={"to_user": to.pk, "to_team": team.pk}
    )


def clock(lead, term, seq=1) -> Clock:
    return Clock.objects.get(lead=lead, term=term, seq=seq)


def build():
    """East (managed by Max): Sam and Sue; West: Wendy. Every signal once for Sam,
    the near misses next to it, and one of each for Wendy."""
    w = SimpleNamespace()
    w.east, w.west = TeamFactory(name="East"), TeamFactory(name="West")
    w.manager = UserFactory(username="g-max", roles=["sales_manager"])
    w.east.manager = w.manager
    w.east.save()
    w.sam = UserFactory(username="g-sam", roles=["sdr"])
    w.sue = UserFactory(username="g-sue", roles=["sdr"])
    w.wendy = UserFactory(username="g-wendy", roles=["sdr"])
    w.east.members.add(w.sam, w.sue)
    w.west.members.add(w.wendy)

    # --- backdated touches
    w.backdated = assigned(w.sam, w.east)  # first touch due 14:30; logged at 16:00 as 14:00
    w.backdated_touch = touch(w.backdated, w.sam, t(10, 14), recorded=t(10, 16))
    w.late_note = assigned(w.sam, w.east)  # an hour late, not more: bookkeeping
    w.late_note_touch = touch(w.late_note, w.sam, t(10, 10), recorded=t(10, 11))
    w.early_backdate = assigned(w.sam, w.east)  # 3 h back, the clock still had time
    w.early_backdate_touch = touch(w.early_backdate, w.sam, t(10, 9, 30), recorded=t(10, 12, 30))
    w.february = assigned(w.sam, w.east, t(27, 9).replace(month=2))  # recorded in February
    touch(w.february, w.sam, t(27, 9, 30).replace(month=2), recorded=t(28, 9).replace(month=2))
    w.wendy_backdated = assigned(w.wendy, w.west)
    w.wendy_backdated_touch = touch(w.wendy_backdated, w.wendy, t(10, 11), recorded=t(11, 9))

    # --- last-minute stops
    w.ten_left = assigned(w.sue, w.east)  # first touch at 14:20, due 14:30
    w.ten_left_touch = touch(w.ten_left, w.sue, t(10, 14, 20))
    w.percent = assigned(w.sue, w.east)  # 14:10: 20 min left, 94 % of 240 used
    w.percent_touch = touch(w.percent, w.sue, t(10, 14, 10))
    w.in_time = assigned(w.sue, w.east)  # 14:00: 30 min left, 87.5 % used
    touch(w.in_time, w.sue, t(10, 14))
    w.too_late = assigned(w.sue, w.east)  # 14:40: breached
    touch(w.too_late, w.sue, t(10, 14, 40))
    w.accepted_late = assigned(w.sue, w.east)  # accepted 10:45, due 11:00: 15 min left
    w.accept_event = event(
        w.accepted_late, "stage_change", t(10, 10, 45), by=w.sue, from_stage="mql",
        to_stage="sal",
    )  # fmt: skip
    w.wendy_last_minute = assigned(w.wendy, w.west)
    touch(w.wendy_last_minute, w.wendy, t(10, 14, 25))

    # --- "no answer" bursts (SALs accepted at 09:10, given up on Wednesday)
    def sal(owner, team):
        return assigned(owner, team, stage="sal", sal_at=t(10, 9, 10))

    w.burst = sal(w.sam, w.east)  # one real attempt, then five no-answers in 20 minutes
    touch(w.burst, w.sam, t(10, 9, 30), outcome="left_message")
    w.burst_touches = [
        touch(w.burst, w.sam, t(11, 9, 5 * i), outcome="no_answer") for i in range(5)
    ]
    w.burst_event = give_up(w.burst, w.sam, t(11, 9, 25))
    w.spread = sal(w.sam, w.east)  # six no-answers a day apart
    for day in range(10, 16):
        touch(w.spread, w.sam, t(day, 10), outcome="no_answer")
    give_up(w.spread, w.sam, t(16, 10))
    w.had_enough = sal(w.sam, w.east)  # seven real attempts, then three quick no-answers
    for day in range(10, 17):
        touch(w.had_enough, w.sam, t(day, 11), outcome="left_message")
    for minute in (0, 5, 10):
        touch(w.had_enough, w.sam, t(17, 15, minute), outcome="no_answer")
    give_up(w.had_enough, w.sam, t(17, 15, 15), to="nurture")
    w.broken = sal(w.sam, w.east)  # six no-answers 20 minutes apart: no burst
    for i in range(6):
        touch(w.broken, w.sam, t(18, 10) + dt.timedelta(minutes=20 * i), outcome="no_answer")
    give_up(w.broken, w.sam, t(18, 12))
    w.wendy_burst = sal(w.wendy, w.west)
    for minute in range(0, 30, 5):
        touch(w.wendy_burst, w.wendy, t(11, 16, minute), outcome="no_answer")
    give_up(w.wendy_burst, w.wendy, t(11, 16, 30))

    # --- returns at the window's end (closes Thursday 12 09:00)
    w.last_hour = sal(w.sam, w.east)
    w.last_hour_event = return_lead(w.last_hour, w.sam, t(12, 8, 30))
    w.day_left = sal(w.sam, w.east)
    return_lead(w.day_left, w.sam, t(11, 9))
    w.after_window = sal(w.sam, w.east)
    return_lead(w.after_window, w.sam, t(12, 9, 30))
    w.wendy_return = sal(w.wendy, w.west)
    return_lead(w.wendy_return, w.wendy, t(12, 8))  # exactly an hour before

    # --- reassignments (acceptance due 11:00)
    w.reset = assigned(w.sam, w.east)  # 10:40: 100 of 120 minutes used, to Wendy
    w.reset_event = reassign(w.reset, w.manager, t(10, 10, 40), w.wendy, w.west)
    w.early = assigned(w.sam, w.east)  # 09:30: a quarter used
    reassign(w.early, w.manager, t(10, 9, 30), w.wendy, w.west)
    w.breached = assigned(w.sam, w.east)  # 11:30: already breached
    reassign(w.breached, w.manager, t(10, 11, 30), w.wendy, w.west)
    w.pooled = assigned(None, w.east)  # waited in East's pool, Sam claims it at 10:50
    reassign(w.pooled, w.sam, t(10, 10, 50), w.sam, w.east)
    w.wendy_reset = assigned(w.wendy, w.west)  # Wendy hands hers to Sue herself at 10:30
    w.wendy_reset_event = reassign(w.wendy_reset, w.wendy, t(10, 10, 30), w.sue, w.east)
    return w


class TestSignals:
    @pytest.fixture(scope="class")
    @classmethod
    def world(cls, django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), rolled_back():
            with hooks.batch():  # the clocks of every lead at once, as the writers would
                w = build()
            w.everyone = gaming.gaming_signals(START, END)
            yield w

    def test_a_touch_dated_hours_before_it_was_recorded_is_backdated(self, world):
        found = {s.touch_id: s for s in world.everyone.backdated_touches}
        assert set(found) == {
            world.backdated_touch.pk,
            world.early_backdate_touch.pk,
            world.wendy_backdated_touch.pk,
        }  # not the touch exactly an hour late, not the one recorded in February
        one = found[world.backdated_touch.pk]
        assert (one.lead_id, one.person_id) == (world.backdated.pk, world.sam.pk)
        assert one.back == dt.timedelta(hours=2)
        assert one.at == t(10, 14)
        assert one.recorded_at == t(10, 16)
        assert one.stopped_clock_ids == (clock(world.backdated, "first_touch").pk,)
        assert clock(world.backdated, "first_touch").outcome == "met"  # thanks to the date
        assert one.beat_deadline  # due 14:30, recorded 16:00
        assert one.event_id == LeadEvent.objects.get(lead=world.backdated, kind="touch").pk
        early = found[world.early_backdate_touch.pk]
        assert early.stopped_clock_ids
        assert not early.beat_deadline

    def test_a_clock_stopped_in_its_last_minutes_or_last_tenth_is_a_last_minute_stop(self, world):
        found = {s.lead_id: s for s in world.everyone.last_minute_stops}
        assert set(found) == {
            world.ten_left.pk, world.percent.pk, world.accepted_late.pk,
            world.wendy_last_minute.pk,
        }  # fmt: skip  # not 14:00 (30 min left, 87 %), not 14:40 (breached)
        ten = found[world.ten_left.pk]
        assert (ten.term, ten.person_id, ten.left) == (
            "first_touch",
            world.sue.pk,
            dt.timedelta(minutes=10),
        )
        assert ten.touch_id == world.ten_left_touch.pk
        assert ten.stop_kind == "touch"
        assert ten.clock_id == clock(world.ten_left, "first_touch").pk
        assert ten.used_percent == 95  # 230 of 240 working minutes
        percent = found[world.percent.pk]
        assert percent.left == dt.timedelta(minutes=20)
        assert percent.used_percent == 91
        accept = found[world.accepted_late.pk]
        assert (accept.term, accept.stop_kind, accept.touch_id) == (
            "acceptance",
            "stage_change",
            None,
        )
        assert accept.stop_event_id == world.accept_event.pk
        assert accept.left == dt.timedelta(minutes=15)  # 87 % used: by the minutes alone
        assert accept.used_percent == 87

    def test_a_burst_of_no_answers_that_reaches_the_minimum_before_giving_up(self, world):
        signals = world.everyone
        assert signals.min_attempts == 6
        found = {s.lead_id: s for s in signals.no_answer_bursts}
        # not six no-answers a day apart, not three after seven real attempts, not six
        # 20 minutes apart
        assert set(found) == {world.burst.pk, world.wendy_burst.pk}
        one = found[world.burst.pk]
        assert one.touch_ids == tuple(x.pk for x in world.burst_touches)
        assert (one.attempts, one.min_attempts, one.span) == (6, 6, dt.timedelta(minutes=20))
        assert (one.person_id, one.event_id, one.to_stage) == (
            world.sam.pk,
            world.burst_event.pk,
            "disqualified",
        )

    def test_a_higher_minimum_turns_a_long_enough_history_into_a_padded_one(self, world):
        found = gaming.no_answer_bursts(START, END, min_attempts=8)
        # seven real attempts + three no-answers: the burst was needed to reach eight
        assert {s.lead_id for s in found} == {world.had_enough.pk}

    def test_a_return_in_the_windows_last_hour(self, world):
        found = {s.lead_id: s for s in world.everyone.late_window_returns}
        assert set(found) == {world.last_hour.pk, world.wendy_return.pk}
        one = found[world.last_hour.pk]
        window = clock(world.last_hour, "return_window")
        assert (one.clock_id, one.person_id, one.event_id) == (
            window.pk,
            world.sam.pk,
            world.last_hour_event.pk,
        )
        assert one.return_id == LeadReturn.objects.get(lead=world.last_hour).pk
        assert (one.at, one.due_at, one.left) == (t(12, 8, 30), t(12, 9), dt.timedelta(minutes=30))
        assert found[world.wendy_return.pk].left == dt.timedelta(hours=1)  # the edge counts
        # the one after the window is a late return (a breach), not this signal
        assert clock(world.after_window, "return_window").outcome == "late_return"

    def test_a_reassignment_just_before_acceptance_breached(self, world):
        found = {s.lead_id: s for s in world.everyone.reassignment_resets}
        assert set(found) == {world.reset.pk, world.wendy_reset.pk}
        one = found[world.reset.pk]
        old, new = clock(world.reset, "acceptance", 1), clock(world.reset, "acceptance", 2)
        assert old.outcome == "cancelled_reassigned"
        assert (one.clock_id, one.new_clock_id, one.used_percent) == (old.pk, new.pk, 83)
        assert (one.person_id, one.new_owner_id, one.new_team_id) == (
            world.sam.pk,
            world.wendy.pk,
            world.west.pk,
        )
        assert (one.by_user_id, one.by_system, one.event_id) == (
            world.manager.pk,
            "",
            world.reset_event.pk,
        )
        exact = found[world.wendy_reset.pk]  # 90 of 120 minutes: exactly 75 %
        assert (exact.used_percent, exact.by_user_id) == (75, world.wendy.pk)
        assert new.owner_id == world.wendy.pk
        assert new.started_at == t(10, 10, 40)
        # the breached one is a breach, not a reset; a claim from the pool is no hand-over
        assert clock(world.breached, "acceptance", 1).outcome == "breached"
        assert clock(world.pooled, "acceptance", 1).outcome == "cancelled_reassigned"

    def test_counts_per_signal_and_per_person(self, world):
        signals = world.everyone
        assert signals.counts == {
            "backdated_touch": 3,
            "last_minute_stop": 4,
            "no_answer_burst": 2,
            "late_window_return": 2,
            "reassignment_reset": 2,
        }
        assert signals.per_person == {
            world.sam.pk: {
                "backdated_touch": 2, "no_answer_burst": 1, "late_window_return": 1,
                "reassignment_reset": 1,
            },
            world.sue.pk: {"last_minute_stop": 3},
            world.wendy.pk: {
                "backdated_touch": 1, "last_minute_stop": 1, "no_answer_burst": 1,
                "late_window_return": 1, "reassignment_reset": 1,
            },
        }  # fmt: skip
        assert signals.lead_ids["no_answer_burst"] == tuple(
            sorted((world.burst.pk, world.wendy_burst.pk))
        )
        plain = signals.as_dict()
        assert plain["counts"] == signals.counts
        backdated = plain["signals"]["backdated_touch"]  # oldest recorded first
        assert [row["touch_id"] for row in backdated] == [
            world.early_backdate_touch.pk,
            world.backdated_touch.pk,
            world.wendy_backdated_touch.pk,
        ]
        assert backdated[1]["back"] == 7200.0
        assert backdated[1]["at"] == "2026-03-10T06:00:00+00:00"
        assert plain["per_person"][str(world.sue.pk)] == {"last_minute_stop": 3}

    def test_a_managers_scope_is_their_teams(self, world):
        scope = gaming.scope_for(world.manager)
        assert scope == Scope.teams([world.east.pk])
        mine = gaming.gaming_signals(START, END, scope)
        assert set(mine.per_person) == {world.sam.pk, world.sue.pk}
        assert mine.counts == {
            "backdated_touch": 2,
            "last_minute_stop": 3,
            "no_answer_burst": 1,
            "late_window_return": 1,
            # Sam's clock; Wendy's handed to Sue counts for Wendy, in West
            "reassignment_reset": 1,
        }
        assert {s.lead_id for s in mine.reassignment_resets} == {world.reset.pk}

    def test_a_persons_scope_is_their_own(self, world):
        wendy = gaming.gaming_signals(START, END, gaming.scope_for(world.wendy))
        assert set(wendy.per_person) == {world.wendy.pk}
        assert all(count == 1 for count in wendy.counts.values())

    def test_a_read_all_role_sees_everyone(self, world):
        director = UserFactory(username="g-dana", roles=["director"])
        assert gaming.scope_for(director) == EVERYONE

    def test_another_month_has_none_of_them(self, world):
        start, end = month_bounds(dt.date(2026, 4, 1), SH)
        assert sum(gaming.gaming_signals(start, end).counts.values()) == 0

    def test_the_queries_are_fixed_whatever_the_data(self, world, django_assert_num_queries):
        with django_assert_num_queries(gaming.QUERIES):
            full = gaming.gaming_signals(START, END)
        assert sum(full.counts.values()) == 13
        start, end = month_bounds(dt.date(2026, 4, 1), SH)
        with django_assert_num_queries(gaming.QUERIES):
            gaming.gaming_signals(start, end, Scope.teams([world.east.pk]))
        with django_assert_num_queries(gaming.QUERIES - 1):
            gaming.gaming_signals(START, END, Scope.person(world.sam.pk), min_attempts=6)


def test_a_naive_or_backwards_span_is_refused():
    with pytest.raises(ValueError, match="aware"):
        gaming.gaming_signals(dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1))
    with pytest.raises(ValueError, match="ends before"):
        gaming.gaming_signals(END, START)
    with pytest.raises(ValueError, match="not both"):
        Scope(team_ids=frozenset({1}), person_id=2)


def test_the_month_is_read_in_the_default_calendars_zone():
    signals = gaming.month_gaming_signals(dt.date(2026, 3, 1))
    assert (signals.start, signals.end) == (START, END)  # the default calendar is Shanghai's


def test_every_signal_has_a_name_and_a_description_with_its_thresholds():
    from django.utils import translation

    from sla.compliance import gaming_words

    with translation.override("en"):
        for signal in gaming.SIGNALS:
            assert gaming_words.signal_name(signal)
            assert "%(" not in gaming_words.signal_description(signal)
        assert "more than 60 minutes" in gaming_words.signal_description(gaming.BACKDATED)
        assert "last 10% of their target or the last 15 minutes" in (
            gaming_words.signal_description(gaming.LAST_MINUTE)
        )
        words = gaming_words.signal_description(gaming.NO_ANSWER, min_attempts=8)
        assert "at least 3 “no answer” touches within 30 minutes" in words
        assert "minimum of 8 attempts" in words
        assert "last 60 minutes" in gaming_words.signal_description(gaming.LATE_WINDOW)
        assert "after 75% of their target" in gaming_words.signal_description(gaming.RESET)
