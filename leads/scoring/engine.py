"""The rule score of a lead: a pure function, no database, no Django.

``score_lead(lead=..., activities=..., model=..., now=...)`` turns one lead's fields
and activities into a ``ScoreResult`` with a per-rule breakdown. Everything a
model version holds is a plain dataclass with ``to_dict`` / ``from_dict`` so the
Django layer can store it as JSON.

The lead
    A flat mapping: the lead's own fields and its account's fields under the same
    names (``employees``, ``annual_revenue``, ``industry``, ``region``,
    ``country``) — the caller flattens. ``FIELD_TYPES`` lists what a rule may use.
    A missing value (absent, ``None`` or ``""``) never matches a rule, whatever
    the operator (so ``ne`` / ``not_in`` do not match an unknown value either):
    a must-rule on an unknown value fails, a bonus rule gives nothing.

Fit (who they are)
    Each ``FitRule`` is (field, operator, value, points, must, group). Text
    comparisons ignore case. A matched rule adds its points (must-rules may carry
    points too). Must-rules are requirements: a lead failing any requirement is
    *disqualified by must*: grade ``D`` whatever its points, never an MQL, and the
    breakdown names the failed rules. Must-rules sharing a non-empty ``group``
    form ONE requirement met when any of them matches — this is how "employees
    > 50 OR revenue > $5M" is written (see ``default_model``). Otherwise the grade
    comes from the fit points: ``A`` at ``grade_thresholds['A']`` or more, then
    ``B``, ``C``, else ``D``.

Interest (what they did)
    One ``InterestRule`` per activity type: points per activity, optional cap
    per type, optional half-life in days, optional window in days. Each activity
    first decays with its age (points · 0.5^(age_days / half_life); no decay
    without a half-life), then the decayed points are summed per type, then the
    cap applies to the sum (product.md's order). Activities after ``now`` are
    ignored (so a lead can be scored "as of" a past month end with the
    activities it had by then), as are activities older than the window and
    types the model has no rule for.

MQL and quadrant
    ``MqlThreshold.mode``:
    - ``grade_and_interest``: MQL when grade ≥ ``min_grade`` and interest ≥
      ``min_interest``;
    - ``total``: MQL when fit + interest ≥ ``min_total`` (and the lead is not
      disqualified by must).
    The quadrant always uses ``min_grade`` × ``min_interest`` as its axes: good
    fit & interested = ``hot``, good fit only = ``nurture``, interested only =
    ``sales_check``, neither = ``drop``; each has a next-action key
    (``NEXT_ACTIONS``) that the UI translates. A disqualified lead is never a
    good fit.

Numbers: per-type interest values are rounded to 4 places, the interest total
and the total to 2 places, and the thresholds compare the rounded figures (what
the user sees is what decided).

Speed: ``compile_model`` turns a model into closures and dict lookups once; a
``ScoringModel`` caches its compiled form (it is frozen), so scoring many leads
with one model compiles it once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Mirrors leads.models.ActivityType (a test keeps them equal).
ACTIVITY_TYPES: tuple[str, ...] = (
    "demo_request",
    "pricing_page",
    "webinar",
    "content_download",
    "email_click",
    "email_open",
    "form_submit",
    "web_visit",
    "wechat_article_read",
    "mini_program_visit",
    "live_stream",
    "event_registration",
    "event_attended",
    "trial_signup",
)

FieldType = Literal["number", "text", "bool"]

# Fields a fit rule may use (lead fields + the account's, flattened).
FIELD_TYPES: dict[str, FieldType] = {
    "employees": "number",
    "annual_revenue": "number",
    "industry": "text",
    "region": "text",
    "country": "text",
    "seniority": "text",
    "title": "text",
    "source_channel": "text",
    "campaign": "text",
    "source_system": "text",
    "language": "text",
    "company": "text",
    "domain": "text",
    "do_not_contact": "bool",
}

OPERATORS: dict[FieldType, tuple[str, ...]] = {
    "number": ("gt", "gte", "lt", "lte", "eq", "between"),
    "text": ("eq", "ne", "in", "not_in", "contains"),
    "bool": ("is",),
}

GRADES = ("A", "B", "C", "D")
QUADRANTS = ("hot", "nurture", "sales_check", "drop")
NEXT_ACTIONS = {
    "hot": "sales_follow_up_24h",
    "nurture": "marketing_nurture",
    "sales_check": "low_cost_sales_check",
    "drop": "drop_from_communications",
}
MQL_MODES = ("grade_and_interest", "total")
DAY = 86400.0


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class FitRule:
    field: str
    operator: str
    value: Any
    points: float = 0
    must: bool = False
    group: str = ""

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {
            "field": self.field,
            "operator": self.operator,
            "value": value,
            "points": self.points,
            "must": self.must,
            "group": self.group,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitRule:
        value = data.get("value")
        return cls(
            field=data["field"],
            operator=data["operator"],
            value=tuple(value) if isinstance(value, list) else value,
            points=data.get("points", 0),
            must=bool(data.get("must", False)),
            group=data.get("group") or "",
        )


@dataclass(frozen=True)
class InterestRule:
    activity_type: str
    points: float
    cap: float | None = None
    half_life_days: float | None = None
    window_days: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity_type": self.activity_type,
            "points": self.points,
            "cap": self.cap,
            "half_life_days": self.half_life_days,
            "window_days": self.window_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterestRule:
        return cls(
            activity_type=data["activity_type"],
            points=data["points"],
            cap=data.get("cap"),
            half_life_days=data.get("half_life_days"),
            window_days=data.get("window_days"),
        )


@dataclass(frozen=True)
class MqlThreshold:
    mode: str = "grade_and_interest"
    min_grade: str | None = "B"
    min_interest: float | None = 40
    min_total: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "min_grade": self.min_grade,
            "min_interest": self.min_interest,
            "min_total": self.min_total,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MqlThreshold:
        return cls(
            mode=data.get("mode", "grade_and_interest"),
            min_grade=data.get("min_grade"),
            min_interest=data.get("min_interest"),
            min_total=data.get("min_total"),
        )


@dataclass(frozen=True)
class ScoringModel:
    version: int
    label: str = ""
    fit_rules: tuple[FitRule, ...] = ()
    grade_thresholds: Mapping[str, float] = field(
        default_factory=lambda: {"A": 60.0, "B": 40.0, "C": 20.0}
    )
    interest_rules: tuple[InterestRule, ...] = ()
    threshold: MqlThreshold | None = field(default_factory=MqlThreshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "label": self.label,
            "fit_rules": [r.to_dict() for r in self.fit_rules],
            "grade_thresholds": dict(self.grade_thresholds),
            "interest_rules": [r.to_dict() for r in self.interest_rules],
            "threshold": self.threshold.to_dict() if self.threshold else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringModel:
        threshold = data.get("threshold")
        return cls(
            version=data["version"],
            label=data.get("label", ""),
            fit_rules=tuple(FitRule.from_dict(r) for r in data.get("fit_rules", ())),
            grade_thresholds=dict(data.get("grade_thresholds") or {}),
            interest_rules=tuple(InterestRule.from_dict(r) for r in data.get("interest_rules", ())),
            threshold=MqlThreshold.from_dict(threshold) if threshold else None,
        )


# ---------------------------------------------------------------------- validation


@dataclass(frozen=True)
class ModelError:
    """One problem in a model. ``section`` is fit / interest / grades / threshold;
    ``index`` the rule's position in its section (None for model-level ones)."""

    section: str
    index: int | None
    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "index": self.index,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


