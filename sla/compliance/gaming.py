"""Gaming signals (issue 13 §3): the patterns that suggest someone games the SLA, for
a month and a scope (everyone, some teams, one person), each with the leads behind it.

A signal is a hint for a manager to look at, not a verdict: each one lists the ids
(leads, people, clocks, touches, events) a page or a report needs to show it. Every
signal is read in a fixed number of queries whatever the data size, through indexes
that exist (named per signal below). The thresholds are this module's constants.

- **Backdated touches** (``backdated_touch``) — a touch whose time (``Touch.at``, what
  the person said) is earlier than when it was recorded (``Touch.created_at``) by more
  than :data:`BACKDATED_AFTER`. The clocks believe the touch's own time, so a touch
  logged late but dated early can stop a first-touch or status-update clock in time:
  each one lists the clocks it stopped and whether it **beat a deadline** (a clock it
  stopped was due before the touch was recorded — without the past date it would have
  breached). A touch counts in the month it was recorded. Read from the touch events
  recorded around the month (``leadevent_recorded_idx``), their touches by primary
  key, the event and the clocks by ``(lead, at)`` and ``(lead, term, seq)``.
- **Last-minute stops** (``last_minute_stop``) — a clock stopped in time but at the
  last moment: in the last :data:`LAST_MINUTE_PERCENT` % of its target (working time
  as the clock counts it) or in the last :data:`LAST_MINUTE_SPAN` before it was due.
  First-touch and status-update clocks count when a touch stopped them; an acceptance
  clock is never stopped by a touch — it counts when the owner's answer (accept or
  return) stopped it. One now and then is normal; many for one person are a burst of
  touches kept for just before the deadline. Counted per person (the clock's owner).
  Read from the clocks stopped in the month (``sla_clock_term_stopped``).
- **"No answer" bursts before giving up** (``no_answer_burst``) — a lead given up on (a
  person's stage change from MQL or SAL to disqualified or nurture) whose last touches
  were at least :data:`NO_ANSWER_BURST_MIN` "no answer" attempts all within
  :data:`NO_ANSWER_SPAN`, and without which the lead would not have had the minimum
  attempts (the terms version's ``period.min_attempts``: 6 by default) — attempts
  padded to pass the gate rather than made. Counted for the person who gave up.
  Read from the stage changes of the month (``leadevent_kind_at_idx``) and those
  leads' touches (``touch_lead_at_idx``).
- **Returns at the window's end** (``late_window_return``) — a return filed inside the
  return window (48 plain hours from the first assignment) but in its last
  :data:`RETURN_WINDOW_LAST`: the SDR sat on the lead and returned it just before it
  became theirs for good. Counted for the returning owner. Read from the return-window
  clocks stopped in the month (``sla_clock_term_stopped``).
- **Reassignments that reset acceptance** (``reassignment_reset``) — an acceptance clock
  cancelled by a reassignment (outcome ``cancelled_reassigned``) after at least
  :data:`RESET_USED_PERCENT` % of its target had elapsed: the lead was handed over (by a
  manager, the SDR or the system) just before it breached, and the new owner's clock
  starts from zero. Lists the old owner (counted for them), the new owner and who
  reassigned (a person, or the system: routing, away rebalancing). A reassignment after
  the breach is a breach, and a claim from a team's pool (no old owner) is no
  hand-over: neither is listed. Read from
  the acceptance clocks stopped in the month (``sla_clock_term_stopped``).

A scope narrows every signal to the people it is counted for: one person, or the
members of some teams (a clock's own team counts too, as in
:func:`sla.clocks.selectors.clocks_visible_to`). :func:`scope_for` gives a viewer's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from django.db.models import (
    BigIntegerField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from leads import lifecycle
from leads.models import LeadEvent, Touch
from leads.people.models import Team
from sla import engine
from sla import terms as T
from sla.models import Clock

BACKDATED_AFTER = dt.timedelta(minutes=60)
"""A touch is backdated when its stated time is earlier than the moment it was recorded
by more than this (a call logged within the hour is normal bookkeeping)."""

LAST_MINUTE_PERCENT = 10
"""A clock stopped (in time) with at most this share of its target left (as the clock
counts time: working time for working-time terms) was stopped at the last minute."""

LAST_MINUTE_SPAN = dt.timedelta(minutes=15)
"""… or stopped at most this long (wall-clock time) before it was due."""

LAST_MINUTE_TERMS = (T.ACCEPTANCE, T.FIRST_TOUCH, T.STATUS_UPDATE)
"""The clocks whose last-minute stops are counted (a touch stops the last two; the
owner's answer, accept or return, stops acceptance)."""

NO_ANSWER_SPAN = dt.timedelta(minutes=30)
"""The "no answer" touches of a burst all lie within this span (first to last)."""

NO_ANSWER_BURST_MIN = 3
"""A burst is at least this many "no answer" touches in a row (fewer is not a burst)."""

RETURN_WINDOW_LAST = dt.timedelta(hours=1)
"""A return filed (in time) at most this long before its return window closes is filed
at its end."""

RESET_USED_PERCENT = 75
"""A reassignment resets an acceptance clock worth noting when at least this share of
the clock's target had elapsed."""

RECORDED_MARGIN = dt.timedelta(days=1)
"""How far around the month the touch events' ``recorded_at`` is read (the touch's own
``created_at`` then decides: the event is written a moment after it)."""

BACKDATED, LAST_MINUTE, NO_ANSWER, LATE_WINDOW, RESET = (
    "backdated_touch",
    "last_minute_stop",
    "no_answer_burst",
    "late_window_return",
    "reassignment_reset",
)
SIGNALS = (BACKDATED, LAST_MINUTE, NO_ANSWER, LATE_WINDOW, RESET)
GIVE_UP_FROM = (lifecycle.MQL, lifecycle.SAL)
GIVE_UP_TO = (lifecycle.DISQUALIFIED, lifecycle.NURTURE)


# ------------------------------------------------------------------ the scope


@dataclass(frozen=True)
class Scope:
    """Whose signals: everyone (both None), the members of ``team_ids`` (and the
    clocks of those teams), or one person."""

    team_ids: frozenset[int] | None = None
    person_id: int | None = None

    def __post_init__(self) -> None:
        if self.team_ids is not None and self.person_id is not None:
            raise ValueError("a scope is some teams or one person, not both")
        if self.team_ids is not None and not isinstance(self.team_ids, frozenset):
            object.__setattr__(self, "team_ids", frozenset(self.team_ids))

    @classmethod
    def teams(cls, team_ids: Iterable[int]) -> Scope:
        return cls(team_ids=frozenset(team_ids))

    @classmethod
    def person(cls, person_id: int) -> Scope:
        return cls(person_id=person_id)

    @property
    def everyone(self) -> bool:
        return self.team_ids is None and self.person_id is None

    def people(self, person: str) -> Q:
        """Rows whose ``person`` column is in the scope."""
        if self.person_id is not None:
            return Q(**{person: self.person_id})
        if self.team_ids is not None:
            members = Team.members.through.objects.filter(team_id__in=self.team_ids)
            return Q(**{f"{person}__in": members.values("user_id")})
        return Q()

    def clocks(self) -> Q:
        """Clocks in the scope: their owner's, or (for teams) their team's."""
        if self.team_ids is not None:
            return self.people("owner_id") | Q(team_id__in=self.team_ids)
        return self.people("owner_id")


EVERYONE = Scope()


def scope_for(viewer) -> Scope:
    """The signals a viewer may read, by the figures' rules
    (``sla.compliance.scope``): everyone's for directors, admins, integrations and
    marketing, a sales manager's teams', anyone else's own."""
    from sla.compliance import scope as figures_scope

    seen = figures_scope.scope_for(viewer)
    if seen.everything or seen.marketing:
        return EVERYONE
    if seen.teams:
        return Scope.teams(int(team) for team in seen.teams)
    return Scope.person(viewer.pk)


# ------------------------------------------------------------------ the signals


@dataclass(frozen=True)
class BackdatedTouch:
    signal: ClassVar[str] = BACKDATED
    touch_id: int
    lead_id: int
    person_id: int
    at: dt.datetime  # the time the touch states
    recorded_at: dt.datetime  # when it was recorded
    back: dt.timedelta  # recorded_at − at
    event_id: int | None
    stopped_clock_ids: tuple[int, ...]  # the first-touch / status-update clocks it stopped
    beat_deadline: bool  # one of them was due before the touch was recorded


@dataclass(frozen=True)
class LastMinuteStop:
    signal: ClassVar[str] = LAST_MINUTE
    clock_id: int
    lead_id: int
    person_id: int | None  # the clock's owner
    term: str
    at: dt.datetime  # stopped
    due_at: dt.datetime
    left: dt.timedelta  # due_at − at (wall-clock)
    used_percent: int  # of the target, as the clock counts time
    stop_event_id: int
    stop_kind: str  # touch (first touch, status update); stage_change or return (acceptance)
    touch_id: int | None


@dataclass(frozen=True)
class NoAnswerBurst:
    signal: ClassVar[str] = NO_ANSWER
    lead_id: int
    person_id: int  # who gave up
    event_id: int  # the stage change
    at: dt.datetime
    to_stage: str
    attempts: int  # touches on the lead up to giving up
    min_attempts: int
    touch_ids: tuple[int, ...]  # the burst, oldest first
    span: dt.timedelta  # first to last of the burst


@dataclass(frozen=True)
class LateWindowReturn:
    signal: ClassVar[str] = LATE_WINDOW
    clock_id: int  # the return window
    lead_id: int
    person_id: int | None  # the owner who returned it
    at: dt.datetime  # returned
    due_at: dt.datetime  # the window closed
    left: dt.timedelta
    event_id: int  # the return event
    return_id: int | None  # the LeadReturn


@dataclass(frozen=True)
class ReassignmentReset:
    signal: ClassVar[str] = RESET
    clock_id: int  # the cancelled acceptance clock
    lead_id: int
    person_id: int | None  # the old owner
    at: dt.datetime  # reassigned
    due_at: dt.datetime | None
    used_percent: int
    event_id: int  # the assignment
    new_owner_id: int | None  # None: to a team's pool or to nobody
    new_team_id: int | None
    new_clock_id: int | None  # the acceptance clock that started over
    by_user_id: int | None  # who reassigned (a manager, the SDR) …
    by_system: str  # … or the system (routing, away rebalancing)


Signal = BackdatedTouch | LastMinuteStop | NoAnswerBurst | LateWindowReturn | ReassignmentReset


@dataclass(frozen=True)
class GamingSignals:
    """A month's (or any span's) signals in a scope, each list oldest first."""

    start: dt.datetime
    end: dt.datetime
    scope: Scope
    min_attempts: int
    backdated_touches: tuple[BackdatedTouch, ...] = ()
    last_minute_stops: tuple[LastMinuteStop, ...] = ()
    no_answer_bursts: tuple[NoAnswerBurst, ...] = ()
    late_window_returns: tuple[LateWindowReturn, ...] = ()
    reassignment_resets: tuple[ReassignmentReset, ...] = ()
    _by_signal: dict[str, tuple] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_signal = {
            BACKDATED: self.backdated_touches,
            LAST_MINUTE: self.last_minute_stops,
            NO_ANSWER: self.no_answer_bursts,
            LATE_WINDOW: self.late_window_returns,
            RESET: self.reassignment_resets,
        }
        object.__setattr__(self, "_by_signal", by_signal)

    def of(self, signal: str) -> tuple:
        return self._by_signal[signal]

    def __iter__(self) -> Iterator[Signal]:
        for signal in SIGNALS:
            yield from self._by_signal[signal]

    @property
    def counts(self) -> dict[str, int]:
        """Per signal: how many."""
        return {signal: len(self._by_signal[signal]) for signal in SIGNALS}

    @property
    def per_person(self) -> dict[int | None, dict[str, int]]:
        """Per person (None: a pooled clock's), per signal: how many (signals with
        none left out)."""
        found: dict[int | None, dict[str, int]] = defaultdict(dict)
        for item in self:
            counts = found[item.person_id]
            counts[item.signal] = counts.get(item.signal, 0) + 1
        return dict(found)

    @property
    def lead_ids(self) -> dict[str, tuple[int, ...]]:
        """Per signal: the leads behind it, each once, ascending."""
        return {
            signal: tuple(sorted({item.lead_id for item in self._by_signal[signal]}))
            for signal in SIGNALS
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in ISO 8601, durations in seconds."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "scope": {
                "team_ids": sorted(self.scope.team_ids)
                if self.scope.team_ids is not None
                else None,
                "person_id": self.scope.person_id,
            },
            "min_attempts": self.min_attempts,
            "counts": self.counts,
            "per_person": {
                ("" if person is None else str(person)): counts
                for person, counts in self.per_person.items()
            },
            "signals": {
                signal: [_plain(asdict(item)) for item in self._by_signal[signal]]
                for signal in SIGNALS
            },
        }


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, dt.timedelta):
            value = value.total_seconds()
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


