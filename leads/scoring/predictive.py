"""Predictive score: an Odoo-style naive Bayes probability of winning.

Pure Python, no Django. Trained from closed leads (``TrainingRow``: team, won or
lost, the stage a lost lead reached, and its fields as text).

Counting (``train``)
    Per team and globally, won/lost counts per (field, value); each closed lead
    counts once per field. Stages count cumulatively: a won lead counts on every
    stage, a lost lead on the stage it was lost at and every earlier one (so a
    stage's count means "got at least this far").

Predicting (``predict``)
    Counts come from the lead's team; a team with fewer than ``min_team_rows``
    closed leads, or without both a won and a lost one, falls back to the global
    counts (``team_counts_usable``). Every count gets
    ``smoothing`` (+0.1).
    - P(won) = smoothed won / (won + lost) on the first stage.
    - The stage factor = the stage's smoothed count / the first stage's (the
      first stage's factor is 1).
    - Any other field's factor = the value's smoothed count / the sum of that
      field's smoothed counts over every value seen for it.
    - A (field, value) seen fewer than ``min_count`` times in total (won + lost,
      before smoothing; Odoo uses 50) is left out, as in Odoo: it gives no
      factor and is not part of its field's sum either. A value never seen
      gives no factor. The stage is not subject to ``min_count``.
    - P = P(won)·Πf(won) / (P(won)·Πf(won) + P(lost)·Πf(lost)), in percent,
      clamped to 0.01–99.99.

Shrinkage toward the prior (``prior_weight`` k > 0; the product uses 5)
    Odoo's factors (``prior_weight`` 0, kept exactly as above) over-fit small
    groups: with 16 won leads in a year, a value seen on 40 lost leads and no won
    one divides the odds by 30, and a few such "facts" about the same lead put a
    hot grade-A demo lead at 0.0 %. With k > 0 every value's (and stage's) win
    rate is pulled toward the team's average win rate p as if k more leads had
    been seen at that average: r = (won + k·p) / (won + lost + k). Its factor is
    the lift r / p on the won side and (1 − r) / (1 − p) on the lost side (their
    ratio is the odds ratio; ``Factor.lift`` is what a person reads: "3× more
    likely than average"). A value seen on few leads stays near the
    average; one seen on hundreds keeps its own rate.

Temperature (``temperature`` T, fitted by ``train(fit_temperature=True)``)
    Naive Bayes multiplies its factors as if the fields were independent; they
    are not (a big company has a big revenue and a senior buyer), so the product
    is over-confident. The fields' summed log odds are divided by T:
    logit(P) = logit(p) + log(stage factor) + Σ log(field factors) / T. T is fitted
    on the training leads themselves, each predicted leave-one-out (its own
    counts removed, as at the first stage, as ``evaluate`` does) to the least log
    loss; the stage keeps its full weight (it is one direct rate, not a product).
    T = 1 is plain naive Bayes.

Behaviour (``behaviour_features``): activity counts per type bucketed into
``0`` / ``1`` / ``2+`` become extra fields (``activity:demo_request``), so what a
lead did weighs beside who it is.

``top_factors`` ranks the factors of one prediction by how far they moved the
odds (|log(f_won / f_lost)|); ``field_factors`` lists every factor one set of
counts can give (what moves the odds most over all leads). ``evaluate`` scores
held-out closed leads and reports accuracy (a prediction ≥ 50 % counts as
"won"), AUC (the probability that a random won lead scores above a random lost
one; ties count half), the Brier score and the base rate. A closed lead's
stage gives its outcome away, so ``evaluate`` predicts each held-out lead as at
the first stage.
``add_closed_lead`` updates the counts with one lead that just closed (before
re-scoring it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leads.scoring.engine import ACTIVITY_TYPES

STAGE = "stage"
GLOBAL = ""  # the key of the global counts
MIN_P, MAX_P = 0.01, 99.99


@dataclass(frozen=True)
class TrainingRow:
    won: bool
    fields: Mapping[str, str]
    stage: str | None = None  # a lost lead's last stage (None = the first); ignored if won
    team: str | None = None


@dataclass
class Counts:
    """Won/lost counts for one team (or the global set)."""

    rows: int = 0
    stage_won: dict[str, int] = field(default_factory=dict)
    stage_lost: dict[str, int] = field(default_factory=dict)
    # field -> value -> [won, lost]
    values: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    # (field, min_count, smoothing) -> the smoothed won and lost sums over the field's
    # kept values: computed once per field, not per prediction; cleared by ``_add``
    _sums: dict[tuple[str, int, float], tuple[float, float]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def sums(self, name: str, min_count: int, smoothing: float) -> tuple[float, float]:
        key = (name, min_count, smoothing)
        cached = self._sums.get(key)
        if cached is None:
            kept = [c for c in self.values.get(name, {}).values() if c[0] + c[1] >= min_count]
            cached = (
                sum(c[0] for c in kept) + smoothing * len(kept),
                sum(c[1] for c in kept) + smoothing * len(kept),
            )
            self._sums[key] = cached
        return cached

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "stage_won": dict(self.stage_won),
            "stage_lost": dict(self.stage_lost),
            "values": {f: {v: list(c) for v, c in vs.items()} for f, vs in self.values.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Counts:
        return cls(
            rows=d["rows"],
            stage_won=dict(d["stage_won"]),
            stage_lost=dict(d["stage_lost"]),
            values={f: {v: list(c) for v, c in vs.items()} for f, vs in d["values"].items()},
        )


@dataclass
class PredictiveModel:
    stages: tuple[str, ...]
    min_count: int = 50
    smoothing: float = 0.1
    min_team_rows: int = 1
    teams: dict[str, Counts] = field(default_factory=dict)  # GLOBAL = all teams
    prior_weight: float = 0.0  # k: shrink each rate toward the average (0: Odoo's factors)
    temperature: float = 1.0  # T: the fields' summed log odds are divided by it

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages),
            "min_count": self.min_count,
            "smoothing": self.smoothing,
            "min_team_rows": self.min_team_rows,
            "prior_weight": self.prior_weight,
            "temperature": self.temperature,
            "teams": {k: c.to_dict() for k, c in self.teams.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PredictiveModel:
        return cls(
            stages=tuple(d["stages"]),
            min_count=d["min_count"],
            smoothing=d["smoothing"],
            min_team_rows=d["min_team_rows"],
            teams={k: Counts.from_dict(c) for k, c in d["teams"].items()},
            # snapshots stored before shrinkage: Odoo's factors, untempered
            prior_weight=d.get("prior_weight", 0.0),
            temperature=d.get("temperature", 1.0),
        )


def _add(counts: Counts, row: TrainingRow, stages: tuple[str, ...]) -> None:
    counts._sums.clear()
    counts.rows += 1
    if row.won:
        reached = stages
    else:
        if row.stage is None:
            last = 0
        elif row.stage in stages:
            last = stages.index(row.stage)
        else:
            raise ValueError(f"unknown stage {row.stage!r} (stages: {', '.join(stages)})")
        reached = stages[: last + 1]
    target = counts.stage_won if row.won else counts.stage_lost
    for stage in reached:
        target[stage] = target.get(stage, 0) + 1
    slot = 0 if row.won else 1
    for name, value in row.fields.items():
        if name == STAGE:
            raise ValueError(f"{STAGE!r} is not a field: pass it as the row's stage")
        if value is None or value == "":
            continue
        pair = counts.values.setdefault(name, {}).setdefault(str(value), [0, 0])
        pair[slot] += 1


def add_closed_lead(model: PredictiveModel, row: TrainingRow) -> None:
    """Count one more closed lead (its team's counts and the global ones)."""
    _add(model.teams.setdefault(GLOBAL, Counts()), row, model.stages)
    if row.team:
        _add(model.teams.setdefault(row.team, Counts()), row, model.stages)


def train(
    *,
    rows: Sequence[TrainingRow],
    stages: Sequence[str],
    min_count: int = 50,
    smoothing: float = 0.1,
    min_team_rows: int = 1,
    prior_weight: float = 0.0,
    fit_temperature: bool = False,
) -> PredictiveModel:
    """Count ``rows``; with ``fit_temperature`` (and ``prior_weight`` > 0) fit the
    temperature on them, leave-one-out (see the module docs)."""
    if not stages:
        raise ValueError("at least one stage is needed")
    if not (math.isfinite(prior_weight) and prior_weight >= 0):
        raise ValueError("prior_weight must be a finite number, 0 or more")
    model = PredictiveModel(
        stages=tuple(stages),
        min_count=min_count,
        smoothing=smoothing,
        min_team_rows=min_team_rows,
        teams={GLOBAL: Counts()},
        prior_weight=float(prior_weight),
    )
    for row in rows:
        add_closed_lead(model, row)
    if fit_temperature and prior_weight > 0:
        model.temperature = fitted_temperature(model, rows)
    return model


def behaviour_features(
    activity_counts: Mapping[str, int], *, types: Sequence[str] = ACTIVITY_TYPES
) -> dict[str, str]:
    """``{"activity:demo_request": "0" | "1" | "2+", ...}`` for every type."""
    out = {}
    for name in types:
        n = activity_counts.get(name, 0)
        out[f"activity:{name}"] = "0" if n <= 0 else "1" if n == 1 else "2+"
    return out


@dataclass(frozen=True)
class Factor:
    field: str
    value: str
    won: float  # factor applied to the won side
    lost: float  # factor applied to the lost side

    @property
    def log_odds(self) -> float:
        return math.log(self.won / self.lost)

    @property
    def lift(self) -> float:
        """How many times the average win rate leads with this value won: with
        shrinkage the won side's factor itself (r / p); Odoo's factors are no
        rates, so their odds ratio stands in."""
        return self.won if self.shrunk else math.exp(self.log_odds)

    shrunk: bool = False  # computed with shrinkage toward the average (prior_weight > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "won": self.won,
            "lost": self.lost,
            "log_odds": self.log_odds,
            "lift": self.lift,
        }


