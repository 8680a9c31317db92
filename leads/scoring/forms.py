"""The scoring editors' rows: what the browser posts, turned into a model
definition, and the service's validation errors put back on the rows.

The pages post one input per cell, named ``fit-<n>-<cell>`` and
``interest-<n>-<cell>`` (``n`` grows as rows are added in the browser and has
gaps where rows were removed; rows keep the order of ``n``), ``grade-A``,
``grade-B``, ``grade-C``, ``threshold-<attribute>`` and ``label``.

Parsing is lenient on purpose: what cannot be read as the type a rule needs is
passed on as the text typed, so the ONE validation (``validate_model`` behind
``scoring_model_update_draft``) reports it, and the page shows the error by the
row and cell it names with the user's input kept (a "row" here is the raw text of
each cell, the shape the templates render).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from leads.intake.services import UNSTORABLE_TEXT
from leads.scoring.definitions import MAX_LABEL_LENGTH
from leads.scoring.engine import FIELD_TYPES, OPERATORS, ModelError

MAX_ROWS = 200
FIT_CELLS = ("field", "operator", "value", "value_bool", "points", "must", "group")
INTEREST_CELLS = ("activity_type", "points", "cap", "half_life_days", "window_days")
THRESHOLD_CELLS = ("mode", "min_grade", "min_interest", "min_total")
GRADE_CUTS = ("A", "B", "C")

_LIST_SPLIT = re.compile(r"[,，;；\n]")
_RANGE_SPLIT = re.compile(r"\s*(?:[,，;；~～–—]|\.\.)\s*")
_NUMBER_NOISE = re.compile(r"[\s_]")
# a comma is a thousands separator only between groups of three digits: "5,000,000"
# is five million, "5,5" is not a number (not 55: validation names it)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


class TooManyRows(ValueError):
    pass


# ------------------------------------------------------------------ raw ⇄ values


def raw_number(value: Any) -> str:
    """A stored number as the input shows it: ``5000000``, ``61.5``; '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and math.isfinite(float(value)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def parse_number(text: str, *, empty: Any = None) -> Any:
    """``"5,000,000"`` → 5000000, ``"61.5"`` → 61.5; ``empty`` for blank input; the
    text itself when it is not a number (validation names it), ``"5,5"`` included."""
    text = (text or "").strip()
    if not text:
        return empty
    cleaned = _NUMBER_NOISE.sub("", text)
    if "," in cleaned:
        if not _THOUSANDS.match(cleaned):
            return text
        cleaned = cleaned.replace(",", "")
    try:
        number = float(cleaned)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() else number


def _raw_value(rule: Mapping[str, Any]) -> tuple[str, str]:
    """(text input, yes/no select) for a stored rule value."""
    value = rule.get("value")
    if isinstance(value, bool):
        return "", "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(raw_number(v) for v in value), ""
    return raw_number(value), ""


def split_list(text: str) -> list[str]:
    """``"CN, US，DE"`` → ``["CN", "US", "DE"]`` (commas, semicolons, new lines)."""
    return [item.strip() for item in _LIST_SPLIT.split(text or "") if item.strip()]


def _rule_value(field_name: str, operator: str, text: str, yes_no: str) -> Any:
    ftype = FIELD_TYPES.get(field_name)
    if ftype == "bool":
        return {"true": True, "false": False}.get(yes_no, yes_no or text)
    if ftype == "number":
        if operator == "between":
            parts = [p for p in _RANGE_SPLIT.split(text.strip()) if p]
            return [parse_number(p, empty=p) for p in parts]
        return parse_number(text, empty="")
    if operator in ("in", "not_in"):
        return split_list(text)
    return text.strip()


# ---------------------------------------------------------------------- rows


def _indexes(data: Mapping[str, Any], prefix: str) -> list[int]:
    pattern = re.compile(rf"^{prefix}-(\d+)-")
    found = {int(m.group(1)) for key in data for m in [pattern.match(key)] if m}
    if len(found) > MAX_ROWS:
        raise TooManyRows(prefix)
    return sorted(found)


def fit_rows_from_post(data) -> list[dict[str, Any]]:
    rows = []
    for n in _indexes(data, "fit"):
        row = {cell: (data.get(f"fit-{n}-{cell}") or "") for cell in FIT_CELLS}
        row["must"] = bool(row["must"])
        rows.append(row)
    return rows