# ------------------------------------------------------------------ reading


def _int(key: str) -> Cast:
    """An integer inside a JSON ``data`` column (the ids events name)."""
    return Cast(KT(f"data__{key}"), BigIntegerField())


def _scaled(column: str, factor: int) -> ExpressionWrapper:
    return ExpressionWrapper(F(column) * Value(factor), output_field=DurationField())


def _percent(part: dt.timedelta | None, whole: dt.timedelta) -> int:
    if part is None or not whole:
        return 0
    return int(part * 100 // whole)


def _aware(*moments: dt.datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("gaming signals need aware datetimes")


def min_attempts_in_force(end: dt.datetime) -> int:
    """The minimum attempts before giving up of the terms version in force at ``end``
    (a month is measured with the version in force at its end): the version
    :func:`sla.policies.services.terms_in_force` chooses, in one query whether or not
    one was in force then (before every publication: the published one)."""
    from sla.policies.services import terms_in_force

    return int(T.period(terms_in_force(end).definition)["min_attempts"])


def backdated_touches(start, end, scope: Scope = EVERYONE) -> list[BackdatedTouch]:
    """Touches recorded in [start, end) dated more than BACKDATED_AFTER earlier. One
    query."""
    recorded = LeadEvent.objects.filter(
        kind=LeadEvent.Kind.TOUCH,
        recorded_at__gte=start - RECORDED_MARGIN,
        recorded_at__lt=end + RECORDED_MARGIN,
    ).values(touch=_int("touch_id"))
    event = (
        LeadEvent.objects.filter(lead_id=OuterRef("lead_id"), kind="touch", at=OuterRef("at"))
        .annotate(touch=_int("touch_id"))
        .filter(touch=OuterRef("pk"))
        .order_by("id")
    )

    def stopped(term: str, column: str) -> Subquery:
        clocks = Clock.objects.filter(
            lead_id=OuterRef("lead_id"), term=term, stop_event_id=OuterRef("event_id")
        )
        return Subquery(clocks.order_by("seq").values(column)[:1])

    rows = (
        Touch.objects.filter(
            scope.people("user_id"),
            pk__in=recorded,
            created_at__gte=start,
            created_at__lt=end,
            at__lt=F("created_at") - BACKDATED_AFTER,
        )
        .annotate(event_id=Subquery(event.values("pk")[:1]))
        .annotate(
            first_id=stopped(T.FIRST_TOUCH, "pk"),
            first_due=stopped(T.FIRST_TOUCH, "due_at"),
            update_id=stopped(T.STATUS_UPDATE, "pk"),
            update_due=stopped(T.STATUS_UPDATE, "due_at"),
        )
        .order_by("created_at", "id")
        .values_list(
            "pk",
            "lead_id",
            "user_id",
            "at",
            "created_at",
            "event_id",
            "first_id",
            "first_due",
            "update_id",
            "update_due",
        )  # fmt: skip
    )
    found = []
    for pk, lead, user, at, created, event_id, first, first_due, update, update_due in rows:
        dues = [due for due in (first_due, update_due) if due is not None]
        found.append(
            BackdatedTouch(
                touch_id=pk,
                lead_id=lead,
                person_id=user,
                at=at,
                recorded_at=created,
                back=created - at,
                event_id=event_id,
                stopped_clock_ids=tuple(c for c in (first, update) if c is not None),
                beat_deadline=any(at <= due < created for due in dues),
            )
        )
    return found


def last_minute_stops(start, end, scope: Scope = EVERYONE) -> list[LastMinuteStop]:
    """Clocks stopped in [start, end) in time but at the last minute. One query."""
    stop = LeadEvent.objects.filter(pk=OuterRef("stop_event_id")).order_by()
    rows = (
        Clock.objects.filter(
            scope.clocks(),
            term__in=LAST_MINUTE_TERMS,
            stopped_at__gte=start,
            stopped_at__lt=end,
            state=Clock.State.STOPPED,
            outcome=engine.MET,
            stop_event_id__isnull=False,
            due_at__isnull=False,
        )
        .annotate(used=_scaled("elapsed", 100))
        .filter(
            Q(stopped_at__gte=F("due_at") - LAST_MINUTE_SPAN)
            | Q(used__gte=_scaled("target", 100 - LAST_MINUTE_PERCENT))
        )
        .annotate(
            stop_kind=Subquery(stop.values("kind")[:1]),
            touch=Subquery(stop.values(t=_int("touch_id")).values("t")[:1]),
        )
        .filter(Q(term=T.ACCEPTANCE) | Q(stop_kind=LeadEvent.Kind.TOUCH))
        .order_by("stopped_at", "id")
        .values_list(
            "pk",
            "lead_id",
            "owner_id",
            "term",
            "stopped_at",
            "due_at",
            "elapsed",
            "target",
            "stop_event_id",
            "stop_kind",
            "touch",
        )  # fmt: skip
    )
    return [
        LastMinuteStop(
            clock_id=pk,
            lead_id=lead,
            person_id=owner,
            term=term,
            at=stopped,
            due_at=due,
            left=due - stopped,
            used_percent=_percent(elapsed, target),
            stop_event_id=event_id,
            stop_kind=kind or "",
            touch_id=touch if kind == LeadEvent.Kind.TOUCH else None,
        )
        for pk, lead, owner, term, stopped, due, elapsed, target, event_id, kind, touch in rows
    ]


def _burst(touches: list[tuple[int, dt.datetime, str]]) -> list[tuple[int, dt.datetime]]:
    """The trailing "no answer" touches all within NO_ANSWER_SPAN of the last one
    (``touches`` oldest first: id, at, outcome)."""
    burst: list[tuple[int, dt.datetime]] = []
    for pk, at, outcome in reversed(touches):
        if outcome != Touch.Outcome.NO_ANSWER:
            break
        if burst and burst[-1][1] - at > NO_ANSWER_SPAN:
            break
        burst.insert(0, (pk, at))
    return burst


def no_answer_bursts(
    start, end, scope: Scope = EVERYONE, *, min_attempts: int
) -> list[NoAnswerBurst]:
    """Leads given up on in [start, end) after a burst of "no answer" touches that
    carried them over the minimum attempts. Two queries."""
    give_ups = LeadEvent.objects.filter(
        scope.people("actor_user_id"),
        kind=LeadEvent.Kind.STAGE_CHANGE,
        at__gte=start,
        at__lt=end,
        from_stage__in=GIVE_UP_FROM,
        to_stage__in=GIVE_UP_TO,
        actor_user__isnull=False,
    )
    events = list(
        give_ups.order_by("at", "id").values_list(
            "pk", "lead_id", "actor_user_id", "at", "to_stage"
        )
    )
    touches: dict[int, list[tuple[int, dt.datetime, str]]] = defaultdict(list)
    rows = (
        Touch.objects.filter(lead_id__in=give_ups.values("lead_id"), at__lt=end)
        .order_by("lead_id", "at", "id")
        .values_list("lead_id", "pk", "at", "outcome")
    )
    for lead, pk, at, outcome in rows:
        touches[lead].append((pk, at, outcome))
    found = []
    for pk, lead, actor, at, to_stage in events:
        before = [t for t in touches.get(lead, ()) if t[1] <= at]
        burst = _burst(before)
        if len(burst) < NO_ANSWER_BURST_MIN:
            continue
        if len(before) < min_attempts or len(before) - len(burst) >= min_attempts:
            continue  # short of the minimum anyway, or had it without the burst
        found.append(
            NoAnswerBurst(
                lead_id=lead,
                person_id=actor,
                event_id=pk,
                at=at,
                to_stage=to_stage,
                attempts=len(before),
                min_attempts=min_attempts,
                touch_ids=tuple(t[0] for t in burst),
                span=burst[-1][1] - burst[0][1],
            )
        )
    return found


def late_window_returns(start, end, scope: Scope = EVERYONE) -> list[LateWindowReturn]:
    """Returns filed in [start, end) inside their window but in its last
    RETURN_WINDOW_LAST. One query."""
    event = LeadEvent.objects.filter(pk=OuterRef("stop_event_id")).order_by()
    rows = (
        Clock.objects.filter(
            scope.clocks(),
            term=T.RETURN_WINDOW,
            stopped_at__gte=start,
            stopped_at__lt=end,
            outcome=engine.MET,
            stop_event_id__isnull=False,
            due_at__isnull=False,
        )
        .filter(stopped_at__gte=F("due_at") - RETURN_WINDOW_LAST)
        .annotate(return_id=Subquery(event.values(r=_int("return_id")).values("r")[:1]))
        .order_by("stopped_at", "id")
        .values_list(
            "pk", "lead_id", "owner_id", "stopped_at", "due_at", "stop_event_id", "return_id"
        )
    )
    return [
        LateWindowReturn(
            clock_id=pk,
            lead_id=lead,
            person_id=owner,
            at=stopped,
            due_at=due,
            left=due - stopped,
            event_id=event_id,
            return_id=return_id,
        )
        for pk, lead, owner, stopped, due, event_id, return_id in rows
    ]


def reassignment_resets(start, end, scope: Scope = EVERYONE) -> list[ReassignmentReset]:
    """Acceptance clocks a reassignment cancelled in [start, end) after
    RESET_USED_PERCENT % of their target. One query."""
    event = LeadEvent.objects.filter(pk=OuterRef("stop_event_id")).order_by()
    new_clock = Clock.objects.filter(
        lead_id=OuterRef("lead_id"), term=T.ACCEPTANCE, start_event_id=OuterRef("stop_event_id")
    ).order_by("seq")
    rows = (
        Clock.objects.filter(
            scope.clocks(),
            term=T.ACCEPTANCE,
            stopped_at__gte=start,
            stopped_at__lt=end,
            outcome=engine.CANCELLED_REASSIGNED,
            stop_event_id__isnull=False,
            owner_id__isnull=False,  # a claim from a pool is not a hand-over
        )
        .annotate(used=_scaled("elapsed", 100))
        .filter(used__gte=_scaled("target", RESET_USED_PERCENT))
        .annotate(
            new_owner=Subquery(event.values(u=_int("to_user")).values("u")[:1]),
            new_team=Subquery(event.values(t=_int("to_team")).values("t")[:1]),
            by_user=Subquery(event.values("actor_user_id")[:1]),
            by_system=Subquery(event.values("actor_system")[:1]),
            new_clock=Subquery(new_clock.values("pk")[:1]),
        )
        .order_by("stopped_at", "id")
        .values_list(
            "pk",
            "lead_id",
            "owner_id",
            "stopped_at",
            "due_at",
            "elapsed",
            "target",
            "stop_event_id",
            "new_owner",
            "new_team",
            "new_clock",
            "by_user",
            "by_system",
        )  # fmt: skip
    )
    return [
        ReassignmentReset(
            clock_id=pk,
            lead_id=lead,
            person_id=owner,
            at=stopped,
            due_at=due,
            used_percent=_percent(elapsed, target),
            event_id=event_id,
            new_owner_id=new_owner,
            new_team_id=new_team,
            new_clock_id=new_clock,
            by_user_id=by_user,
            by_system=by_system or "",
        )
        for (
            pk,
            lead,
            owner,
            stopped,
            due,
            elapsed,
            target,
            event_id,
            new_owner,
            new_team,
            new_clock,
            by_user,
            by_system,
        ) in rows  # fmt: skip
    ]


QUERIES = 7
"""What :func:`gaming_signals` costs, whatever the data size: the terms version in
force (one), backdated touches (one), last-minute stops (one), "no answer" bursts
(two), returns at the window's end (one), reassignments (one)."""


def gaming_signals(
    start: dt.datetime,
    end: dt.datetime,
    scope: Scope = EVERYONE,
    *,
    min_attempts: int | None = None,
) -> GamingSignals:
    """Every gaming signal of [start, end) (aware instants; a month's from
    :func:`sla.scorecard.month_bounds`) in ``scope``. ``min_attempts``: the terms
    version's in force at ``end`` unless given. :data:`QUERIES` queries (one less
    with ``min_attempts`` given)."""
    _aware(start, end)
    if end <= start:
        raise ValueError("the span ends before it starts")
    if min_attempts is None:
        min_attempts = min_attempts_in_force(end)
    return GamingSignals(
        start=start,
        end=end,
        scope=scope,
        min_attempts=min_attempts,
        backdated_touches=tuple(backdated_touches(start, end, scope)),
        last_minute_stops=tuple(last_minute_stops(start, end, scope)),
        no_answer_bursts=tuple(no_answer_bursts(start, end, scope, min_attempts=min_attempts)),
        late_window_returns=tuple(late_window_returns(start, end, scope)),
        reassignment_resets=tuple(reassignment_resets(start, end, scope)),
    )


def month_gaming_signals(
    month: dt.date, scope: Scope = EVERYONE, *, tz: str | None = None
) -> GamingSignals:
    """A calendar month's signals; ``tz``: the default calendar's zone unless given
    (one query more)."""
    from sla.calendars.services import default_calendar
    from sla.scorecard import month_bounds

    start, end = month_bounds(month, tz or default_calendar().time_zone)
    return gaming_signals(start, end, scope)