@dataclass(frozen=True)
class Prediction:
    probability: float  # percent, 0.01–99.99
    team: str  # whose counts were used (GLOBAL = "" for the global ones)
    prior_won: float
    factors: tuple[Factor, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "team": self.team,
            "prior_won": self.prior_won,
            "factors": [f.to_dict() for f in self.factors],
        }


def team_counts_usable(model: PredictiveModel, team: str | None) -> bool:
    """A team's own counts are used when it has ``min_team_rows`` closed leads, at
    least one won and one lost: a team whose history holds only losses (an SDR team
    whose wins were closed by an AE's) would put every lead at ~0 %."""
    if not team:
        return False
    counts = model.teams.get(team)
    if counts is None or counts.rows < max(1, model.min_team_rows):
        return False
    first = model.stages[0]
    return bool(counts.stage_won.get(first)) and bool(counts.stage_lost.get(first))


def _counts_for(model: PredictiveModel, team: str | None) -> tuple[str, Counts]:
    if team and team_counts_usable(model, team):
        return team, model.teams[team]
    return GLOBAL, model.teams.get(GLOBAL, Counts())


def _shrunk(won: float, lost: float, p: float, k: float) -> float:
    """The win rate of ``won`` / ``lost`` pulled toward ``p`` by ``k`` leads' weight."""
    rate = (won + k * p) / (won + lost + k)
    return min(1 - 1e-9, max(1e-9, rate))


