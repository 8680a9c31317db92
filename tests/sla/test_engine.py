"""sla.engine: every clock's start, stop, pause and cycles from a lead's events, on a
business calendar (Mon–Fri 09:00–17:00 UTC) — pure, no database."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from sla import business_time as bt
from sla import engine
from sla import terms as T

UTC = dt.UTC
CAL = bt.Calendar(tz=bt.ZoneInfo("UTC"), hours={d: ((540, 1020),) for d in range(5)})
SDR, OTHER, AE, MARKETER, DIRECTOR = 11, 12, 21, 31, 41
TEAM, AE_TEAM = 5, 6
_ids = itertools.count(1)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Monday 2026-03-02 is day 0."""
    return dt.datetime(2026, 3, 2, hour, minute, tzinfo=UTC) + dt.timedelta(days=day)


def rules(definition=None):
    definition = definition or T.default_definition()

    def rule(term, seq, started, owner, team):
        index = T.choose_policy(definition, {"team": team})
        return engine.Rule(T.target(definition, index, term), 1, 1, 1, CAL)

    return rule


def ev(kind, when, **kwargs) -> engine.Event:
    return engine.Event(id=next(_ids), kind=kind, at=when, **kwargs)


def mql(when):
    return ev("stage_change", when, from_stage="inquiry", to_stage="mql", actor_system="scoring")


def assign(when, user=SDR, team=TEAM, by=None):
    return ev(
        "assignment",
        when,
        data={"to_user": user, "to_team": team},
        actor_user=by,
        actor_system="" if by else "routing",
    )


def move(when, before, after, by=SDR):
    return ev("stage_change", when, from_stage=before, to_stage=after, actor_user=by)


def touch(when, by=SDR):
    return ev("touch", when, actor_user=by, reason="no_answer")


def run(*events, now=None, definition=None):
    now = now or max(e.at for e in events)
    return engine.clocks(events, rules=rules(definition), now=now)


def one(clocks, term, seq=1):
    found = [c for c in clocks if c.term == term and c.seq == seq]
    assert len(found) == 1, [(c.term, c.seq) for c in clocks]
    return found[0]


def test_an_assigned_mql_gets_acceptance_first_touch_and_return_window():
    clocks = run(mql(at(0, 10)), assign(at(0, 10)))

    acceptance = one(clocks, T.ACCEPTANCE)
    assert (acceptance.state, acceptance.owner, acceptance.team) == ("running", SDR, TEAM)
    assert acceptance.due_at == at(0, 12)
    assert acceptance.warn_at == at(0, 11, 30)  # 75 % of 2 working hours
    assert acceptance.manager_at == at(0, 14)
    assert acceptance.director_at == at(0, 16)
    assert one(clocks, T.FIRST_TOUCH).due_at == at(0, 14)
    window = one(clocks, T.RETURN_WINDOW)
    assert window.due_at == at(2, 10)  # 48 plain hours
    assert window.warn_at is window.manager_at is None


def test_accepting_stops_acceptance_and_starts_the_status_update():
    clocks = run(mql(at(0, 10)), assign(at(0, 10)), move(at(0, 11), "mql", "sal"))

    acceptance = one(clocks, T.ACCEPTANCE)
    assert (acceptance.state, acceptance.outcome, acceptance.stopped_at) == (
        "stopped",
        "met",
        at(0, 11),
    )
    assert acceptance.elapsed == dt.timedelta(hours=1)
    update = one(clocks, T.STATUS_UPDATE)
    assert update.state == "running"
    assert update.started_at == at(0, 11)
    assert update.due_at == at(7, 11)  # 5 working days of 8 hours
    assert one(clocks, T.FIRST_TOUCH).state == "running"  # runs on until the touch


def test_accepting_late_is_a_breach_and_the_clock_keeps_running_until_then():
    events = [mql(at(0, 16)), assign(at(0, 16))]
    running = run(*events, now=at(1, 11))
    assert one(running, T.ACCEPTANCE).state == "running"
    assert one(running, T.ACCEPTANCE).breached_at == at(1, 10)  # 16–17 + 09–10

    clocks = run(*events, move(at(1, 12), "mql", "sal"))
    acceptance = one(clocks, T.ACCEPTANCE)
    assert (acceptance.outcome, acceptance.breached_at) == ("breached", at(1, 10))


def test_the_first_touch_stops_at_the_touchs_own_time_and_only_the_owners():
    clocks = run(
        mql(at(0, 9)),
        assign(at(0, 9)),
        touch(at(0, 10), by=OTHER),
        touch(at(0, 11)),
        now=at(0, 15),
    )

    first = one(clocks, T.FIRST_TOUCH)
    assert (first.state, first.stopped_at, first.outcome) == ("stopped", at(0, 11), "met")


