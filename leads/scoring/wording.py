"""The words of scoring: labels of fields, operators, activity types and next
actions, rules and values written out, and "why this score" in plain sentences.

The engine (``leads.scoring.engine``) returns keys and numbers; this module owns
how they read, in the active language. Everything here is presentation: nothing
queries the database (``why_score`` reads the lead's stored breakdown and its
``score_model``, which the caller selects with the lead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leads import vocabulary
from leads.models import ActivityType, ScoreQuadrant, Seniority, SourceChannel
from leads.numbers import format_number
from leads.scoring.engine import (
    FIELD_TYPES,
    GRADES,
    ExplainLine,
    ScoreResult,
    ScoringModel,
    explain,
)

FIELD_LABELS: dict[str, Any] = {
    "employees": gettext_lazy("Employees"),
    "annual_revenue": gettext_lazy("Annual revenue (USD)"),
    "industry": gettext_lazy("Industry"),
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country"),
    "seniority": gettext_lazy("Seniority"),
    "title": gettext_lazy("Job title"),
    "source_channel": gettext_lazy("Source channel"),
    "campaign": gettext_lazy("Campaign"),
    "source_system": gettext_lazy("Source system"),
    "language": gettext_lazy("Language"),
    "company": gettext_lazy("Company"),
    "domain": gettext_lazy("Domain"),
    "do_not_contact": gettext_lazy("Do not contact"),
}

# How the operator reads in the editor's select.
OPERATOR_LABELS: dict[str, Any] = {
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "eq": gettext_lazy("equals"),
    "between": gettext_lazy("between"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "is": gettext_lazy("is"),
}

NEXT_ACTION_LABELS: dict[str, Any] = {
    "sales_follow_up_24h": gettext_lazy("sales follows up within 24 hours"),
    "marketing_nurture": gettext_lazy("marketing nurtures the lead"),
    "low_cost_sales_check": gettext_lazy("sales makes a quick, low-cost check"),
    "drop_from_communications": gettext_lazy("drop it from communications"),
}

MQL_MODE_LABELS: dict[str, Any] = {
    "grade_and_interest": gettext_lazy("Grade and interest"),
    "total": gettext_lazy("Total score"),
}

INTEREST_ATTR_LABELS: dict[str, Any] = {
    "points": gettext_lazy("Points"),
    "cap": gettext_lazy("Cap"),
    "half_life_days": gettext_lazy("Half-life (days)"),
    "window_days": gettext_lazy("Window (days)"),
}

THRESHOLD_ATTR_LABELS: dict[str, Any] = {
    "mode": gettext_lazy("MQL rule"),
    "min_grade": gettext_lazy("Minimum grade"),
    "min_interest": gettext_lazy("Minimum interest"),
    "min_total": gettext_lazy("Minimum total"),
}

FIT_ATTR_LABELS: dict[str, Any] = {
    "field": gettext_lazy("Field"),
    "operator": gettext_lazy("Operator"),
    "value": gettext_lazy("Value"),
    "points": gettext_lazy("Points"),
    "must": gettext_lazy("Required"),
    "group": gettext_lazy("Group"),
}

# Fields whose values are choices: shown by their label.
_CHOICE_LABELS: dict[str, Mapping[str, Any]] = {
    "seniority": dict(Seniority.choices),
    "source_channel": dict(SourceChannel.choices),
}
_LIST_SHOWN = 6  # items of a list value written out before "and N more"


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def activity_label(kind: str) -> str:
    labels = dict(ActivityType.choices)
    return str(labels.get(kind, kind))


def quadrant_label(quadrant: str) -> str:
    return str(dict(ScoreQuadrant.choices).get(quadrant, quadrant))


def next_action_label(key: str) -> str:
    return str(NEXT_ACTION_LABELS.get(key, key))


def _plural_count(value: Any) -> int:
    """The number ngettext picks a plural form by: 1 for exactly one, else 2."""
    try:
        return 1 if abs(float(value)) == 1 else 2
    except (TypeError, ValueError):
        return 2


def signed(value: Any) -> str:
    """Points with their sign: ``+20``, ``-100``, ``0``."""
    text = format_number(value)
    try:
        return f"+{text}" if float(value) > 0 else text
    except (TypeError, ValueError):
        return text


def format_scalar(field_name: str, value: Any) -> str:
    """One value of ``field_name`` as a person reads it."""
    if value is None or value == "":
        return _("unknown")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if FIELD_TYPES.get(field_name) == "number":
        return format_number(value)
    choices = _CHOICE_LABELS.get(field_name)
    if choices is not None and str(value).lower() in choices:
        return str(choices[str(value).lower()])
    if field_name in vocabulary.LABELS:  # industry, region, country, language
        return vocabulary.label(field_name, value)
    return str(value)


def format_list(field_name: str, values: Sequence[Any], *, limit: int | None = _LIST_SHOWN) -> str:
    """Values joined by commas; past ``limit`` items, "and N more"."""
    shown = [format_scalar(field_name, v) for v in list(values)[:limit]]
    text = ", ".join(shown)
    hidden = len(values) - len(shown)
    if hidden > 0:
        text = ngettext("%(items)s and %(count)s more", "%(items)s and %(count)s more", hidden) % {
            "items": text,
            "count": hidden,
        }
    return text


def format_rule_value(
    field_name: str, operator: str, value: Any, *, limit: int | None = _LIST_SHOWN
) -> str:
    """A rule's value: lists joined, ``between`` as "low and high"."""
    if operator == "between" and isinstance(value, list | tuple) and len(value) == 2:
        return _("%(low)s and %(high)s") % {
            "low": format_scalar(field_name, value[0]),
            "high": format_scalar(field_name, value[1]),
        }
    if isinstance(value, list | tuple):
        return format_list(field_name, value, limit=limit)
    return format_scalar(field_name, value)