def _shrunk_factor(name: str, value: str, won: float, lost: float, p: float, k: float) -> Factor:
    rate = _shrunk(won, lost, p, k)
    return Factor(name, value, rate / p, (1 - rate) / (1 - p), shrunk=True)


def _stage_factor(model: PredictiveModel, counts: Counts, stage: str) -> Factor:
    s = model.smoothing
    first = model.stages[0]
    won_1 = counts.stage_won.get(first, 0) + s
    lost_1 = counts.stage_lost.get(first, 0) + s
    won_s = counts.stage_won.get(stage, 0)
    lost_s = counts.stage_lost.get(stage, 0)
    if model.prior_weight > 0:
        return _shrunk_factor(
            STAGE, stage, won_s, lost_s, won_1 / (won_1 + lost_1), model.prior_weight
        )
    return Factor(STAGE, stage, (won_s + s) / won_1, (lost_s + s) / lost_1)


def _value_factor(
    model: PredictiveModel, counts: Counts, name: str, value: str, pair: list[int], p: float
) -> Factor:
    if model.prior_weight > 0:
        return _shrunk_factor(name, value, pair[0], pair[1], p, model.prior_weight)
    s = model.smoothing
    won_sum, lost_sum = counts.sums(name, model.min_count, s)
    return Factor(name, value, (pair[0] + s) / won_sum, (pair[1] + s) / lost_sum)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def predict(
    model: PredictiveModel,
    *,
    fields: Mapping[str, str],
    stage: str | None = None,
    team: str | None = None,
) -> Prediction:
    """The probability (percent) that a lead with ``fields`` at ``stage`` is won."""
    used, counts = _counts_for(model, team)
    s = model.smoothing
    min_count = model.min_count
    first = model.stages[0]
    won_1 = counts.stage_won.get(first, 0) + s
    lost_1 = counts.stage_lost.get(first, 0) + s
    p_won = won_1 / (won_1 + lost_1)
    factors: list[Factor] = []
    log_odds = _logit(p_won)
    if stage is not None and stage != first:
        if stage not in model.stages:
            raise ValueError(f"unknown stage {stage!r}")
        factors.append(_stage_factor(model, counts, stage))
        log_odds += factors[0].log_odds
    fields_log_odds = 0.0
    for name, value in fields.items():
        if value is None or value == "":
            continue
        per_value = counts.values.get(name)
        if not per_value:
            continue
        pair = per_value.get(str(value))
        if pair is None or pair[0] + pair[1] < min_count:
            continue
        factor = _value_factor(model, counts, name, str(value), pair, p_won)
        factors.append(factor)
        fields_log_odds += factor.log_odds
    probability = 100 * _sigmoid(log_odds + fields_log_odds / model.temperature)
    return Prediction(
        probability=min(MAX_P, max(MIN_P, probability)),
        team=used,
        prior_won=100 * p_won,
        factors=tuple(factors),
    )