def test_a_lead_nobody_took_breaches_too():
    clocks = run(
        mql(at(0, 9)), assign(at(0, 9), user=None), now=at(0, 12)
    )  # nobody available: the team's pool

    acceptance = one(clocks, T.ACCEPTANCE)
    assert acceptance.owner is None
    assert acceptance.breached_at == at(0, 11)
    with pytest.raises(AssertionError):
        one(clocks, T.RETURN_WINDOW)  # the window opens with a person only


def test_reassignment_restarts_acceptance_carries_first_touch_keeps_the_window():
    clocks = run(mql(at(0, 9)), assign(at(0, 9)), assign(at(0, 10), user=OTHER))

    old, new = one(clocks, T.ACCEPTANCE, 1), one(clocks, T.ACCEPTANCE, 2)
    assert (old.state, old.outcome, old.owner) == ("cancelled", "cancelled_reassigned", SDR)
    assert (new.state, new.owner, new.started_at, new.due_at) == (
        "running",
        OTHER,
        at(0, 10),
        at(0, 12),
    )
    first = one(clocks, T.FIRST_TOUCH)
    assert (first.owner, first.started_at, first.due_at) == (OTHER, at(0, 9), at(0, 13))
    window = one(clocks, T.RETURN_WINDOW)
    assert (window.owner, window.started_at) == (OTHER, at(0, 9))


def test_a_reassignment_after_the_breach_ends_the_old_clock_breached():
    clocks = run(mql(at(0, 9)), assign(at(0, 9)), assign(at(0, 14), user=OTHER))

    old = one(clocks, T.ACCEPTANCE, 1)
    assert (old.state, old.outcome, old.breached_at) == ("stopped", "breached", at(0, 11))


def test_a_claim_from_the_pool_is_a_reassignment():
    clocks = run(mql(at(0, 9)), assign(at(0, 9), user=None), assign(at(0, 10), user=SDR, by=SDR))

    assert one(clocks, T.ACCEPTANCE, 1).outcome == "cancelled_reassigned"
    assert one(clocks, T.ACCEPTANCE, 2).owner == SDR
    assert one(clocks, T.RETURN_WINDOW).started_at == at(0, 10)


def test_an_sal_reassigned_when_its_owner_goes_away_gets_no_acceptance_clock():
    clocks = run(
        mql(at(0, 9)),
        assign(at(0, 9)),
        move(at(0, 10), "mql", "sal"),
        assign(at(0, 11), user=OTHER),
    )

    assert [c.seq for c in clocks if c.term == T.ACCEPTANCE] == [1]
    assert one(clocks, T.STATUS_UPDATE).owner == OTHER


def test_a_return_inside_the_window_untouched_and_marketings_fix():
    events = [
        mql(at(0, 9)),
        assign(at(0, 9)),
        ev(
            "return",
            at(0, 10),
            actor_user=SDR,
            reason="wrong_information",
            from_stage="mql",
            to_stage="returned",
        ),
        move(at(0, 10), "mql", "returned"),
    ]
    clocks = run(*events)

    assert one(clocks, T.ACCEPTANCE).outcome == "met"
    assert one(clocks, T.FIRST_TOUCH).outcome == "cancelled_untouched"
    window = one(clocks, T.RETURN_WINDOW)
    assert (window.state, window.outcome) == ("stopped", "met")
    fix = one(clocks, T.RETURN_FIX)
    assert (fix.side, fix.owner, fix.due_at) == ("marketing", None, at(3, 10))

    resent = run(*events, move(at(1, 10), "returned", "mql", by=MARKETER), assign(at(1, 10)))
    assert one(resent, T.RETURN_FIX).outcome == "met"
    # a new round: new acceptance, first touch and window clocks
    assert one(resent, T.ACCEPTANCE, 2).started_at == at(1, 10)
    assert one(resent, T.FIRST_TOUCH, 2).state == "running"
    assert one(resent, T.RETURN_WINDOW, 2).state == "running"


def test_the_return_window_closes_unbreached_and_a_later_return_is_the_breach():
    events = [mql(at(0, 9)), assign(at(0, 9)), move(at(0, 10), "mql", "sal")]
    closed = one(run(*events, now=at(3, 9)), T.RETURN_WINDOW)
    assert (closed.state, closed.outcome, closed.stopped_at, closed.breached_at) == (
        "stopped",
        "window_closed",
        at(2, 9),
        None,
    )

    late = run(
        *events,
        ev(
            "return",
            at(3, 9),
            actor_user=SDR,
            reason="not_icp",
            from_stage="sal",
            to_stage="nurture",
        ),
        move(at(3, 9), "sal", "nurture"),
    )
    window = one(late, T.RETURN_WINDOW)
    assert (window.outcome, window.breached_at) == ("late_return", at(3, 9))