_SYMBOLS = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


def criterion(field_name: str, operator: str, value: Any, *, left: str | None = None) -> str:
    """``Employees > 50``, ``Country is one of CN, US``. With ``left`` (the lead's
    value) the criterion is written about it: ``120 > 50``."""
    subject = field_label(field_name) if left is None else left
    right = format_rule_value(field_name, operator, value)
    params = {"left": subject, "right": right}
    if operator in _SYMBOLS:
        return f"{subject} {_SYMBOLS[operator]} {right}"
    if operator == "eq" and FIELD_TYPES.get(field_name) == "number":
        return f"{subject} = {right}"
    templates = {
        "between": _("%(left)s is between %(right)s"),
        "eq": _("%(left)s is %(right)s"),
        "is": _("%(left)s is %(right)s"),
        "ne": _("%(left)s is not %(right)s"),
        "in": _("%(left)s is one of %(right)s"),
        "not_in": _("%(left)s is none of %(right)s"),
        "contains": _("%(left)s contains %(right)s"),
    }
    template = templates.get(operator)
    if template is None:
        return f"{subject} {operator} {right}"
    return template % params


def rule_sentence(rule: Mapping[str, Any]) -> str:
    """A fit rule as one line: ``Employees > 50 · +20 points · required (group size)``."""
    parts = [criterion(rule["field"], rule["operator"], rule.get("value"))]
    points = rule.get("points", 0)
    parts.append(
        ngettext("%(points)s point", "%(points)s points", _plural_count(points))
        % {"points": signed(points)}
    )
    if rule.get("must"):
        if rule.get("group"):
            parts.append(_("required (group %(group)s)") % {"group": rule["group"]})
        else:
            parts.append(_("required"))
    return " · ".join(parts)


# ------------------------------------------------------------------ why this score


@dataclass
class WhyLine:
    key: str
    text: str
    good: bool | None = None  # True / False colour the line; None is neutral


@dataclass
class WhyScore:
    """What templates/leads/_why_score.html shows."""

    scored: bool
    headline: WhyLine | None = None
    fit: list[WhyLine] = field(default_factory=list)
    interest: list[WhyLine] = field(default_factory=list)
    quadrant: str = ""
    quadrant_label: str = ""
    next_action: WhyLine | None = None
    kept_mql_at: datetime | None = None
    grade: str = ""
    model_number: int | None = None
    model_pk: int | None = None
    computed_at: datetime | None = None