# The largest size of any number in a model (points, caps, days, thresholds, the
# values fit rules compare with): finite, and small enough that sums of a few hundred
# rules stay finite floats that PostgreSQL and JSON store (a quadrillion).
NUMBER_LIMIT = 1e15


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(number) and abs(number) <= NUMBER_LIMIT


def _check_value(field_type: FieldType, operator: str, value: Any) -> str | None:
    """A message when ``value`` does not suit the operator, else None."""
    if field_type == "number":
        if operator == "between":
            if (
                not isinstance(value, list | tuple)
                or len(value) != 2
                or not all(_is_number(v) for v in value)
            ):
                return "between needs two numbers [low, high]"
            if float(value[0]) > float(value[1]):
                return "between needs low <= high"
            return None
        return None if _is_number(value) else f"needs a number (at most {NUMBER_LIMIT:.0e} in size)"
    if field_type == "text":
        if operator in ("in", "not_in"):
            if (
                not isinstance(value, list | tuple)
                or not value
                or not all(isinstance(v, str) and v for v in value)
            ):
                return "needs a non-empty list of texts"
            return None
        return None if isinstance(value, str) and value else "needs a non-empty text"
    return None if isinstance(value, bool) else "needs true or false"


def validate_model(
    model: ScoringModel,
    *,
    field_types: Mapping[str, FieldType] = FIELD_TYPES,
    activity_types: Sequence[str] = ACTIVITY_TYPES,
) -> list[ModelError]:
    """Every problem in ``model``; an empty list means it can be published."""
    errors: list[ModelError] = []

    def err(section: str, index: int | None, field_name: str, code: str, message: str) -> None:
        errors.append(ModelError(section, index, field_name, code, message))

    for i, rule in enumerate(model.fit_rules):
        ftype = field_types.get(rule.field)
        if ftype is None:
            err("fit", i, rule.field, "unknown_field", f"unknown field {rule.field!r}")
            continue
        if rule.operator not in OPERATORS[ftype]:
            err(
                "fit",
                i,
                rule.field,
                "operator_type",
                f"operator {rule.operator!r} does not fit a {ftype} field "
                f"(allowed: {', '.join(OPERATORS[ftype])})",
            )
            continue
        problem = _check_value(ftype, rule.operator, rule.value)
        if problem:
            err("fit", i, rule.field, "bad_value", f"{rule.operator}: {problem}")
        if not _is_number(rule.points):
            err(
                "fit",
                i,
                rule.field,
                "bad_points",
                f"points must be a number from -{NUMBER_LIMIT:.0e} to {NUMBER_LIMIT:.0e}",
            )

    seen: set[str] = set()
    for i, rule in enumerate(model.interest_rules):
        name = rule.activity_type
        if name not in activity_types:
            err("interest", i, name, "unknown_activity_type", f"unknown activity type {name!r}")
        if name in seen:
            err("interest", i, name, "duplicate", f"a second rule for {name!r}")
        seen.add(name)
        if not _is_number(rule.points) or float(rule.points) < 0:
            err(
                "interest",
                i,
                name,
                "out_of_range",
                f"points must be a number >= 0 and <= {NUMBER_LIMIT:.0e}",
            )
        for attr, low_ok in (("cap", True), ("half_life_days", False), ("window_days", False)):
            value = getattr(rule, attr)
            if value is None:
                continue
            if not _is_number(value) or float(value) < 0 or (not low_ok and float(value) == 0):
                bound = (">= 0" if low_ok else "> 0") + f" and <= {NUMBER_LIMIT:.0e}"
                err("interest", i, name, "out_of_range", f"{attr} must be a number {bound}")

    thresholds = model.grade_thresholds
    previous = math.inf
    for grade in ("A", "B", "C"):
        value = thresholds.get(grade)
        if value is None or not _is_number(value):
            err("grades", None, grade, "missing", f"grade {grade} needs a number threshold")
            continue
        if float(value) > previous:
            err("grades", None, grade, "out_of_range", "grade thresholds must fall from A to C")
        previous = float(value)
    for key in thresholds:
        if key not in ("A", "B", "C"):
            err("grades", None, str(key), "unknown_grade", f"unknown grade {key!r}")

    t = model.threshold
    if t is None:
        err("threshold", None, "threshold", "missing", "the model has no MQL threshold")
        return errors
    if t.mode not in MQL_MODES:
        err("threshold", None, "mode", "unknown_mode", f"unknown mode {t.mode!r}")
    if t.min_grade is None:
        err("threshold", None, "min_grade", "missing", "min_grade is required")
    elif t.min_grade not in GRADES:
        err("threshold", None, "min_grade", "out_of_range", "min_grade must be A, B, C or D")
    if t.min_interest is None:
        err("threshold", None, "min_interest", "missing", "min_interest is required")
    elif not _is_number(t.min_interest) or float(t.min_interest) < 0:
        err(
            "threshold",
            None,
            "min_interest",
            "out_of_range",
            f"min_interest must be >= 0 and <= {NUMBER_LIMIT:.0e}",
        )
    if t.mode == "total" and t.min_total is None:
        err("threshold", None, "min_total", "missing", "mode total needs min_total")
    elif t.min_total is not None and (not _is_number(t.min_total) or float(t.min_total) < 0):
        # checked in every mode: the compiled model reads it whatever the mode
        err(
            "threshold",
            None,
            "min_total",
            "out_of_range",
            f"min_total must be >= 0 and <= {NUMBER_LIMIT:.0e}",
        )
    return errors


