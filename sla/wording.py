"""The words of the SLA's terms: ``sla.terms``' errors, units, targets and policies'
conditions, in the reader's language.

``sla.terms`` returns ``(path, code)`` pairs and numbers; this module says them. An
error keeps its path as given, so the field is named:
``policies[2].targets.first_touch.target: must be greater than zero``. Presentation
only: nothing here writes, and the names of calendars and teams come from the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leads import vocabulary
from leads.models import ScoreQuadrant, SourceChannel
from leads.numbers import format_number
from sla import terms as sla_terms
from sla.models import Term

UNIT_LABELS: dict[str, Any] = {
    "working_minutes": gettext_lazy("working minutes"),
    "working_days": gettext_lazy("working days"),
    "plain_minutes": gettext_lazy("minutes, round the clock (24×7)"),
}
MATCH_LABELS: dict[str, Any] = {
    "quadrant": gettext_lazy("Quadrant"),
    "source_channel": gettext_lazy("Source channel"),
    "region": gettext_lazy("Region"),
    "team": gettext_lazy("Team"),
}
FIELD_LABELS: dict[str, Any] = {
    "target": gettext_lazy("Target"),
    "unit": gettext_lazy("Counted in"),
    "warn_percent": gettext_lazy("Warning at"),
    "escalate_every": gettext_lazy("Escalation interval"),
}
PERIOD_LABELS: dict[str, Any] = {
    "icp_grade": gettext_lazy("Matching the ICP"),
    "complete_fields": gettext_lazy("Key fields of a complete lead"),
    "min_attempts": gettext_lazy("Attempts before giving up"),
}
COMPLETE_FIELD_LABELS: dict[str, Any] = {
    "company": gettext_lazy("Company"),
    "title": gettext_lazy("Job title"),
    "contact": gettext_lazy("Phone or email"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("Email"),
}
SIDE_LABELS: dict[str, Any] = {
    "sales": gettext_lazy("Sales"),
    "marketing": gettext_lazy("Marketing"),
    "director": gettext_lazy("Director"),
}
# A definition posted as text larger than this is refused before it is parsed.
MAX_DEFINITION_CHARS = 500_000
# The values a match key may hold (the others: any text, or team ids).
MATCH_VALUES: dict[str, frozenset[str]] = {
    "quadrant": frozenset(ScoreQuadrant.values),
    "source_channel": frozenset(SourceChannel.values),
}


def term_label(term: str) -> str:
    try:
        return str(Term(term).label)
    except ValueError:
        return term


def unit_label(unit: str) -> str:
    label = UNIT_LABELS.get(unit)
    return str(label) if label is not None else unit


def amount_words(amount: Any, unit: str) -> str:
    """``120, "working_minutes"`` → "2 working hours"; ``2880, "plain_minutes"`` →
    "48 hours (24×7)"; ``1, "working_days"`` → "1 working day"."""
    try:
        number = int(amount)
    except (TypeError, ValueError):
        return str(amount)
    shown = format_number(number)
    if unit == "working_days":
        return ngettext("%(n)s working day", "%(n)s working days", number) % {"n": shown}
    if unit == "working_minutes":
        if number and number % 60 == 0:
            hours = number // 60
            return ngettext("%(n)s working hour", "%(n)s working hours", hours) % {
                "n": format_number(hours)
            }
        return ngettext("%(n)s working minute", "%(n)s working minutes", number) % {"n": shown}
    if unit == "plain_minutes":
        if number and number % 60 == 0:
            hours = number // 60
            return ngettext("%(n)s hour (24×7)", "%(n)s hours (24×7)", hours) % {
                "n": format_number(hours)
            }
        return ngettext("%(n)s minute (24×7)", "%(n)s minutes (24×7)", number) % {"n": shown}
    return f"{shown} {unit}"


def warning_words(percent: Any) -> str:
    if not percent:
        return _("no warning")
    return _("when %(percent)s %% of the target has passed") % {"percent": format_number(percent)}


def escalation_words(every: Any, unit: str) -> str:
    if not every:
        return _("no escalation")
    return _("to the manager %(once)s after the breach, to a director %(twice)s after it") % {
        "once": amount_words(every, unit),
        "twice": amount_words(int(every) * 2, unit),
    }


def grade_words(grade: Any) -> str:
    """ "Fit grade B or better (A or B)"; "Fit grade A"."""
    if grade not in sla_terms.GRADES:
        return str(grade)
    grades = sla_terms.GRADES[: sla_terms.GRADES.index(grade) + 1]
    if len(grades) == 1:
        return _("Fit grade %(grade)s") % {"grade": grade}
    return _("Fit grade %(grade)s or better (%(grades)s)") % {
        "grade": grade,
        "grades": _(" or ").join(grades),
    }


def complete_field_label(code: Any) -> str:
    label = COMPLETE_FIELD_LABELS.get(code)
    return str(label) if label is not None else str(code)


def attempts_words(attempts: Any) -> str:
    """ "At least 6 touch attempts before an SDR gives up on a lead (unless not ICP)"."""
    try:
        number = int(attempts)
    except (TypeError, ValueError):
        return str(attempts)
    if number == 0:
        return _("No minimum: an SDR may give up on a lead at once")
    return ngettext(
        "At least %(n)s touch attempt before an SDR gives up on a lead (unless not ICP)",
        "At least %(n)s touch attempts before an SDR gives up on a lead (unless not ICP)",
        number,
    ) % {"n": format_number(number)}


def period_rows(definition: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """A version's period terms' definitions in words (product.md's defaults where it
    has none): ``[{"key", "label", "words", "values"}]`` — ``values`` lists the key
    fields one by one."""
    period = sla_terms.period(definition)
    fields = period["complete_fields"]
    return [
        {
            "key": "icp_grade",
            "label": str(PERIOD_LABELS["icp_grade"]),
            "words": grade_words(period["icp_grade"]),
            "values": [],
        },
        {
            "key": "complete_fields",
            "label": str(PERIOD_LABELS["complete_fields"]),
            "words": _("; ").join(complete_field_label(f) for f in fields),
            "values": [complete_field_label(f) for f in fields],
        },
        {
            "key": "min_attempts",
            "label": str(PERIOD_LABELS["min_attempts"]),
            "words": attempts_words(period["min_attempts"]),
            "values": [],
        },
    ]


def _value_label(key: str, value: Any, team_names: Mapping[int, str]) -> str:
    if key == "quadrant":
        try:
            return str(ScoreQuadrant(value).label)
        except ValueError:
            return str(value)
    if key == "source_channel":
        try:
            return str(SourceChannel(value).label)
        except ValueError:
            return str(value)
    if key == "region":
        return vocabulary.region_label(value)
    if key == "team":
        try:
            return team_names.get(int(value)) or _("team #%(id)s") % {"id": value}
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def match_rows(
    match: Mapping[str, Any] | None, *, team_names: Mapping[int, str] | None = None
) -> list[dict[str, str]]:
    """A policy's conditions as ``[{"key", "label", "values"}]`` in words; empty for a
    catch-all (every lead)."""
    rows = []
    for key in sla_terms.MATCH_KEYS:
        values = (match or {}).get(key) or []
        if not values:
            continue
        labels = [_value_label(key, v, team_names or {}) for v in values]
        rows.append({"key": key, "label": str(MATCH_LABELS[key]), "values": _(" or ").join(labels)})
    return rows


def match_sentence(
    match: Mapping[str, Any] | None, *, team_names: Mapping[int, str] | None = None
) -> str:
    """ "Quadrant is Hot; Region is East China or South China" — or "Every lead"."""
    rows = match_rows(match, team_names=team_names)
    if not rows:
        return _("Every lead (the catch-all)")
    return _("; ").join(
        _("%(what)s is %(values)s") % {"what": row["label"], "values": row["values"]}
        for row in rows
    )


# ------------------------------------------------------------------------ errors


def _field(path: str) -> str:
    """The last name of a path: ``policies[2].targets.first_touch.target`` → target."""
    last = path.rsplit(".", 1)[-1]
    return last.split("[", 1)[0]


def _year_limit() -> str:
    return _("at most a year: %(minutes)s minutes or %(days)s working days") % {
        "minutes": format_number(sla_terms.MAX_TARGET_MINUTES),
        "days": format_number(sla_terms.MAX_TARGET_DAYS),
    }


def _one_of(values: Iterable[str]) -> str:
    return ", ".join(values)


def message(path: str, code: str) -> str:
    """What is wrong with the value at ``path``, without the path."""
    field = _field(path)
    if code == "not_an_object":
        return _("must be an object ({…})")
    if code == "unknown_field":
        return _("is not a known field")
    if code == "missing":
        return _("is missing")
    if code == "unknown_unit":
        return _("must be one of: %(units)s") % {"units": _one_of(sla_terms.UNITS)}
    if code == "not_a_whole_number":
        if field == "team":
            return _("must list team ids (whole numbers)")
        return _("must be a whole number")
    if code == "not_positive":
        return _("must be greater than zero")
    if code == "too_large":
        return _("is too long: %(limit)s") % {"limit": _year_limit()}
    if code == "out_of_range":
        if field == "warn_percent":
            return _("must be between 0 (no warning) and 99")
        return _("must be 0 (no escalation) or %(limit)s") % {"limit": _year_limit()}
    if code == "attempts_range":
        return _("must be a whole number from 0 to 100")
    if code == "unknown_grade":
        return _("must be one of: %(grades)s") % {"grades": _one_of(sla_terms.GRADES)}
    if code == "bad_fields":
        return _("must list one or more of: %(fields)s, each once") % {
            "fields": _one_of(sla_terms.COMPLETE_FIELDS)
        }
    if code == "default_too_large":
        return _(
            "the term's default target or escalation interval is too long in this unit: "
            "give them here too"
        )
    if code == "no_policies":
        return _("needs at least one policy, the catch-all last")
    if code == "too_many":
        return _("at most %(count)s policies") % {"count": sla_terms.MAX_POLICIES}
    if code == "bad_name":
        return _("needs a name of 1 to 100 characters")
    if code == "duplicate_name":
        return _("another policy has this name (a clock records its policy by name)")
    if code == "not_a_list":
        return _("must be a list of at most %(count)s values") % {
            "count": sla_terms.MAX_MATCH_VALUES
        }
    if code == "bad_value":
        return _("each value must be text of 1 to 100 characters")
    if code == "unknown_team":
        return _("is not a team")
    if code == "unknown_value":
        key = path.rsplit(".", 1)[-1].split("[", 1)[0]
        return _("is not a known value: one of %(values)s") % {
            "values": _one_of(sorted(MATCH_VALUES.get(key, ())))
        }
    if code == "unknown_calendar":
        return _("is not a calendar")
    if code == "unknown_term":
        return _("is not a term: one of %(terms)s") % {"terms": _one_of(sla_terms.TERMS)}
    if code == "catch_all_not_last":
        return _(
            "matches every lead (a catch-all) but is not the last policy: "
            "the policies after it would never apply"
        )
    if code == "no_catch_all":
        return _(
            "the last policy must match every lead (a catch-all: an empty match), "
            "so that every lead has terms"
        )
    if code == "too_long":
        return _("at most %(count)s characters") % {"count": 200}
    if code == "text_too_long":
        return _("is too long: at most %(count)s characters") % {
            "count": format_number(MAX_DEFINITION_CHARS)
        }
    if code == "not_json":
        return _("is not valid JSON")
    return code


def error_text(path: str, code: str) -> str:
    """``policies[2].targets.first_touch.target: must be greater than zero``."""
    return f"{path}: {message(path, code)}"


def errors_by_path(errors: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The API's ``errors``: path → messages (the path stays as given)."""
    out: dict[str, list[str]] = {}
    for path, code in errors:
        out.setdefault(path, []).append(message(path, code))
    return out