def test_the_sql_handoff_runs_from_sql_to_the_aes_answer():
    events = [
        mql(at(0, 9)),
        assign(at(0, 9)),
        move(at(0, 10), "mql", "sal"),
        move(at(0, 11), "sal", "sql"),
        assign(at(0, 11), user=None, team=AE_TEAM),
    ]
    handoff = one(run(*events), T.SQL_HANDOFF)
    assert (handoff.owner, handoff.team, handoff.due_at) == (None, AE_TEAM, at(1, 11))

    accepted = run(
        *events,
        assign(at(1, 9), user=AE, team=AE_TEAM, by=AE),
        move(at(1, 9, 30), "sql", "opportunity", by=AE),
    )
    handoff = one(accepted, T.SQL_HANDOFF)
    assert (handoff.outcome, handoff.owner, handoff.elapsed) == ("met", AE, dt.timedelta(hours=6.5))


def test_status_updates_cycle_each_met_or_breached_on_its_own():
    events = [
        mql(at(0, 9)),
        assign(at(0, 9)),
        move(at(0, 9), "mql", "sal"),
        touch(at(2, 9)),
        ev("score_change", at(3, 9), actor_system="scoring"),  # never an update
        ev("note", at(10, 9), actor_user=SDR),  # cycle 2 was due at the end of day 8
    ]
    clocks = run(*events, now=at(10, 10))

    first, second, third = (one(clocks, T.STATUS_UPDATE, n) for n in (1, 2, 3))
    assert (first.outcome, first.stopped_at) == ("met", at(2, 9))
    assert (second.outcome, second.breached_at, second.stopped_at) == (
        "breached",
        at(8, 17),
        at(10, 9),
    )
    assert third.state == "running"
    assert third.started_at == at(10, 9)


def test_a_dispute_pauses_marketings_fix_in_business_time_and_starts_the_directors():
    events = [
        mql(at(0, 9)),
        assign(at(0, 9)),
        ev(
            "return",
            at(0, 16),
            actor_user=SDR,
            reason="not_icp",
            from_stage="mql",
            to_stage="returned",
        ),
        move(at(0, 16), "mql", "returned"),
        # disputed Monday 16:00 after 0 h elapsed... at Tuesday 10:00: 2 working hours used
        ev("dispute", at(1, 10), actor_user=MARKETER, reason="open"),
    ]
    paused = run(*events)
    fix = one(paused, T.RETURN_FIX)
    assert (fix.state, fix.paused_at, fix.due_at) == ("paused", at(1, 10), None)
    settle = one(paused, T.DISPUTE_SETTLE)
    assert (settle.side, settle.due_at) == ("director", at(3, 10))

    # settled Friday 16:00: three calendar days and a weekend later, 30 working hours
    # paused; 22 working hours were left → due 22 working hours after Friday 16:00
    settled = run(*events, ev("dispute", at(4, 16), actor_user=DIRECTOR, reason="upheld"))
    fix = one(settled, T.RETURN_FIX)
    assert fix.state == "running"
    assert fix.due_at == bt.add_working(CAL, at(4, 16), dt.timedelta(hours=22))
    assert fix.due_at == at(9, 14)  # Mon 1 h, Tue–Wed 16 h, Thu 09–14
    assert one(settled, T.DISPUTE_SETTLE).outcome == "breached"  # 2 working days: Thu 10:00


def test_the_systems_moves_cancel_clocks_a_persons_stop_them():
    events = [mql(at(0, 9)), assign(at(0, 9))]
    opted_out = run(
        *events,
        ev("stage_change", at(0, 10), from_stage="mql", to_stage="nurture", actor_system="consent"),
    )
    assert {c.term: (c.state, c.outcome) for c in opted_out} == {
        T.ACCEPTANCE: ("cancelled", "cancelled"),
        T.FIRST_TOUCH: ("cancelled", "cancelled"),
        T.RETURN_WINDOW: ("stopped", "window_closed"),
    }


def test_policies_pick_the_targets_first_match_wins():
    definition = T.default_definition()
    definition["policies"].insert(
        0, {"name": "East", "match": {"team": [TEAM]}, "targets": {"first_touch": {"target": 60}}}
    )
    clocks = run(mql(at(0, 9)), assign(at(0, 9)), definition=definition)

    first = one(clocks, T.FIRST_TOUCH)
    assert (first.policy, first.due_at) == ("East", at(0, 10))
    assert one(clocks, T.ACCEPTANCE).policy == "East"
    other = run(mql(at(0, 9)), assign(at(0, 9), team=99), definition=definition)
    assert one(other, T.FIRST_TOUCH).policy == "All leads"


def test_events_in_any_order_give_the_same_clocks():
    events = [
        mql(at(0, 9)),
        assign(at(0, 9)),
        touch(at(0, 9, 30)),
        move(at(0, 10), "mql", "sal"),
        move(at(0, 12), "sal", "sql"),
    ]
    forward = run(*events)
    backward = run(*reversed(events))
    assert [(c.term, c.seq, c.state, c.due_at) for c in forward] == [
        (c.term, c.seq, c.state, c.due_at) for c in backward
    ]