class InvalidModel(ValueError):
    def __init__(self, errors: list[ModelError]) -> None:
        super().__init__(
            "; ".join(f"{e.section}[{e.index}] {e.field}: {e.message}" for e in errors)
        )
        self.errors = errors


# ------------------------------------------------------------------------- compile


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().casefold()
    return text or None


def _predicate(ftype: FieldType, op: str, value: Any) -> Callable[[Any], bool]:
    if ftype == "number":
        if op == "between":
            lo, hi = float(value[0]), float(value[1])
            return lambda v: lo <= v <= hi
        x = float(value)
        return {
            "gt": lambda v: v > x,
            "gte": lambda v: v >= x,
            "lt": lambda v: v < x,
            "lte": lambda v: v <= x,
            "eq": lambda v: v == x,
        }[op]
    if ftype == "text":
        if op in ("in", "not_in"):
            options = frozenset(_text(v) for v in value)
            if op == "in":
                return lambda v: v in options
            return lambda v: v not in options
        x = _text(value)
        return {
            "eq": lambda v: v == x,
            "ne": lambda v: v != x,
            "contains": lambda v: x in v,
        }[op]
    expected = bool(value)
    return lambda v: v is expected


def _number(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return None


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "number": _number,
    "text": _text,
    "bool": _boolean,
}