def _threshold(model: ScoringModel | None) -> Mapping[str, Any]:
    if model is None or model.threshold is None:
        return {}
    return model.threshold.to_dict()


def _mql_line(result: ScoreResult, model: ScoringModel | None) -> WhyLine:
    t = _threshold(model)
    values = {
        "grade": result.grade,
        "min_grade": t.get("min_grade") or "",
        "interest": format_number(result.interest_points),
        "min_interest": format_number(t.get("min_interest")),
        "total": format_number(result.total),
        "min_total": format_number(t.get("min_total")),
    }
    if result.is_mql:
        if t.get("mode") == "total":
            text = _("An MQL: the total %(total)s reaches %(min_total)s") % values
        elif t:
            text = (
                _(
                    "An MQL: grade %(grade)s meets %(min_grade)s or better and interest "
                    "%(interest)s reaches %(min_interest)s"
                )
                % values
            )
        else:
            text = _("An MQL")
        return WhyLine("mql.yes", text, good=True)
    if result.disqualified:
        text = _("Not an MQL: a required criterion is not met")
    elif not t:
        text = _("Not an MQL")
    elif t.get("mode") == "total":
        text = _("Not an MQL: the total %(total)s is below %(min_total)s") % values
    else:
        min_grade = t.get("min_grade")
        low_grade = min_grade in GRADES and GRADES.index(result.grade) > GRADES.index(min_grade)
        low_interest = t.get("min_interest") is not None and result.interest_points < float(
            t["min_interest"]
        )
        if low_grade and low_interest:
            text = (
                _(
                    "Not an MQL: grade %(grade)s is below %(min_grade)s and interest "
                    "%(interest)s is below %(min_interest)s"
                )
                % values
            )
        elif low_grade:
            text = _("Not an MQL: grade %(grade)s is below %(min_grade)s") % values
        elif low_interest:
            text = _("Not an MQL: interest %(interest)s is below %(min_interest)s") % values
        else:
            text = _("Not an MQL")
    return WhyLine("mql.no", text, good=False)


def _grade_line(line: ExplainLine, model: ScoringModel | None) -> WhyLine:
    p = line.params
    grade = p["grade"]
    cuts = dict(model.grade_thresholds) if model is not None else {}
    values = {"grade": grade, "points": format_number(p["points"])}
    if p.get("disqualified"):
        text = _("Grade D: a required criterion is not met (%(points)s fit points)") % values
        return WhyLine(line.key, text, good=False)
    if grade in cuts:
        values["cut"] = format_number(cuts[grade])
        text = _("Grade %(grade)s: %(points)s fit points (needs %(cut)s for %(grade)s)") % values
    elif grade == "D" and "C" in cuts:
        values["cut"] = format_number(cuts["C"])
        text = _("Grade D: %(points)s fit points (C needs %(cut)s)") % values
    else:
        text = _("Grade %(grade)s: %(points)s fit points") % values
    return WhyLine(line.key, text, good=grade in ("A", "B"))


def _about_lead(rule: Mapping[str, Any]) -> str:
    """The rule with the lead's value on the left: ``Employees: 120 > 50``."""
    name = rule["field"]
    lead_value = format_scalar(name, rule.get("lead_value"))
    if "operator" not in rule:
        return _("%(field)s: %(value)s") % {"field": field_label(name), "value": lead_value}
    return _("%(field)s: %(criterion)s") % {
        "field": field_label(name),
        "criterion": criterion(name, rule["operator"], rule.get("value"), left=lead_value),
    }


def _matched_line(line: ExplainLine, model: ScoringModel | None) -> WhyLine:
    p = line.params
    index = p.get("index")
    must = (
        model is not None and index is not None and index < len(model.fit_rules)
    ) and model.fit_rules[index].must
    values = {"criterion": _about_lead(p), "points": signed(p["points"])}
    if must:
        text = _("%(criterion)s (%(points)s, required)") % values
    else:
        text = _("%(criterion)s (%(points)s)") % values
    return WhyLine(line.key, text, good=float(p["points"]) >= 0)


