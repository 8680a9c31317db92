"""A lead's SLA clocks from its event log (issue 12 §2): pure, no Django.

:func:`clocks` replays one lead's events, oldest first (by time, then id), and returns
every clock the SLA's terms give it. The same function serves the live path (the
events a transaction just wrote, with all the lead's earlier ones), the catch-up pass
and ``manage.py sla_replay``: live clocks equal replayed ones by construction.

The terms, in terms of the events (``sla.terms`` holds the numbers):

- **acceptance** — starts when a lead that is an MQL is assigned: to a person, to a
  team's pool or to nobody (``nobody_available``, ``unrouted``: a waiting hot lead
  breaches too). Stops at mql → sal or at a return (the SDR's answer); an SDR's other
  move out of MQL (disqualify, nurture) stops it too. A reassignment while it runs ends
  it ``cancelled_reassigned`` (``breached`` if it had already breached) and starts a new
  one for the new owner. A move out of MQL by the system (an opt-out, routing's
  competitor exclusion) cancels it.
- **first_touch** — the same start; stops at the owner's first touch, at the time the
  touch says it happened. A reassignment carries it over to the new owner. A return
  before any touch ends it ``cancelled_untouched``; the lead leaving sales otherwise
  cancels it. It runs on through SAL until the touch.
- **return_window** — an inverted window: starts at the first assignment to a person of
  an MQL, never restarts on reassignment; a return inside it stops it ``met``; when it
  elapses it stops ``window_closed`` (no breach); a return after it is a ``late_return``
  (breached at the return). The lead leaving sales before it ends closes it.
- **sql_handoff** — starts at sal → sql; the owner follows the SQL's assignment (a
  pooled SQL has none: its AE team's manager answers for it). Stops at any move out of
  SQL by a person (accepted → opportunity, rejected → nurture or disqualified);
  cancelled when the system moves it.
- **status_update** — recurring, from sal until a closed (won, lost) or side stage:
  each cycle is met by a person's touch, note, qualification, return or stage change
  (never a score change or an intake update), and the next cycle starts there. A cycle
  that breaches keeps running until such an update stops it (so it can escalate); the
  next cycle starts at that update.
- **return_fix** (marketing's) — starts at a return to marketing (the lead lands in
  "returned"); stops when marketing re-sends, nurtures or drops it; **paused while the
  return is disputed**: the working time between the dispute and its settlement does
  not count, and the deadline moves by exactly that working time (the pause is
  measured in the clock's own business time, not wall-clock).
- **dispute_settle** (a director's) — starts when marketing disputes a return; stops
  when a director settles it.

A clock's times are counted in its calendar's working time (``working_minutes``,
``working_days`` — a working day is :func:`sla.business_time.day_length`) or plain
24×7 time (``plain_minutes``). ``warn_at`` is when ``warn_percent`` of the target has
elapsed; ``manager_at`` and ``director_at`` are one and two ``escalate_every`` after
``due_at``. ``breached_at`` is ``due_at`` once the clock stops after it or ``now``
passes it while it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sla import business_time as bt
from sla import terms as T

# Stages, as leads.lifecycle names them (strings: this module imports no Django).
MQL, SAL, SQL, OPPORTUNITY = "mql", "sal", "sql", "opportunity"
RETURNED = "returned"
CLOSED_OR_SIDE = frozenset(
    {"won", "lost", "returned", "nurture", "disqualified", "customer_success", "excluded"}
)
SIDE_STAGES = frozenset({"returned", "nurture", "disqualified", "customer_success", "excluded"})
# A person's update meets a status-update cycle (a return's stage change counts as one).
UPDATE_KINDS = frozenset({"touch", "note", "qualification"})

RUNNING, PAUSED, STOPPED, CANCELLED = "running", "paused", "stopped", "cancelled"
MET, BREACHED = "met", "breached"
WINDOW_CLOSED, LATE_RETURN = "window_closed", "late_return"
CANCELLED_REASSIGNED, CANCELLED_UNTOUCHED, CANCELLED_CLOSED = (
    "cancelled_reassigned",
    "cancelled_untouched",
    "cancelled",
)


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    at: dt.datetime
    from_stage: str | None = None
    to_stage: str | None = None
    actor_user: int | None = None
    actor_system: str = ""
    reason: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """What a clock of one term runs on, as chosen when it starts."""

    target: T.Target
    terms_id: int | None
    calendar_id: int | None
    calendar_revision: int
    calendar: bt.Calendar


# (term, its number on the lead, started at, owner id, team id) → its rule
Rules = Callable[[str, int, dt.datetime, int | None, int | None], Rule]


@dataclass
class Clock:
    term: str
    seq: int
    side: str
    owner: int | None
    team: int | None
    started_at: dt.datetime
    rule: Rule
    state: str = RUNNING
    outcome: str = ""
    warn_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    manager_at: dt.datetime | None = None
    director_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    elapsed: dt.timedelta | None = None
    target: dt.timedelta = dt.timedelta()
    start_event_id: int | None = None
    stop_event_id: int | None = None
    # replay state
    counted: dt.timedelta = dt.timedelta()  # time counted before the running segment
    segment_start: dt.datetime | None = None

    @property
    def terms_id(self) -> int | None:
        return self.rule.terms_id

    @property
    def policy(self) -> str:
        return self.rule.target.policy

    @property
    def unit(self) -> str:
        return self.rule.target.unit

    @property
    def calendar_id(self) -> int | None:
        return self.rule.calendar_id

    @property
    def calendar_revision(self) -> int:
        return self.rule.calendar_revision

    def open(self) -> bool:
        return self.state in (RUNNING, PAUSED)


def _base(rule: Rule) -> bt.Calendar:
    """The calendar a clock counts in: plain 24×7 time in the calendar's zone, or it."""
    if rule.target.plain:
        return bt.Calendar.always(rule.calendar.tz)
    return rule.calendar