@dataclass(frozen=True)
class CompiledModel:
    """A model reduced to closures and dict lookups; built once by ``compile_model``."""

    model: ScoringModel
    # (index, field, converter, predicate, points, requirement key or None)
    fit: tuple[tuple[int, str, Callable[[Any], Any], Callable[[Any], bool], float, str | None], ...]
    requirements: tuple[str, ...]
    grade_cuts: tuple[tuple[str, float], ...]
    # activity type -> (points, cap, decay rate per second or 0, window seconds or None)
    interest: Mapping[str, tuple[float, float | None, float, float | None]]
    interest_order: tuple[str, ...]
    mode: str
    min_grade_rank: int
    min_interest: float
    min_total: float | None


def compile_model(model: ScoringModel) -> CompiledModel:
    """Check and compile ``model``; raises ``InvalidModel`` naming every problem."""
    cached = model.__dict__.get("_compiled")
    if cached is not None:
        return cached
    errors = validate_model(model)
    if errors:
        raise InvalidModel(errors)
    fit = []
    requirements: list[str] = []
    for i, rule in enumerate(model.fit_rules):
        ftype = FIELD_TYPES[rule.field]
        requirement = None
        if rule.must:
            requirement = f"group:{rule.group}" if rule.group else f"rule:{i}"
            if requirement not in requirements:
                requirements.append(requirement)
        fit.append(
            (
                i,
                rule.field,
                _CONVERTERS[ftype],
                _predicate(ftype, rule.operator, rule.value),
                float(rule.points),
                requirement,
            )
        )
    interest = {}
    for rule in model.interest_rules:
        rate = math.log(2) / (float(rule.half_life_days) * DAY) if rule.half_life_days else 0.0
        window = float(rule.window_days) * DAY if rule.window_days is not None else None
        cap = float(rule.cap) if rule.cap is not None else None
        interest[rule.activity_type] = (float(rule.points), cap, rate, window)
    t = model.threshold
    assert t is not None  # validated
    compiled = CompiledModel(
        model=model,
        fit=tuple(fit),
        requirements=tuple(requirements),
        grade_cuts=tuple((g, float(model.grade_thresholds[g])) for g in ("A", "B", "C")),
        interest=interest,
        interest_order=tuple(r.activity_type for r in model.interest_rules),
        mode=t.mode,
        min_grade_rank=GRADES.index(t.min_grade),
        min_interest=float(t.min_interest),
        min_total=float(t.min_total) if t.min_total is not None else None,
    )
    object.__setattr__(model, "_compiled", compiled)
    return compiled