def _must_failed_line(line: ExplainLine) -> WhyLine:
    alternatives = []
    for rule in line.params["rules"]:
        if "operator" in rule:
            text = criterion(rule["field"], rule["operator"], rule.get("value"))
        else:
            text = field_label(rule["field"])
        alternatives.append(
            _("%(criterion)s (the lead: %(value)s)")
            % {"criterion": text, "value": format_scalar(rule["field"], rule.get("lead_value"))}
        )
    joined = _(" or ").join(alternatives)
    return WhyLine(line.key, _("Required, not met: %(criteria)s") % {"criteria": joined}, False)


def _points_phrase(value: Any) -> str:
    """``1 point`` / ``2.5 points``: the plural follows the number of points."""
    return ngettext("%(points)s point", "%(points)s points", _plural_count(value)) % {
        "points": format_number(value)
    }


def _interest_line(line: ExplainLine) -> WhyLine:
    p = line.params
    count = p["count"]
    values = {
        "activity": activity_label(p["activity_type"]),
        "times": ngettext("%(count)s time", "%(count)s times", count) % {"count": count},
        "raw": _points_phrase(p["raw"]),
        "decayed": _points_phrase(p["decayed"]),
        "points": _points_phrase(p["points"]),
        "cap": format_number(p["points"]),
        "after": format_number(p["points"]),
    }
    decayed = abs(float(p["raw"]) - float(p["decayed"])) >= 0.005
    if decayed and p["capped"]:
        text = _("%(activity)s: %(times)s, %(decayed)s after decay, capped at %(cap)s")
    elif decayed:
        text = _("%(activity)s: %(times)s, %(raw)s, %(after)s after decay")
    elif p["capped"]:
        text = _("%(activity)s: %(times)s, %(raw)s, capped at %(cap)s")
    else:
        text = _("%(activity)s: %(times)s, %(points)s")
    return WhyLine(line.key, text % values)


def _interest_total_line(line: ExplainLine, model: ScoringModel | None) -> WhyLine:
    t = _threshold(model)
    values = {
        "points": format_number(line.params["points"]),
        "min_interest": format_number(t.get("min_interest")),
    }
    if t.get("min_interest") is not None and t.get("mode") != "total":
        text = _("Interest: %(points)s points in all (an MQL needs %(min_interest)s)") % values
        good = float(line.params["points"]) >= float(t["min_interest"])
    else:
        text = _("Interest: %(points)s points in all") % values
        good = None
    return WhyLine(line.key, text, good)


def why_score(
    *,
    breakdown: Mapping[str, Any] | None,
    definition: Mapping[str, Any] | None,
    model_pk: int | None = None,
    mql_at: datetime | None = None,
) -> WhyScore:
    """The stored breakdown (``ScoreResult.to_dict()``) in sentences of the active
    language; ``definition`` is the scoring model version's (for operators, values,
    grade cuts and the MQL threshold). ``WhyScore(scored=False)`` when empty."""
    if not breakdown:
        return WhyScore(scored=False)
    result = ScoreResult.from_dict(breakdown)
    model = ScoringModel.from_dict(definition) if definition else None
    why = WhyScore(
        scored=True,
        grade=result.grade,
        quadrant=result.quadrant,
        quadrant_label=quadrant_label(result.quadrant),
        model_number=result.model_version,
        model_pk=model_pk,
        computed_at=result.computed_at,
    )
    for line in explain(result, model):
        if line.key in ("mql.yes", "mql.no"):
            why.headline = _mql_line(result, model)
        elif line.key == "fit.must_failed":
            why.fit.append(_must_failed_line(line))
        elif line.key == "fit.grade":
            why.fit.insert(0, _grade_line(line, model))
        elif line.key == "fit.matched":
            why.fit.append(_matched_line(line, model))
        elif line.key == "interest.type":
            why.interest.append(_interest_line(line))
        elif line.key == "interest.total":
            why.interest.append(_interest_total_line(line, model))
        elif line.key == "quadrant":
            why.next_action = WhyLine(
                line.key,
                _("%(quadrant)s: %(action)s")
                % {
                    "quadrant": quadrant_label(result.quadrant),
                    "action": next_action_label(result.next_action),
                },
            )
    if mql_at is not None and not result.is_mql:
        why.kept_mql_at = mql_at
    return why