def top_factors(prediction: Prediction, n: int = 5) -> list[Factor]:
    """The ``n`` factors that moved the odds most (either way), strongest first."""
    return sorted(prediction.factors, key=lambda f: abs(f.log_odds), reverse=True)[:n]


@dataclass(frozen=True)
class Evaluation:
    n: int
    won: int
    accuracy: float  # share of held-out leads on the right side of 50 %
    auc: float  # P(random won lead scores above a random lost one); 0.5 = chance
    brier: float  # mean squared error of the probability (0 = perfect, 0.25 = coin)
    base_rate: float  # share won among the held-out leads

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "won": self.won,
            "accuracy": self.accuracy,
            "auc": self.auc,
            "brier": self.brier,
            "base_rate": self.base_rate,
        }


def evaluate(model: PredictiveModel, held_out: Sequence[TrainingRow]) -> Evaluation:
    """Score held-out closed leads (as at the first stage) against their outcomes."""
    if not held_out:
        raise ValueError("no held-out leads to evaluate")
    scored = [
        (predict(model, fields=row.fields, team=row.team).probability / 100, row.won)
        for row in held_out
    ]
    n = len(scored)
    won = sum(1 for _, w in scored if w)
    correct = sum(1 for p, w in scored if (p >= 0.5) == w)
    brier = sum((p - (1.0 if w else 0.0)) ** 2 for p, w in scored) / n
    # AUC by ranks (Mann–Whitney U), ties get the average rank.
    order = sorted(range(n), key=lambda i: scored[i][0])
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and scored[order[j + 1]][0] == scored[order[i]][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    lost = n - won
    if won and lost:
        rank_sum = sum(r for r, (_, w) in zip(ranks, scored, strict=True) if w)
        auc = (rank_sum - won * (won + 1) / 2) / (won * lost)
    else:
        auc = 0.5
    return Evaluation(
        n=n,
        won=won,
        accuracy=correct / n,
        auc=auc,
        brier=brier,
        base_rate=won / n,
    )


def field_factors(model: PredictiveModel, *, team: str = GLOBAL) -> list[Factor]:
    """Every factor the counts of ``team`` can give, strongest first (|log odds|).

    The same numbers ``predict`` applies: each stage after the first against the
    first, and each (field, value) seen at least ``min_count`` times against its
    field's kept values. What "moves the odds most" over all leads, not one.
    """
    counts = model.teams.get(team) or Counts()
    s = model.smoothing
    first = model.stages[0]
    won_1 = counts.stage_won.get(first, 0) + s
    lost_1 = counts.stage_lost.get(first, 0) + s
    p_won = won_1 / (won_1 + lost_1)
    out = [_stage_factor(model, counts, stage) for stage in model.stages[1:]]
    for name, per_value in counts.values.items():
        out.extend(
            _value_factor(model, counts, name, value, c, p_won)
            for value, c in per_value.items()
            if c[0] + c[1] >= model.min_count
        )
    return sorted(out, key=lambda f: abs(f.log_odds), reverse=True)


# ------------------------------------------------------------------ temperature

MIN_TEMPERATURE, MAX_TEMPERATURE = 0.5, 50.0


def _leave_one_out(model: PredictiveModel, row: TrainingRow) -> tuple[float, float]:
    """(logit of the prior, summed log odds of the fields) for ``row`` predicted as
    at the first stage by the counts it is predicted with, its own lead taken out."""
    _, counts = _counts_for(model, row.team)
    s, k = model.smoothing, model.prior_weight
    first = model.stages[0]
    own_won, own_lost = (1, 0) if row.won else (0, 1)
    won_1 = counts.stage_won.get(first, 0) - own_won + s
    lost_1 = counts.stage_lost.get(first, 0) - own_lost + s
    if won_1 <= 0 or lost_1 <= 0:  # the row's own team had nothing else
        return 0.0, 0.0
    p = won_1 / (won_1 + lost_1)
    total = 0.0
    for name, value in row.fields.items():
        if value is None or value == "":
            continue
        pair = counts.values.get(name, {}).get(str(value))
        if pair is None:
            continue
        won, lost = pair[0] - own_won, pair[1] - own_lost
        if won + lost < model.min_count or won + lost <= 0:
            continue
        rate = _shrunk(won, lost, p, k)
        total += math.log(rate / p) - math.log((1 - rate) / (1 - p))
    return _logit(p), total


def fitted_temperature(model: PredictiveModel, rows: Sequence[TrainingRow]) -> float:
    """The temperature (``MIN_TEMPERATURE``–``MAX_TEMPERATURE``) that gives the
    least log loss over ``rows`` predicted leave-one-out; 1 when the fields say
    nothing or every row has the same outcome. The log loss is convex in 1 / T, so
    its derivative is bisected."""
    scored = [(*_leave_one_out(model, row), 1.0 if row.won else 0.0) for row in rows]
    scored = [(a, b, y) for a, b, y in scored if b != 0.0]
    if not scored or len({y for _, _, y in scored}) < 2:
        return 1.0

    def slope(beta: float) -> float:  # d(log loss)/d(beta)
        return sum((_sigmoid(a + beta * b) - y) * b for a, b, y in scored)

    low, high = 1 / MAX_TEMPERATURE, 1 / MIN_TEMPERATURE
    if slope(low) >= 0:
        return MAX_TEMPERATURE
    if slope(high) <= 0:
        return MIN_TEMPERATURE
    for _ in range(40):
        mid = (low + high) / 2
        if slope(mid) > 0:
            high = mid
        else:
            low = mid
    return 1 / ((low + high) / 2)
