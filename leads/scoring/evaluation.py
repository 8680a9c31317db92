"""Testing scoring models against history, and closed-loop calibration: pure maths.

No database, no Django: ``leads.scoring.history`` loads the rows, this module
counts. Both halves are documented here once, with every choice spelled out;
the pages and the API only show what these functions return.

Evaluation (how would a model have done over the last N months?)
================================================================

The window
    ``month_ends(as_of=..., months=N, tz=...)``: the last N *complete* calendar
    months before ``as_of``, in ``tz`` (the site's time zone). Month *k* covers
    ``[start_k, end_k)``; ``end_k`` is the first instant of the next month. The
    month ``as_of`` falls in is not part of the window (it is not over yet).

The leads
    Every lead *received* in the window (``start_0 <= received_at < end_{N-1}``).
    Leads received earlier are left out, even if they only crossed the
    threshold during the window: their first MQL may lie before the window,
    which we do not score, so counting them would credit a model with MQLs it
    made earlier. Each lead's fields are its current ones (the history of a
    field is not kept); its activities are replayed in time.

Scoring "as of a month end"
    Each lead is scored at the end of every month from the month it was
    received to the end of the window, with the activities it had by then (the
    engine ignores later ones; we score at ``end_k - 1 µs`` so an activity at the
    very first instant of the next month belongs to the next month). A model's
    **MQL month** for a lead is the FIRST month whose end finds the model saying
    ``is_mql``; a lead has at most one MQL month per model. Crossing the
    threshold mid-month and falling back below it before the month ends does
    not count (the issue asks for month-end snapshots).

Outcomes (as of ``as_of``; ``leads.scoring.history`` reads them from the stage
events)
    - **won**: the lead reached ``won`` at or before ``as_of``;
    - **closed without a win**: not won, and its stage at ``as_of`` was ``lost``,
      ``disqualified``, ``excluded`` or ``customer_success``;
    - **open**: anything else (inquiry, mql, sal, sql, opportunity, nurture,
      returned) — the outcome is not known yet;
    - **reached SQL**: it reached ``sql``, ``opportunity`` or ``won`` at or
      before ``as_of`` (at any time, before or after its MQL month).

    *Leads with known outcomes* are the won and the closed ones. Open leads are
    NOT assumed lost: an inquiry nobody worked says nothing about whether it
    would have bought. They count in a model's MQL *volume* (the work it would
    have handed to sales) but not in its precision.

Per month and per model (``MonthStats`` / ``ModelStats``)
    - ``mqls``: leads whose MQL month is this month (volume; open ones included);
    - ``decided``: those of them with a known outcome (``open`` = the rest);
    - ``reached_sql`` / ``won``: of the ``decided``, how many reached SQL / won;
    - ``sql_rate`` = reached_sql / decided, ``precision`` = won / decided
      (None when nothing was decided);
    - ``won_deals`` (the same for every model): leads of the window *won in this
      month*; ``caught``: those the model had made an MQL by this month's end
      (its MQL month is this one or earlier) — flagged, with what was known at
      a month end, no later than the month the deal closed;
    - ``recall`` = caught / won_deals (None without wins).
    Totals sum the counts over the window and recompute the rates from the
    sums. A deal won after the window (between the last month end and
    ``as_of``) counts as won for precision but is in no month's recall.

Edge effects, to read the numbers right: the first months miss the deals whose
lead came in before the window (long sales cycles), and the last months have
more open leads (recent leads have not closed yet). Both models suffer the
same, so the comparison stays fair.

Speed: each model is compiled once; fit does not change with time, so a lead
that fails a must-rule (or, with ``grade_and_interest``, the minimum grade) is
scored once; and a lead is not re-scored at a month end when no activity
arrived since the previous one — interest points are never negative, so with
nothing new the interest can only decay or leave the window, and a lead that
was no MQL stays no MQL. The walk stops at the first MQL month.

Calibration (seed 003, closed-loop)
===================================

Over the leads *closed* in the window (won, or closed without a win as above;
``history`` supplies the counts), for each activity type: ``leads`` that did it
(at least once, before they closed), ``won`` among them, ``close_rate`` =
won / leads, and ``lift`` = close_rate / the **average close rate**.

The average close rate is the seed's "average close rate for all your marketing
activities": the close rate of the average activity, pooled over the types —
Σ won / Σ leads over every type, a lead counted once per type it did. Lift > 1
means "closes better than the typical activity". (The plain base rate, won /
closed over all closed leads, is reported too as ``base_close_rate``, but it is
not the yardstick: a lead that did many kinds of things appears in many rows,
and leads that did many things are the ones sales worked, so against the base
rate almost every type looks better than average.)

A type done by fewer than ``min_leads`` closed leads gets no suggestion
(``reason: too_few_leads``): its close rate is mostly noise. Without a win
among the eligible types there is nothing to learn (``reason: no_wins``).

Suggested points are proportional to lift, on the model's own scale: the type
with the highest lift gets the model's current highest interest points
(``reference_points``; 50 when the model has no interest rule) and every other
eligible type ``reference_points * lift / highest_lift`` rounded half up to
whole points.
A type whose lift is at least ``strong_lift`` (default 2: "markedly higher",
the seed's 1 % vs 3–5 %) is flagged as an MQL trigger candidate.

``calibrated_model`` turns a calibration and the published model into a new
model: the interest points of every type with a suggestion are replaced and
its cap is scaled by the same ratio (a cap on a type that had 0 points is
kept); a suggested type the model had no rule for gets a rule with the
reference rule's half-life, window and cap-to-points ratio, unless its
suggestion is 0 points; everything else (fit rules, grades, threshold,
decay of the existing rules) is kept.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from calendar import monthrange
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from leads.scoring.engine import (
    ACTIVITY_TYPES,
    GRADES,
    ActivityFact,
    CompiledModel,
    InterestRule,
    ScoringModel,
    compile_model,
    score_lead,
)

MONTHS_DEFAULT = 6
MONTHS_MAX = 24
CALIBRATION_MONTHS_DEFAULT = 12
MIN_LEADS_DEFAULT = 30
STRONG_LIFT_DEFAULT = 2.0
REFERENCE_POINTS_FALLBACK = 50.0
_JUST_BEFORE = timedelta(microseconds=1)


# --------------------------------------------------------------------- the window


def month_ends(*, as_of: datetime, months: int, tz: tzinfo) -> tuple[datetime, ...]:
    """The ends of the last ``months`` complete months before ``as_of``, oldest first.

    Each is the first instant of the following month in ``tz``; the last one is
    the start of the month ``as_of`` falls in.
    """
    if as_of.utcoffset() is None:
        raise ValueError(f"as_of must be timezone-aware, got naive {as_of!r}")
    if not 1 <= months <= MONTHS_MAX:
        raise ValueError(f"months must be 1 to {MONTHS_MAX}, got {months!r}")
    local = as_of.astimezone(tz)
    year, month = local.year, local.month
    ends = []
    for _ in range(months):
        ends.append(datetime(year, month, 1, tzinfo=tz))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    ends.reverse()
    return tuple(ends)


def month_start(end: datetime) -> datetime:
    """The first instant of the month that ends at ``end``."""
    year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
    return end.replace(year=year, month=month)


def months_back(at: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` calendar months before ``at`` (the day
    clamped to the month's length: 31 March minus one month is 28/29 February)."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return at.replace(year=year, month=month, day=min(at.day, monthrange(year, month)[1]))


def month_label(end: datetime) -> str:
    """``YYYY-MM`` of the month that ends at ``end``."""
    return month_start(end).strftime("%Y-%m")


# ------------------------------------------------------------------ the history


@dataclass(frozen=True, slots=True)
class HistoryLead:
    """One lead as the evaluation sees it.

    ``activities`` in time order (``history`` sorts them; ``evaluate`` relies on
    it). ``sql_at``: when it first reached sql/opportunity/won; ``won_at``: when
    it reached won; ``closed_at``: when it entered the closed-without-a-win
    stage it is in at ``as_of`` (None when open or won). The evaluation reads
    them as of its ``as_of``, so later times are ignored.
    """

    id: int
    facts: Mapping[str, Any]
    activities: Sequence[ActivityFact]
    received_at: datetime
    sql_at: datetime | None = None
    won_at: datetime | None = None
    closed_at: datetime | None = None
    synthetic: bool = False


# ------------------------------------------------------------------ the counts


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class ModelStats:
    mqls: int = 0
    decided: int = 0
    reached_sql: int = 0
    won: int = 0
    caught: int = 0

    def to_dict(self, *, won_deals: int) -> dict[str, Any]:
        return {
            "mqls": self.mqls,
            "decided": self.decided,
            "open": self.mqls - self.decided,
            "reached_sql": self.reached_sql,
            "won": self.won,
            "sql_rate": _rate(self.reached_sql, self.decided),
            "precision": _rate(self.won, self.decided),
            "caught": self.caught,
            "recall": _rate(self.caught, won_deals),
        }


@dataclass
class MonthStats:
    end: datetime
    received: int = 0
    received_decided: int = 0
    won_deals: int = 0
    models: dict[str, ModelStats] = field(default_factory=dict)


class Evaluation:
    """Accumulates leads one by one (``add``), then ``result()``.

    ``models`` maps a key (e.g. ``"draft"``, ``"baseline"``) to a model; each is
    compiled once here. Feed it every lead received in the window — leads
    received outside it are ignored (and not counted).
    """

    def __init__(
        self,
        *,
        models: Mapping[str, ScoringModel | CompiledModel],
        ends: Sequence[datetime],
        as_of: datetime,
    ) -> None:
        if not ends:
            raise ValueError("the window needs at least one month end")
        if as_of < ends[-1]:
            raise ValueError("as_of must not be before the window's last month end")
        self.compiled = {
            key: m if isinstance(m, CompiledModel) else compile_model(m)
            for key, m in models.items()
        }
        self.ends = tuple(ends)
        self.cutoffs = tuple(end - _JUST_BEFORE for end in self.ends)
        self.start = month_start(self.ends[0])
        self.as_of = as_of
        self.months = [
            MonthStats(end=end, models={key: ModelStats() for key in self.compiled})
            for end in self.ends
        ]
        self.leads = 0
        self.decided = 0
        self.won = 0
        self.open = 0
        self.synthetic = False
        self.scorings = 0
        # Skipping month ends without new activity is exact only when no interest
        # rule can add negative points (validate_model guarantees it; be safe).
        self._monotone = {
            key: all(points >= 0 for points, *_ in cm.interest.values())
            for key, cm in self.compiled.items()
        }

    def _month_of(self, at: datetime) -> int | None:
        """The window month that ``at`` falls in, or None outside the window."""
        if at < self.start or at >= self.ends[-1]:
            return None
        return bisect_right(self.ends, at)

    def _first_mql_month(self, key: str, lead: HistoryLead, first: int) -> int | None:
        cm = self.compiled[key]
        activities = lead.activities
        times = [a.occurred_at for a in activities]
        monotone = self._monotone[key]
        seen = -1
        for k in range(first, len(self.cutoffs)):
            cutoff = self.cutoffs[k]
            count = bisect_right(times, cutoff)
            if monotone and count == seen:
                continue  # nothing new since the last month end: still no MQL
            seen = count
            self.scorings += 1
            result = score_lead(
                lead=lead.facts, activities=activities[:count], model=cm, now=cutoff
            )
            if result.is_mql:
                return k
            if result.disqualified:
                return None  # fit never changes: a failed must-rule fails every month
            if cm.mode == "grade_and_interest" and GRADES.index(result.grade) > cm.min_grade_rank:
                return None
        return None

    def add(self, lead: HistoryLead) -> None:
        first = self._month_of(lead.received_at)
        if first is None:
            return
        as_of = self.as_of
        won = lead.won_at is not None and lead.won_at <= as_of
        closed = not won and lead.closed_at is not None and lead.closed_at <= as_of
        decided = won or closed
        reached_sql = won or (lead.sql_at is not None and lead.sql_at <= as_of)
        won_month = self._month_of(lead.won_at) if won and lead.won_at is not None else None

        self.leads += 1
        self.decided += decided
        self.won += won
        self.open += not decided
        self.synthetic = self.synthetic or lead.synthetic
        month = self.months[first]
        month.received += 1
        month.received_decided += decided
        if won_month is not None:
            self.months[won_month].won_deals += 1

        for key in self.compiled:
            k = self._first_mql_month(key, lead, first)
            if k is None:
                continue
            stats = self.months[k].models[key]
            stats.mqls += 1
            if decided:
                stats.decided += 1
                stats.reached_sql += reached_sql
                stats.won += won
            if won_month is not None and k <= won_month:
                self.months[won_month].models[key].caught += 1

    def add_all(self, leads: Iterable[HistoryLead]) -> None:
        for lead in leads:
            self.add(lead)

    def result(self) -> dict[str, Any]:
        """Everything, JSON-ready (times as ISO 8601 strings)."""
        totals = {key: ModelStats() for key in self.compiled}
        won_deals = 0
        months = []
        for month in self.months:
            won_deals += month.won_deals
            for key, stats in month.models.items():
                total = totals[key]
                total.mqls += stats.mqls
                total.decided += stats.decided
                total.reached_sql += stats.reached_sql
                total.won += stats.won
                total.caught += stats.caught
            months.append(
                {
                    "month": month_label(month.end),
                    "start": month_start(month.end).isoformat(),
                    "end": month.end.isoformat(),
                    "received": month.received,
                    "received_decided": month.received_decided,
                    "won_deals": month.won_deals,
                    "models": {
                        key: stats.to_dict(won_deals=month.won_deals)
                        for key, stats in month.models.items()
                    },
                }
            )
        return {
            "as_of": self.as_of.isoformat(),
            "start": self.start.isoformat(),
            "end": self.ends[-1].isoformat(),
            "per_month": months,
            "totals": {
                key: {**stats.to_dict(won_deals=won_deals), "won_deals": won_deals}
                for key, stats in totals.items()
            },
            "leads": {
                "received": self.leads,
                "decided": self.decided,
                "won": self.won,
                "open": self.open,
            },
            "versions": {key: cm.model.version for key, cm in self.compiled.items()},
            "synthetic": self.synthetic,
        }


def evaluate(
    *,
    leads: Iterable[HistoryLead],
    models: Mapping[str, ScoringModel | CompiledModel],
    ends: Sequence[datetime],
    as_of: datetime,
    progress: Callable[[int], None] | None = None,
    every: int = 1000,
) -> dict[str, Any]:
    """Evaluate ``models`` over ``leads`` (see the module docs); ``progress(n)`` is
    called with the number of leads read so far every ``every`` leads."""
    evaluation = Evaluation(models=models, ends=ends, as_of=as_of)
    read = 0
    for lead in leads:
        evaluation.add(lead)
        read += 1
        if progress is not None and read % every == 0:
            progress(read)
    if progress is not None:
        progress(read)
    return evaluation.result()


# ----------------------------------------------------------------- calibration


@dataclass(frozen=True)
class CalibrationRow:
    activity_type: str
    leads: int
    won: int
    close_rate: float | None
    lift: float | None
    current_points: float | None
    suggested_points: float | None
    reason: str | None  # why there is no suggestion: too_few_leads / no_wins
    trigger: bool  # lift >= strong_lift: a candidate MQL trigger

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity_type": self.activity_type,
            "leads": self.leads,
            "won": self.won,
            "close_rate": self.close_rate,
            "lift": self.lift,
            "current_points": self.current_points,
            "suggested_points": self.suggested_points,
            "reason": self.reason,
            "trigger": self.trigger,
        }


@dataclass(frozen=True)
class Calibration:
    closed: int
    won: int
    base_close_rate: float | None  # won / closed
    average_close_rate: float | None  # the yardstick of lift (see the module docs)
    reference_type: str | None  # the type with the highest lift (it gets reference_points)
    reference_points: float
    min_leads: int
    strong_lift: float
    rows: tuple[CalibrationRow, ...]

    @property
    def suggestion(self) -> dict[str, float]:
        """activity type -> suggested points, for the types that have one."""
        return {
            r.activity_type: r.suggested_points for r in self.rows if r.suggested_points is not None
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "closed": self.closed,
            "won": self.won,
            "base_close_rate": self.base_close_rate,
            "average_close_rate": self.average_close_rate,
            "reference_type": self.reference_type,
            "reference_points": self.reference_points,
            "min_leads": self.min_leads,
            "strong_lift": self.strong_lift,
            "rows": [r.to_dict() for r in self.rows],
            "suggestion": self.suggestion,
        }


def _rule_points(model: ScoringModel | None) -> dict[str, float]:
    if model is None:
        return {}
    return {r.activity_type: float(r.points) for r in model.interest_rules}


def calibrate(
    *,
    counts: Mapping[str, tuple[int, int]],
    closed: int,
    won: int,
    model: ScoringModel | None,
    min_leads: int = MIN_LEADS_DEFAULT,
    strong_lift: float = STRONG_LIFT_DEFAULT,
    activity_types: Sequence[str] = ACTIVITY_TYPES,
) -> Calibration:
    """The calibration table (see the module docs).

    ``counts``: activity type -> (closed leads that did it, won among them);
    ``closed`` / ``won``: all closed leads of the window and the won ones;
    ``model``: the published model (its points are shown and set the scale).
    Rows come in ``activity_types`` order, every type listed (0 when unseen).
    """
    if won > closed or closed < 0 or won < 0:
        raise ValueError(f"need 0 <= won <= closed, got won={won}, closed={closed}")
    current = _rule_points(model)
    reference_points = max(current.values(), default=0.0) or REFERENCE_POINTS_FALLBACK
    seen = []
    for kind in activity_types:
        did, did_won = counts.get(kind, (0, 0))
        if not 0 <= did_won <= did:
            raise ValueError(f"{kind}: {did_won} won of {did} leads")
        seen.append((kind, did, did_won))
    pooled = sum(did for _, did, _ in seen)
    average = sum(did_won for *_, did_won in seen) / pooled if pooled else None
    raw = []
    for kind, did, did_won in seen:
        close_rate = did_won / did if did else None
        # Lifts are rounded to 2 places before anything uses them: what the table
        # shows is what decided (and 0.3 / 0.1 is 3, not 2.9999999999999996).
        lift = round(close_rate / average, 2) if close_rate is not None and average else None
        raw.append((kind, did, did_won, close_rate, lift))
    eligible = [r for r in raw if r[1] >= min_leads and r[4] is not None]
    top = max(eligible, key=lambda r: r[4], default=None)
    best = top[4] if top is not None else 0.0
    rows = []
    for kind, did, did_won, close_rate, lift in raw:
        if not won:
            reason, points = "no_wins", None
        elif did < min_leads:
            reason, points = "too_few_leads", None
        elif not best or lift is None:
            reason, points = "no_wins", None
        else:
            reason, points = None, float(math.floor(reference_points * lift / best + 0.5))
        rows.append(
            CalibrationRow(
                activity_type=kind,
                leads=did,
                won=did_won,
                close_rate=round(close_rate, 4) if close_rate is not None else None,
                lift=lift,
                current_points=current.get(kind),
                suggested_points=points,
                reason=reason,
                trigger=points is not None and lift is not None and lift >= strong_lift,
            )
        )
    return Calibration(
        closed=closed,
        won=won,
        base_close_rate=round(won / closed, 4) if closed else None,
        average_close_rate=round(average, 4) if average is not None else None,
        reference_type=top[0] if top is not None and best else None,
        reference_points=reference_points,
        min_leads=min_leads,
        strong_lift=strong_lift,
        rows=tuple(rows),
    )


def calibrated_model(
    *, model: ScoringModel, suggestion: Mapping[str, float], label: str | None = None
) -> ScoringModel:
    """``model`` with the suggested interest points (see the module docs)."""
    if not suggestion:
        raise ValueError("the suggestion is empty")
    rules = []
    for rule in model.interest_rules:
        points = suggestion.get(rule.activity_type)
        if points is None:
            rules.append(rule)
            continue
        cap = rule.cap
        if cap is not None and float(rule.points) > 0:
            cap = round(float(cap) * points / float(rule.points), 2)
        rules.append(replace(rule, points=points, cap=cap))
    reference = max(model.interest_rules, key=lambda r: float(r.points), default=None)
    known = {r.activity_type for r in model.interest_rules}
    for kind, points in suggestion.items():
        if kind in known or not points:
            continue
        cap = None
        if reference is not None and reference.cap is not None and float(reference.points) > 0:
            cap = round(points * float(reference.cap) / float(reference.points), 2)
        rules.append(
            InterestRule(
                kind,
                points,
                cap=cap,
                half_life_days=reference.half_life_days if reference else None,
                window_days=reference.window_days if reference else None,
            )
        )
    return replace(
        model,
        label=model.label if label is None else label,
        interest_rules=tuple(rules),
    )