def fit_rows_from_rules(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for rule in rules:
        text, yes_no = _raw_value(rule)
        rows.append(
            {
                "field": rule.get("field", ""),
                "operator": rule.get("operator", ""),
                "value": text,
                "value_bool": yes_no,
                "points": raw_number(rule.get("points", 0)),
                "must": bool(rule.get("must")),
                "group": rule.get("group") or "",
            }
        )
    return rows


def fit_rules_from_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "field": row["field"],
            "operator": row["operator"],
            "value": _rule_value(row["field"], row["operator"], row["value"], row["value_bool"]),
            "points": parse_number(row["points"], empty=0),
            "must": bool(row["must"]),
            "group": row["group"].strip(),
        }
        for row in rows
    ]


def interest_rows_from_post(data) -> list[dict[str, Any]]:
    return [
        {cell: (data.get(f"interest-{n}-{cell}") or "") for cell in INTEREST_CELLS}
        for n in _indexes(data, "interest")
    ]


def interest_rows_from_rules(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "activity_type": rule.get("activity_type", ""),
            **{cell: raw_number(rule.get(cell)) for cell in INTEREST_CELLS[1:]},
        }
        for rule in rules
    ]


def interest_rules_from_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "activity_type": row["activity_type"],
            **{cell: parse_number(row[cell]) for cell in INTEREST_CELLS[1:]},
        }
        for row in rows
    ]


def grades_raw(source: Mapping[str, Any], *, posted: bool) -> dict[str, str]:
    if posted:
        return {g: source.get(f"grade-{g}", "") or "" for g in GRADE_CUTS}
    return {g: raw_number(source.get(g)) for g in GRADE_CUTS}


def grades_from_raw(raw: Mapping[str, str]) -> dict[str, Any]:
    return {g: parse_number(raw[g]) for g in GRADE_CUTS}


def threshold_raw(source: Mapping[str, Any] | None, *, posted: bool) -> dict[str, str]:
    if posted:
        return {cell: source.get(f"threshold-{cell}", "") or "" for cell in THRESHOLD_CELLS}
    source = source or {}
    return {
        "mode": source.get("mode") or "",
        "min_grade": source.get("min_grade") or "",
        "min_interest": raw_number(source.get("min_interest")),
        "min_total": raw_number(source.get("min_total")),
    }


def threshold_from_raw(raw: Mapping[str, str]) -> dict[str, Any]:
    """The threshold; outside the ``total`` mode a minimum total that is not a
    number is dropped (that mode ignores it, and validation does not check it)."""
    mode = raw["mode"].strip()
    min_total = parse_number(raw["min_total"])
    if mode != "total" and not isinstance(min_total, int | float):
        min_total = None
    return {
        "mode": mode,
        "min_grade": raw["min_grade"].strip() or None,
        "min_interest": parse_number(raw["min_interest"]),
        "min_total": min_total,
    }


# -------------------------------------------------------------------- errors


@dataclass
class EditorErrors:
    """Validation errors placed where the page shows them."""

    fit: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    interest: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    grades: dict[str, list[str]] = field(default_factory=dict)
    threshold: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fit or self.interest or self.grades or self.threshold or self.general)

    def count(self) -> int:
        return (
            sum(
                len(messages)
                for cells in (*self.fit.values(), *self.interest.values())
                for messages in cells.values()
            )
            + sum(len(messages) for messages in self.grades.values())
            + sum(len(messages) for messages in self.threshold.values())
            + len(self.general)
        )


def _type_name(ftype: str) -> str:
    names = {"number": _("a number"), "text": _("a text"), "bool": _("a yes/no")}
    return names.get(ftype, ftype)


def _fit_error(error: ModelError, row: Mapping[str, Any] | None) -> tuple[str, str]:
    """(cell, message) for an error on a fit rule."""
    ftype = FIELD_TYPES.get(row["field"]) if row else None
    operator = row["operator"] if row else ""
    if error.code == "unknown_field":
        return "field", _("Choose a field from the list.")
    if error.code == "operator_type" and ftype:
        return "operator", _("This operator does not fit %(type)s field.") % {
            "type": _type_name(ftype)
        }
    if error.code == "bad_value":
        if ftype == "bool":
            return "value", _("Choose yes or no.")
        if ftype == "number" and operator == "between":
            if "low <= high" in error.message:
                return "value", _("The low number must come first, e.g. 50, 500.")
            return "value", _("Enter two numbers, low and high, e.g. 50, 500.")
        if ftype == "number":
            return "value", _("Enter a number.")
        if operator in ("in", "not_in"):
            return "value", _("Enter one or more values separated by commas.")
        return "value", _("Enter a value.")
    if error.code == "bad_points":
        return "points", _("Points must be a number.")
    if error.code == "missing":
        return error.field, _("This field is required.")
    return "field", error.message


