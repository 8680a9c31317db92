"""The sweep (issue 12 §4): each step at its minute, to its recipients, once; nothing
for clocks that are not running; return windows close; a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla.models import Clock, Notification, TeamSla, WebhookDelivery
from sla.notify.sweep import sweep
from tests.factories import LeadFactory, UserFactory
from tests.sla.notify.conftest import MINUTE, T0, make_clock

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def sent(clock=None, **filters) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(**filters)
    if clock is not None:
        rows = rows.filter(clock=clock)
    return sorted(rows.values_list("step", "recipient__username"))


def test_the_warning_comes_at_warn_at_not_a_minute_early(sdr, sdr_team_east):
    clock = make_clock(owner=sdr, team=sdr_team_east)

    assert sweep(now=T0 + 3 * H - MINUTE)["warning"] == 0
    assert sent(clock) == []

    counts = sweep(now=T0 + 3 * H)
    assert (counts["warning"], counts["notifications"]) == (1, 1)
    assert sent(clock) == [("warning", "sam")]
    clock.refresh_from_db()
    assert clock.warned_sent_at == T0 + 3 * H
    assert clock.breached_at is None
    assert clock.breach_sent_at is None
    row = Notification.objects.get()
    assert (row.lead_id, row.read_at, row.emailed_at) == (clock.lead_id, None, None)


def test_the_breach_comes_at_due_at_and_records_the_breach(sdr, sdr_team_east):
    clock = make_clock(owner=sdr, team=sdr_team_east)
    sweep(now=T0 + 3 * H)

    assert sweep(now=T0 + 4 * H - MINUTE)["breach"] == 0
    assert sweep(now=T0 + 4 * H)["breach"] == 1

    clock.refresh_from_db()
    assert (clock.breached_at, clock.breach_sent_at) == (T0 + 4 * H, T0 + 4 * H)
    assert clock.state == Clock.State.RUNNING  # a breached clock runs until its stop event
    assert sent(clock) == [("breach", "sam"), ("warning", "sam")]


def test_a_breach_the_engine_recorded_keeps_its_time(sdr):
    clock = make_clock(owner=sdr, breached_at=T0 + 4 * H + 5 * MINUTE, warned_sent_at=T0)
    sweep(now=T0 + 5 * H)
    clock.refresh_from_db()
    assert clock.breached_at == T0 + 4 * H + 5 * MINUTE


def test_a_clock_found_past_due_gets_only_the_breach(sdr):
    clock = make_clock(owner=sdr)

    counts = sweep(now=T0 + 4 * H + 30 * MINUTE)  # the sweep did not run for a while

    assert (counts["warning"], counts["breach"]) == (1, 1)  # both marked sent
    assert sent(clock) == [("breach", "sam")]  # only the breach said
    clock.refresh_from_db()
    assert clock.warned_sent_at is not None


def test_escalation_to_the_manager_then_to_the_teams_director(
    sdr, sdr_team_east, sales_manager, director
):
    other_director = UserFactory(username="otto", roles=["director"])
    TeamSla.objects.create(team=sdr_team_east, escalation_director=other_director)
    clock = make_clock(owner=sdr, team=sdr_team_east)
    sweep(now=T0 + 4 * H)

    assert sweep(now=T0 + 6 * H - MINUTE)["manager"] == 0
    assert sweep(now=T0 + 6 * H)["manager"] == 1
    assert sent(clock, step="manager") == [("manager", "max")]

    assert sweep(now=T0 + 8 * H - MINUTE)["director"] == 0
    assert sweep(now=T0 + 8 * H)["director"] == 1
    assert sent(clock, step="director") == [("director", "otto")]  # not every director


def test_without_an_escalation_director_every_active_director_is_told(sdr, director):
    UserFactory(username="dora", roles=["director"])
    UserFactory(username="gone", roles=["director"], is_active=False)
    clock = make_clock(owner=sdr, warned_sent_at=T0, breach_sent_at=T0, manager_sent_at=T0)

    sweep(now=T0 + 8 * H)

    assert sent(clock) == [("director", "dana"), ("director", "dora")]


def test_no_team_no_manager_escalation_but_the_step_is_marked(sdr):
    clock = make_clock(owner=sdr, warned_sent_at=T0, breach_sent_at=T0)
    counts = sweep(now=T0 + 6 * H + MINUTE)
    assert counts["manager"] == 1
    assert counts["notifications"] == 0
    clock.refresh_from_db()
    assert clock.manager_sent_at is not None
    assert sweep(now=T0 + 6 * H + 2 * MINUTE)["manager"] == 0


def test_a_pooled_clock_warns_the_teams_manager(sdr_team_east, sales_manager):
    clock = make_clock(team=sdr_team_east)
    sweep(now=T0 + 3 * H)
    assert sent(clock) == [("warning", "max")]


def test_a_marketing_clock_without_owner_warns_the_marketing_manager_else_every_marketer(
    marketer, marketing_team
):
    second = UserFactory(username="mo", roles=["marketing"])
    with_team = make_clock(side="marketing", term="return_fix", team=marketing_team)
    sweep(now=T0 + 3 * H)
    assert sent(with_team) == [("warning", "mia"), ("warning", "mo")]  # no manager: all

    marketing_team.manager = second
    marketing_team.save()
    managed = make_clock(side="marketing", term="return_fix", team=marketing_team, seq=2)
    sweep(now=T0 + 3 * H + MINUTE)
    assert sent(managed) == [("warning", "mo")]


def test_a_director_clock_goes_to_the_escalation_director_else_every_director(
    director, sdr_team_east
):
    UserFactory(username="dora", roles=["director"])
    everyone = make_clock(side="director", term="dispute_settle")
    named = UserFactory(username="otto", roles=["director"])
    TeamSla.objects.create(team=sdr_team_east, escalation_director=named)
    teams = make_clock(side="director", term="dispute_settle", team=sdr_team_east)

    sweep(now=T0 + 3 * H)

    assert sent(everyone) == [("warning", "dana"), ("warning", "dora"), ("warning", "otto")]
    assert sent(teams) == [("warning", "otto")]


def test_inactive_owners_are_not_notified(sdr):
    sdr.is_active = False
    sdr.save()
    clock = make_clock(owner=sdr)
    assert sweep(now=T0 + 3 * H)["warning"] == 1
    assert sent(clock) == []


@pytest.mark.parametrize("state", ["stopped", "cancelled", "paused"])
def test_nothing_for_a_clock_that_is_not_running(sdr, state):
    clock = make_clock(owner=sdr, state=state)
    counts = sweep(now=T0 + 24 * H)
    assert counts == {
        "windows_closed": 0,
        "notifications": 0,
        "webhooks": 0,
        "warning": 0,
        "breach": 0,
        "manager": 0,
        "director": 0,
    }
    clock.refresh_from_db()
    assert (clock.warned_sent_at, clock.breach_sent_at, clock.breached_at) == (None, None, None)


def test_a_return_window_closes_unbreached_when_its_48_hours_pass(sdr):
    window = make_clock(
        term="return_window", owner=sdr, warn=None, due=timedelta(hours=48), manager=None,
        director=None, unit="hours",
    )  # fmt: skip

    assert sweep(now=T0 + 48 * H - MINUTE)["windows_closed"] == 0
    counts = sweep(now=T0 + 48 * H)

    assert counts["windows_closed"] == 1
    assert counts["breach"] == 0
    window.refresh_from_db()
    assert (window.state, window.outcome, window.stopped_at) == (
        "stopped",
        "window_closed",
        T0 + 48 * H,
    )
    assert window.breached_at is None
    assert window.breach_sent_at is None
    assert not Notification.objects.exists()


def test_the_sweep_run_twice_makes_each_row_once(sdr, sdr_team_east, sales_manager, director):
    TeamSla.objects.create(team=sdr_team_east, webhook_url="http://127.0.0.1:9/hook")
    clocks = [make_clock(owner=sdr, team=sdr_team_east) for _ in range(3)]
    first = sweep(now=T0 + 9 * H)
    second = sweep(now=T0 + 9 * H)

    # warning skipped (past due): breach (sam), manager (max), director (dana)
    assert first["notifications"] == 9
    assert first["webhooks"] == 9
    assert second["notifications"] == second["webhooks"] == 0
    assert Notification.objects.count() == 9
    assert WebhookDelivery.objects.count() == 9
    assert set(WebhookDelivery.objects.values_list("step", flat=True)) == {
        "breach",
        "manager",
        "director",
    }
    assert {c.pk for c in clocks} == set(Notification.objects.values_list("clock", flat=True))


def test_the_unique_constraint_holds_even_when_a_step_is_claimed_again(sdr):
    clock = make_clock(owner=sdr)
    sweep(now=T0 + 3 * H)
    Clock.objects.filter(pk=clock.pk).update(warned_sent_at=None)  # a hand-made edit
    assert sweep(now=T0 + 3 * H)["notifications"] == 0
    assert Notification.objects.filter(clock=clock).count() == 1


def test_the_sweep_runs_a_fixed_number_of_queries(
    sdr, sdr_team_east, sales_manager, director, marketer, django_assert_max_num_queries
):
    TeamSla.objects.create(team=sdr_team_east, webhook_url="http://127.0.0.1:9/hook")

    def clocks(n: int, start):
        for i in range(n):
            lead = LeadFactory()
            make_clock(lead=lead, owner=sdr, team=sdr_team_east, start=start)
            make_clock(lead=lead, side="director", term="dispute_settle", start=start)
            make_clock(lead=lead, side="marketing", term="return_fix", start=start, seq=i + 1)

    clocks(2, T0)
    with django_assert_max_num_queries(20) as few:
        assert sweep(now=T0 + 9 * H)["notifications"] > 0
    clocks(30, T0 + 24 * H)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert sweep(now=T0 + 33 * H)["notifications"] > 30


def test_nothing_due_costs_a_handful_of_statements(sdr, django_assert_max_num_queries):
    make_clock(owner=sdr)
    with django_assert_max_num_queries(8):
        assert sweep(now=T0)["notifications"] == 0