# -------------------------------------------------------------------------- result


@dataclass(frozen=True)
class ActivityFact:
    type: str
    occurred_at: datetime


@dataclass(slots=True)
class FitRuleResult:
    index: int
    field: str
    matched: bool
    points: float
    must: bool
    requirement: str | None
    value: Any  # the lead's value (a number as float; None when missing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "fit",
            "index": self.index,
            "field": self.field,
            "matched": self.matched,
            "points": self.points,
            "must": self.must,
            "requirement": self.requirement,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FitRuleResult:
        return cls(
            d["index"],
            d["field"],
            d["matched"],
            d["points"],
            d["must"],
            d["requirement"],
            d["value"],
        )


@dataclass(slots=True)
class InterestTypeResult:
    activity_type: str
    count: int  # activities that counted (not future, inside the window)
    raw: float  # their points before decay
    decayed: float  # after decay, summed
    points: float  # after the cap
    capped: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "interest",
            "activity_type": self.activity_type,
            "count": self.count,
            "raw": self.raw,
            "decayed": self.decayed,
            "points": self.points,
            "capped": self.capped,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InterestTypeResult:
        return cls(d["activity_type"], d["count"], d["raw"], d["decayed"], d["points"], d["capped"])


@dataclass(slots=True)
class ScoreResult:
    model_version: int
    computed_at: datetime
    fit_points: float
    grade: str
    disqualified: bool  # failed a must requirement
    failed_requirements: tuple[str, ...]
    interest_points: float
    total: float
    is_mql: bool
    quadrant: str
    next_action: str
    fit: tuple[FitRuleResult, ...]
    interest: tuple[InterestTypeResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "computed_at": self.computed_at.isoformat(),
            "fit_points": self.fit_points,
            "grade": self.grade,
            "disqualified": self.disqualified,
            "failed_requirements": list(self.failed_requirements),
            "interest_points": self.interest_points,
            "total": self.total,
            "is_mql": self.is_mql,
            "quadrant": self.quadrant,
            "next_action": self.next_action,
            "fit": [r.to_dict() for r in self.fit],
            "interest": [r.to_dict() for r in self.interest],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScoreResult:
        return cls(
            model_version=d["model_version"],
            computed_at=datetime.fromisoformat(d["computed_at"]),
            fit_points=d["fit_points"],
            grade=d["grade"],
            disqualified=d["disqualified"],
            failed_requirements=tuple(d["failed_requirements"]),
            interest_points=d["interest_points"],
            total=d["total"],
            is_mql=d["is_mql"],
            quadrant=d["quadrant"],
            next_action=d["next_action"],
            fit=tuple(FitRuleResult.from_dict(r) for r in d["fit"]),
            interest=tuple(InterestTypeResult.from_dict(r) for r in d["interest"]),
        )


# -------------------------------------------------------------------------- engine


def _require_aware(value: datetime, name: str) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def score_lead(
    *,
    lead: Mapping[str, Any],
    activities: Sequence[ActivityFact],
    model: ScoringModel | CompiledModel,
    now: datetime,
) -> ScoreResult:
    """Score one lead as of ``now`` (see the module docs for every rule)."""
    cm = model if isinstance(model, CompiledModel) else compile_model(model)
    _require_aware(now, "now")

    # fit
    fit_points = 0.0
    fit_results = []
    met: set[str] = set()
    get = lead.get
    for index, name, convert, predicate, points, requirement in cm.fit:
        raw = get(name)
        value = convert(raw)
        matched = value is not None and predicate(value)
        if value is not None and raw.__class__ is str:
            value = raw  # show the text as the lead has it, not case-folded
        if matched:
            fit_points += points
            if requirement is not None:
                met.add(requirement)
        fit_results.append(
            FitRuleResult(
                index,
                name,
                matched,
                points if matched else 0.0,
                requirement is not None,
                requirement,
                value,
            )
        )
    failed = tuple(r for r in cm.requirements if r not in met)
    fit_points = round(fit_points, 2)
    if failed:
        grade = "D"
    else:
        grade = "D"
        for g, cut in cm.grade_cuts:
            if fit_points >= cut:
                grade = g
                break

    # interest: decay each activity, sum per type, then cap
    rules = cm.interest
    counts: dict[str, int] = {}
    decayed_sums: dict[str, float] = {}
    try:
        for activity in activities:
            # aware - naive raises TypeError: that is the naive-datetime check
            age = (now - activity.occurred_at).total_seconds()
            rule = rules.get(activity.type)
            if rule is None or age < 0:  # no rule, or in the future as of now
                continue
            points, _cap, rate, window = rule
            if window is not None and age > window:
                continue
            kind = activity.type
            value = points * math.exp(-rate * age) if rate else points
            if kind in counts:
                counts[kind] += 1
                decayed_sums[kind] += value
            else:
                counts[kind] = 1
                decayed_sums[kind] = value
    except TypeError as exc:
        raise ValueError(
            f"activity occurred_at must be a timezone-aware datetime, got {activity.occurred_at!r}"
        ) from exc
    interest_results = []
    interest_points = 0.0
    for name in cm.interest_order:
        count = counts.get(name)
        if count is None:
            continue
        points, cap, _rate, _window = rules[name]
        decayed = round(decayed_sums[name], 4)
        counted = decayed if cap is None or decayed <= cap else cap
        interest_points += counted
        interest_results.append(
            InterestTypeResult(name, count, count * points, decayed, counted, counted != decayed)
        )
    interest_points = round(interest_points, 2)
    total = round(fit_points + interest_points, 2)

    good_fit = not failed and GRADES.index(grade) <= cm.min_grade_rank
    interested = interest_points >= cm.min_interest
    mql_by_total = not failed and cm.min_total is not None and total >= cm.min_total
    is_mql = mql_by_total if cm.mode == "total" else good_fit and interested
    if good_fit:
        quadrant = "hot" if interested else "nurture"
    else:
        quadrant = "sales_check" if interested else "drop"

    return ScoreResult(
        model_version=cm.model.version,
        computed_at=now,
        fit_points=fit_points,
        grade=grade,
        disqualified=bool(failed),
        failed_requirements=failed,
        interest_points=interest_points,
        total=total,
        is_mql=is_mql,
        quadrant=quadrant,
        next_action=NEXT_ACTIONS[quadrant],
        fit=tuple(fit_results),
        interest=tuple(interest_results),
    )


# ------------------------------------------------------------------------- explain


@dataclass(frozen=True)
class ExplainLine:
    """One sentence of "why this score": a stable key and its parameters; the UI
    owns the wording (and its translation)."""

    key: str
    params: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": dict(self.params)}


def explain(result: ScoreResult, model: ScoringModel | None = None) -> list[ExplainLine]:
    """The breakdown as structured lines, most important first.

    Keys: ``mql.yes`` / ``mql.no``; ``fit.must_failed`` (one per failed
    requirement, with the rules in it); ``fit.grade``; ``fit.matched`` (one per
    matched rule); ``interest.type`` (one per activity type that counted);
    ``interest.total``; ``quadrant``. With ``model`` the fit lines also carry the
    rule's operator and value.
    """
    rules = model.fit_rules if model is not None else ()

    def rule_params(r: FitRuleResult) -> dict[str, Any]:
        params: dict[str, Any] = {"index": r.index, "field": r.field, "lead_value": r.value}
        if r.index < len(rules):
            rule = rules[r.index]
            params["operator"] = rule.operator
            params["value"] = list(rule.value) if isinstance(rule.value, tuple) else rule.value
        return params

    lines = [
        ExplainLine(
            "mql.yes" if result.is_mql else "mql.no",
            {"model_version": result.model_version, "total": result.total},
        )
    ]
    for requirement in result.failed_requirements:
        members = [rule_params(r) for r in result.fit if r.requirement == requirement]
        lines.append(ExplainLine("fit.must_failed", {"requirement": requirement, "rules": members}))
    lines.append(
        ExplainLine(
            "fit.grade",
            {
                "grade": result.grade,
                "points": result.fit_points,
                "disqualified": result.disqualified,
            },
        )
    )
    for r in result.fit:
        if r.matched:
            lines.append(ExplainLine("fit.matched", {**rule_params(r), "points": r.points}))
    for t in result.interest:
        lines.append(
            ExplainLine(
                "interest.type",
                {
                    "activity_type": t.activity_type,
                    "count": t.count,
                    "raw": t.raw,
                    "decayed": t.decayed,
                    "points": t.points,
                    "capped": t.capped,
                },
            )
        )
    lines.append(ExplainLine("interest.total", {"points": result.interest_points}))
    lines.append(
        ExplainLine("quadrant", {"quadrant": result.quadrant, "next_action": result.next_action})
    )
    return lines


# ------------------------------------------------------------------------- default

SERVICEABLE_COUNTRIES = ("CN", "HK", "SG", "US", "CA", "GB", "DE", "FR", "NL")
TARGET_INDUSTRIES = (
    "Software",
    "Manufacturing",
    "Healthcare",
    "Financial services",
    "Electronics",
    "Automotive",
)


def default_model(version: int = 1) -> ScoringModel:
    """The seed's ICP and interest weights.

    - Company size is a requirement met by EITHER employees > 50 OR annual
      revenue > $5M: two must-rules in one group (``size``), 20 and 10 points.
    - Serviceable region: country in ``SERVICEABLE_COUNTRIES`` — must, 10 points.
    - Target industry: bonus, 25 points.
    - Role is bonus, not must (the seed's warning): executive/VP 20, director 15,
      manager 5.
    - Grades: A ≥ 60, B ≥ 40, C ≥ 20 fit points.
    - Interest: demo request and pricing page weigh most; the Chinese-market
      types (WeChat article, mini-program, live stream, event registration) are
      in; everything decays (half-life 30 days, 14 for light touches) within a
      90-day window.
    - MQL: grade B or better and interest ≥ 40.
    """
    fit = (
        FitRule("employees", "gt", 50, 20, must=True, group="size"),
        FitRule("annual_revenue", "gt", 5_000_000, 10, must=True, group="size"),
        FitRule("country", "in", SERVICEABLE_COUNTRIES, 10, must=True),
        FitRule("industry", "in", TARGET_INDUSTRIES, 25),
        FitRule("seniority", "in", ("executive", "vp"), 20),
        FitRule("seniority", "eq", "director", 15),
        FitRule("seniority", "eq", "manager", 5),
        FitRule("do_not_contact", "is", True, -100),
    )

    def rule(kind: str, points: float, cap: float, half_life: float = 30) -> InterestRule:
        return InterestRule(kind, points, cap=cap, half_life_days=half_life, window_days=90)

    interest = (
        rule("demo_request", 50, 75),
        rule("pricing_page", 25, 50),
        rule("trial_signup", 20, 40),
        rule("webinar", 15, 30),
        rule("live_stream", 15, 30),
        rule("event_attended", 15, 30),
        rule("event_registration", 8, 16),
        rule("form_submit", 10, 20),
        rule("content_download", 10, 30),
        rule("mini_program_visit", 6, 18, 14),
        rule("wechat_article_read", 4, 12, 14),
        rule("email_click", 5, 15, 14),
        rule("web_visit", 2, 10, 14),
        rule("email_open", 1, 5, 14),
    )
    return ScoringModel(
        version=version,
        label="Default ICP (seed)",
        fit_rules=fit,
        grade_thresholds={"A": 60.0, "B": 40.0, "C": 20.0},
        interest_rules=interest,
        threshold=MqlThreshold(mode="grade_and_interest", min_grade="B", min_interest=40),
    )