def _interest_error(error: ModelError) -> tuple[str, str]:
    if error.code == "unknown_activity_type":
        return "activity_type", _("Choose an activity type from the list.")
    if error.code == "duplicate":
        return "activity_type", _("This activity type already has a rule above.")
    if error.code == "missing":
        return error.field, _("This field is required.")
    if error.code == "out_of_range":
        # the engine's message starts with the attribute it is about
        for cell in ("half_life_days", "window_days", "cap", "points"):
            if error.message.startswith(cell):
                if cell in ("half_life_days", "window_days"):
                    return cell, _("Enter a number above 0, or leave it empty.")
                if cell == "cap":
                    return cell, _("Enter a number, 0 or more, or leave it empty.")
                return cell, _("Enter a number, 0 or more.")
    return "activity_type", error.message


def _threshold_error(error: ModelError) -> tuple[str | None, str]:
    if error.field == "mode":
        return "mode", _("Choose a rule.")
    if error.field == "min_grade":
        return "min_grade", _("Choose a grade.")
    if error.field == "min_total" and error.code == "missing":
        return "min_total", _("The total rule needs a minimum total.")
    if error.field in ("min_interest", "min_total"):
        return error.field, _("Enter a number, 0 or more.")
    if error.code == "missing":
        return None, _("The model needs an MQL threshold.")
    return None, error.message


STORABLE_CODES = ("unstorable", "too_long", "too_deep", "too_large")


def _place_storable(placed: EditorErrors, error: ModelError, add) -> None:
    """An error from ``definitions.storable_errors``: by the cell it names, else above
    the form."""
    if error.code == "unstorable":
        message = str(UNSTORABLE_TEXT)
    elif error.code == "too_long":
        message = _("The label is at most %(count)s characters.") % {"count": MAX_LABEL_LENGTH}
    else:
        message = _("The model is too large to be stored.")
    cell = error.field.split("[")[0]
    if error.section == "fit" and error.index is not None and cell in FIT_CELLS:
        add(placed.fit.setdefault(error.index, {}), cell, message)
    elif error.section == "interest" and error.index is not None and cell in INTEREST_CELLS:
        add(placed.interest.setdefault(error.index, {}), cell, message)
    elif error.section == "grades" and cell in GRADE_CUTS:
        add(placed.grades, cell, message)
    elif error.section == "threshold" and cell in THRESHOLD_CELLS:
        add(placed.threshold, cell, message)
    else:
        placed.general.append(message)


def place_errors(
    errors: Sequence[ModelError],
    *,
    fit_rows: Sequence[Mapping[str, Any]] = (),
) -> EditorErrors:
    """Put each service error by the row and cell it names, in the page's words."""
    placed = EditorErrors()

    def add(target: dict, key: Any, message: str) -> None:
        target.setdefault(key, []).append(message)

    for error in errors:
        if error.code in STORABLE_CODES:
            _place_storable(placed, error, add)
        elif error.section == "fit" and error.index is not None:
            row = fit_rows[error.index] if error.index < len(fit_rows) else None
            cell, message = _fit_error(error, row)
            add(placed.fit.setdefault(error.index, {}), cell, message)
        elif error.section == "interest" and error.index is not None:
            cell, message = _interest_error(error)
            add(placed.interest.setdefault(error.index, {}), cell, message)
        elif error.section == "grades" and error.field in GRADE_CUTS:
            if error.code == "out_of_range":
                message = _("Thresholds must fall from A to C.")
            else:
                message = _("Enter a number.")
            add(placed.grades, error.field, message)
        elif error.section == "threshold":
            cell, message = _threshold_error(error)
            if cell is None:
                placed.general.append(message)
            else:
                add(placed.threshold, cell, message)
        else:
            placed.general.append(error.message)
    return placed


# ----------------------------------------------------------- choices for the page


def operators_fitting(field_name: str) -> tuple[str, ...]:
    ftype = FIELD_TYPES.get(field_name)
    return OPERATORS[ftype] if ftype else ()
