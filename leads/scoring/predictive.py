"""Predictive score: an Odoo-style naive Bayes probability of winning.

Pure Python, no Django. Trained from closed leads (``TrainingRow``: team, won or
lost, the stage a lost lead reached, and its fields as text).

Counting (``train``)
    Per team and globally, won/lost counts per (field, value); each closed lead
    counts once per field. Stages count cumulatively: a won lead counts on every
    stage, a lost lead on the stage it was lost at and every earlier one (so a
    stage's count means "got at least this far").

Predicting (``predict``)
    Counts come from the lead's team; a team with no closed lead (fewer than
    ``min_team_rows``) falls back to the global counts. Every count gets
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages),
            "min_count": self.min_count,
            "smoothing": self.smoothing,
            "min_team_rows": self.min_team_rows,
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
) -> PredictiveModel:
    if not stages:
        raise ValueError("at least one stage is needed")
    model = PredictiveModel(
        stages=tuple(stages),
        min_count=min_count,
        smoothing=smoothing,
        min_team_rows=min_team_rows,
        teams={GLOBAL: Counts()},
    )
    for row in rows:
        add_closed_lead(model, row)
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "won": self.won,
            "lost": self.lost,
            "log_odds": self.log_odds,
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


def _counts_for(model: PredictiveModel, team: str | None) -> tuple[str, Counts]:
    if team:
        counts = model.teams.get(team)
        if counts is not None and counts.rows >= model.min_team_rows:
            return team, counts
    return GLOBAL, model.teams.get(GLOBAL, Counts())


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
    if stage is not None and stage != first:
        if stage not in model.stages:
            raise ValueError(f"unknown stage {stage!r}")
        factors.append(
            Factor(
                STAGE,
                stage,
                (counts.stage_won.get(stage, 0) + s) / won_1,
                (counts.stage_lost.get(stage, 0) + s) / lost_1,
            )
        )
    for name, value in fields.items():
        if value is None or value == "":
            continue
        per_value = counts.values.get(name)
        if not per_value:
            continue
        pair = per_value.get(str(value))
        if pair is None or pair[0] + pair[1] < min_count:
            continue
        won_sum, lost_sum = counts.sums(name, min_count, s)
        factors.append(Factor(name, str(value), (pair[0] + s) / won_sum, (pair[1] + s) / lost_sum))
    won_side = p_won
    lost_side = 1 - p_won
    for f in factors:
        won_side *= f.won
        lost_side *= f.lost
    probability = 100 * won_side / (won_side + lost_side)
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
    out = [
        Factor(
            STAGE,
            stage,
            (counts.stage_won.get(stage, 0) + s) / won_1,
            (counts.stage_lost.get(stage, 0) + s) / lost_1,
        )
        for stage in model.stages[1:]
    ]
    for name, per_value in counts.values.items():
        kept = {v: c for v, c in per_value.items() if c[0] + c[1] >= model.min_count}
        won_sum = sum(c[0] for c in kept.values()) + s * len(kept)
        lost_sum = sum(c[1] for c in kept.values()) + s * len(kept)
        out.extend(
            Factor(name, value, (c[0] + s) / won_sum, (c[1] + s) / lost_sum)
            for value, c in kept.items()
        )
    return sorted(out, key=lambda f: abs(f.log_odds), reverse=True)