# ------------------------------------------------------------------------- diff

SECTION_LABELS: dict[str, Any] = {
    "label": gettext_lazy("Label"),
    "fit": gettext_lazy("ICP (fit rules)"),
    "grades": gettext_lazy("Grade thresholds"),
    "interest": gettext_lazy("Interest rules"),
    "threshold": gettext_lazy("MQL threshold"),
}
CHANGE_KIND_LABELS: dict[str, Any] = {
    "added": gettext_lazy("added"),
    "removed": gettext_lazy("removed"),
    "changed": gettext_lazy("changed"),
}


def interest_sentence(rule: Mapping[str, Any]) -> str:
    """``25 points each · cap 50 · half-life 30 days · last 90 days``."""
    points = rule.get("points")
    parts = [
        ngettext("%(points)s point each", "%(points)s points each", _plural_count(points))
        % {"points": format_number(points)}
    ]
    cap, half_life, window = rule.get("cap"), rule.get("half_life_days"), rule.get("window_days")
    parts.append(_("cap %(cap)s") % {"cap": format_number(cap)} if cap is not None else _("no cap"))
    parts.append(
        _("half-life %(days)s days") % {"days": format_number(half_life)}
        if half_life
        else _("no decay")
    )
    parts.append(
        _("last %(days)s days only") % {"days": format_number(window)}
        if window is not None
        else _("no window")
    )
    return " · ".join(parts)


def threshold_value(attr: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if attr == "mode":
        return str(MQL_MODE_LABELS.get(value, value))
    if attr == "min_grade":
        return str(value)
    return format_number(value)


@dataclass
class ChangeRow:
    """One line of the diff page."""

    section: str
    section_label: str
    kind: str
    kind_label: str
    item: str
    before: str
    after: str
    details: list[str] = field(default_factory=list)


def change_row(change) -> ChangeRow:
    """A ``leads.scoring.diff.Change`` in words."""
    old, new = change.old, change.new
    details: list[str] = []
    if change.section == "label":
        item, before, after = _("Label"), old or "—", new or "—"
    elif change.section == "fit":
        rule = new or old
        item = criterion(rule["field"], rule["operator"], rule.get("value"))
        before = rule_sentence(old) if old else "—"
        after = rule_sentence(new) if new else "—"
        if change.kind == "changed":
            details.append(
                _("Changed: %(what)s")
                % {"what": ", ".join(str(FIT_ATTR_LABELS[f]) for f in change.fields)}
            )
        if change.items_added:
            details.append(
                _("Values added: %(items)s")
                % {"items": format_list(rule["field"], change.items_added)}
            )
        if change.items_removed:
            details.append(
                _("Values removed: %(items)s")
                % {"items": format_list(rule["field"], change.items_removed)}
            )
    elif change.section == "grades":
        item = _("Grade %(grade)s from") % {"grade": change.key}
        before = format_number(old) if old is not None else "—"
        after = format_number(new) if new is not None else "—"
    elif change.section == "interest":
        item = activity_label(change.key)
        before = interest_sentence(old) if old else "—"
        after = interest_sentence(new) if new else "—"
        if change.kind == "changed":
            details.append(
                _("Changed: %(what)s")
                % {"what": ", ".join(str(INTEREST_ATTR_LABELS[f]) for f in change.fields)}
            )
    else:
        item = str(THRESHOLD_ATTR_LABELS.get(change.key, change.key))
        before, after = threshold_value(change.key, old), threshold_value(change.key, new)
    return ChangeRow(
        section=change.section,
        section_label=str(SECTION_LABELS.get(change.section, change.section)),
        kind=change.kind,
        kind_label=str(CHANGE_KIND_LABELS[change.kind]),
        item=item,
        before=before,
        after=after,
        details=details,
    )