def _span(rule: Rule, amount: int) -> dt.timedelta:
    if rule.target.unit == "working_days":
        return amount * bt.day_length(rule.calendar)
    return dt.timedelta(minutes=amount)


class _Replay:
    def __init__(self, rules: Rules, now: dt.datetime) -> None:
        self.rules = rules
        self.now = now
        self.clocks: list[Clock] = []
        self.seq: dict[str, int] = {}
        self.round_seq: dict[str, int] = {}  # each term's count when the lead last became an MQL
        self.stage: str | None = None
        self.owner: int | None = None
        self.team: int | None = None
        self.returning = False  # a return was just recorded: its stage change follows

    # ---------------------------------------------------------------- clocks

    def running(self, term: str) -> Clock | None:
        for clock in reversed(self.clocks):
            if clock.term == term and clock.open():
                return clock
        return None

    def start(self, term: str, event: Event, *, owner=None, team=None) -> Clock:
        self.seq[term] = self.seq.get(term, 0) + 1
        rule = self.rules(term, self.seq[term], event.at, owner, team)
        clock = Clock(
            term=term,
            seq=self.seq[term],
            side=T.SIDES[term],
            owner=owner,
            team=team,
            started_at=event.at,
            rule=rule,
            start_event_id=event.id,
            target=_span(rule, rule.target.target),
        )
        self.clocks.append(clock)
        self._schedule(clock, event.at)
        return clock

    def _schedule(self, clock: Clock, since: dt.datetime) -> None:
        """(Re)compute the times of a clock running from ``since``."""
        base, target = _base(clock.rule), clock.target
        clock.segment_start = since
        clock.due_at = bt.add_working(base, since, max(target - clock.counted, dt.timedelta()))
        percent = clock.rule.target.warn_percent
        warn = target * percent / 100 if percent else None
        if warn is not None and warn > clock.counted:
            clock.warn_at = bt.add_working(base, since, warn - clock.counted)
        elif warn is None:
            clock.warn_at = None
        every = _span(clock.rule, clock.rule.target.escalate_every)
        if every:
            clock.manager_at = bt.add_working(base, clock.due_at, every)
            clock.director_at = bt.add_working(base, clock.manager_at, every)
        else:
            clock.manager_at = clock.director_at = None

    def _count(self, clock: Clock, until: dt.datetime) -> dt.timedelta:
        if clock.segment_start is None:
            return clock.counted
        until = max(until, clock.segment_start)
        return clock.counted + bt.working_between(_base(clock.rule), clock.segment_start, until)

    def stop(self, clock: Clock, event: Event, *, outcome: str | None = None, at=None) -> None:
        at = at or event.at
        clock.elapsed = self._count(clock, at)
        clock.counted, clock.segment_start = clock.elapsed, None
        clock.stopped_at, clock.stop_event_id = at, event.id if event else None
        clock.paused_at = None
        late = clock.due_at is not None and at > clock.due_at
        if late and clock.breached_at is None:
            clock.breached_at = clock.due_at
        clock.state = STOPPED
        clock.outcome = outcome or (BREACHED if clock.breached_at else MET)

    def cancel(self, clock: Clock, event: Event, outcome: str) -> None:
        """Cancelled — unless it had breached already: then it stops breached."""
        if clock.due_at is not None and event.at > clock.due_at and clock.state == RUNNING:
            self.stop(clock, event)
            return
        clock.elapsed = self._count(clock, event.at)
        clock.counted, clock.segment_start = clock.elapsed, None
        clock.stopped_at, clock.stop_event_id = event.at, event.id
        clock.paused_at = None
        clock.state, clock.outcome = CANCELLED, outcome

    def pause(self, clock: Clock, event: Event) -> None:
        if clock.state != RUNNING:
            return
        clock.counted = self._count(clock, event.at)
        clock.segment_start = None
        clock.state, clock.paused_at = PAUSED, event.at
        clock.due_at = clock.warn_at = clock.manager_at = clock.director_at = None

    def resume(self, clock: Clock, event: Event) -> None:
        if clock.state != PAUSED:
            return
        clock.state, clock.paused_at = RUNNING, None
        self._schedule(clock, event.at)

    # ---------------------------------------------------------------- events

    def apply(self, event: Event) -> None:
        handler = getattr(self, f"on_{event.kind}", None)
        if handler is not None:
            handler(event)
        if event.kind in UPDATE_KINDS and event.actor_user is not None:
            self.status_update(event)

    def on_created(self, event: Event) -> None:
        self.stage = event.to_stage or self.stage

    def on_assignment(self, event: Event) -> None:
        data = event.data or {}
        owner, team = data.get("to_user"), data.get("to_team")
        changed = owner != self.owner or team != self.team
        self.owner, self.team = owner, team
        if self.stage == MQL:
            acceptance = self.running(T.ACCEPTANCE)
            if acceptance is None:
                self.start(T.ACCEPTANCE, event, owner=owner, team=team)
            elif changed:
                self.cancel(acceptance, event, CANCELLED_REASSIGNED)
                self.start(T.ACCEPTANCE, event, owner=owner, team=team)
            first = self.running(T.FIRST_TOUCH)
            if first is None and not self._done_this_round(T.FIRST_TOUCH):
                self.start(T.FIRST_TOUCH, event, owner=owner, team=team)
            elif first is not None:
                first.owner, first.team = owner, team
            if (
                owner is not None
                and self.running(T.RETURN_WINDOW) is None
                and not self._done_this_round(T.RETURN_WINDOW)
            ):
                self.start(T.RETURN_WINDOW, event, owner=owner, team=team)
        for term in (T.RETURN_WINDOW, T.SQL_HANDOFF, T.STATUS_UPDATE):
            clock = self.running(term)
            if clock is not None:
                clock.owner, clock.team = owner, team

    def _done_this_round(self, term: str) -> bool:
        """Whether ``term`` already had a clock since the lead last became an MQL."""
        return self.seq.get(term, 0) > self.round_seq.get(term, 0)

    def _this_round(self, term: str) -> Clock | None:
        """``term``'s latest clock since the lead last became an MQL."""
        if not self._done_this_round(term):
            return None
        for clock in reversed(self.clocks):
            if clock.term == term:
                return clock
        return None

    def on_stage_change(self, event: Event) -> None:
        before, after = event.from_stage or self.stage, event.to_stage
        self.stage = after
        by_person = event.actor_user is not None
        if after == MQL and before != MQL:
            self.round_seq = dict(self.seq)
        returning, self.returning = self.returning, False
        if after in SIDE_STAGES:
            self.owner = self.team = None
        if before == MQL and after != MQL:
            acceptance = self.running(T.ACCEPTANCE)
            if acceptance is not None:
                if by_person:
                    self.stop(acceptance, event)
                else:
                    self.cancel(acceptance, event, CANCELLED_CLOSED)
        if after not in (MQL, SAL):
            for term in (T.FIRST_TOUCH, T.RETURN_WINDOW):
                clock = self.running(term)
                if clock is None:
                    continue
                if term == T.RETURN_WINDOW and clock.state == RUNNING:
                    self._close_window(clock, event)
                else:
                    self.cancel(
                        clock,
                        event,
                        CANCELLED_UNTOUCHED if returning else CANCELLED_CLOSED,
                    )
        if before == SQL and after != SQL:
            handoff = self.running(T.SQL_HANDOFF)
            if handoff is not None:
                if by_person:
                    self.stop(handoff, event)
                else:
                    self.cancel(handoff, event, CANCELLED_CLOSED)
        if after == SQL and before != SQL:
            self.start(T.SQL_HANDOFF, event, owner=self.owner, team=self.team)
        if before == RETURNED and after != RETURNED:
            fix = self.running(T.RETURN_FIX)
            if fix is not None:
                if fix.state == PAUSED:
                    self.resume(fix, event)
                self.stop(fix, event)
            settle = self.running(T.DISPUTE_SETTLE)
            if settle is not None:
                self.cancel(settle, event, CANCELLED_CLOSED)
        if after == RETURNED and before != RETURNED:
            self.start(T.RETURN_FIX, event, owner=None, team=None)
        # the status update: from sal until a closed or side stage
        update = self.running(T.STATUS_UPDATE)
        if after in CLOSED_OR_SIDE:
            if update is not None:
                if by_person:
                    self.stop(update, event)
                else:
                    self.cancel(update, event, CANCELLED_CLOSED)
        elif after == SAL and before == MQL and update is None:
            self.start(T.STATUS_UPDATE, event, owner=self.owner, team=self.team)
        elif update is not None and by_person:
            self.stop(update, event)
            self.start(T.STATUS_UPDATE, event, owner=self.owner, team=self.team)

    def _close_window(self, clock: Clock, event: Event) -> None:
        """The lead left sales while its return window was open: the window closes."""
        if clock.due_at is not None and event.at >= clock.due_at:
            self._window_elapsed(clock)
        else:
            self.stop(clock, event, outcome=WINDOW_CLOSED)

    def _window_elapsed(self, clock: Clock) -> None:
        clock.elapsed = clock.target
        clock.counted, clock.segment_start = clock.target, None
        clock.state, clock.outcome = STOPPED, WINDOW_CLOSED
        clock.stopped_at, clock.stop_event_id = clock.due_at, None

    def on_return(self, event: Event) -> None:
        self.returning = True
        acceptance = self.running(T.ACCEPTANCE)
        if acceptance is not None:
            self.stop(acceptance, event)
        window = self._this_round(T.RETURN_WINDOW)
        if window is not None:
            if window.state == RUNNING:
                if window.due_at is not None and event.at > window.due_at:
                    self._window_elapsed(window)
                    window.breached_at, window.outcome = event.at, LATE_RETURN
                    window.stop_event_id = event.id
                else:
                    self.stop(window, event, outcome=MET)
            elif window.outcome == WINDOW_CLOSED and window.breached_at is None:
                window.breached_at, window.outcome = event.at, LATE_RETURN
                window.stop_event_id = event.id

    def on_touch(self, event: Event) -> None:
        first = self.running(T.FIRST_TOUCH)
        if (
            first is not None
            and event.actor_user is not None
            and event.actor_user == first.owner
            and event.at >= first.started_at
        ):
            self.stop(first, event)

    def on_dispute(self, event: Event) -> None:
        fix = self.running(T.RETURN_FIX)
        if event.reason == "open":
            if fix is not None:
                self.pause(fix, event)
            if self.running(T.DISPUTE_SETTLE) is None:
                self.start(T.DISPUTE_SETTLE, event, owner=None, team=None)
        else:  # settled: upheld or overturned
            settle = self.running(T.DISPUTE_SETTLE)
            if settle is not None:
                self.stop(settle, event)
            if fix is not None:
                self.resume(fix, event)

    def status_update(self, event: Event) -> None:
        """A person's touch, note, qualification or return meets the running cycle."""
        update = self.running(T.STATUS_UPDATE)
        if update is None or event.at < update.started_at:
            return
        self.stop(update, event)
        if self.stage not in CLOSED_OR_SIDE:
            self.start(T.STATUS_UPDATE, event, owner=self.owner, team=self.team)

    # ---------------------------------------------------------------- the end

    def finish(self) -> list[Clock]:
        for clock in self.clocks:
            if clock.state != RUNNING or clock.due_at is None:
                continue
            if clock.term == T.RETURN_WINDOW:
                if self.now >= clock.due_at:
                    self._window_elapsed(clock)
            elif self.now >= clock.due_at and clock.breached_at is None:
                clock.breached_at = clock.due_at
        return [replace(clock) for clock in self.clocks]


def clocks(events: Iterable[Event], *, rules: Rules, now: dt.datetime) -> list[Clock]:
    """Every clock of one lead, from all of its events (any order: sorted here)."""
    replay = _Replay(rules, now)
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        replay.apply(event)
    return replay.finish()
