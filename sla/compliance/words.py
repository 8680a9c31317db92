"""The compliance scorecard in words (issue 13): the period terms, their sides,
verdicts and breakdown dimensions, and values as people read them — shared by the
exports (CSV, PDF) and the dashboard.

The labels are ``gettext_lazy``: each function returns the text in the language active
when it is called. An unknown key is shown as given (a snapshot written by a newer
version still reads). Names of teams and people are not here: the snapshot holds ids,
and the caller looks the names up when it shows them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.numbers import format_number

TERM_LABELS: dict[str, Any] = {
    # marketing → sales
    "mql_volume": gettext_lazy("MQL volume"),
    "icp_share": gettext_lazy("MQLs matching the ICP"),
    "completeness": gettext_lazy("Key fields complete"),
    "delivery_hours": gettext_lazy("Delivery time (p90)"),
    "campaign_tagged": gettext_lazy("Campaign tagged"),
    "returns_fixed_in_time": gettext_lazy("Returns fixed in time"),
    # sales → marketing
    "accepted_in_time": gettext_lazy("Accepted or returned in time"),
    "first_touch_in_time": gettext_lazy("First touch in time"),
    "attempts_before_giving_up": gettext_lazy("Minimum attempts before giving up"),
    "status_updates_kept": gettext_lazy("Status updates kept"),
    "sql_handoff_in_time": gettext_lazy("SQL handoff in time"),
    "feedback_delivered": gettext_lazy("Quality feedback delivered"),
}
SIDE_LABELS: dict[str, Any] = {
    "marketing": gettext_lazy("Marketing → sales"),
    "sales": gettext_lazy("Sales → marketing"),
}
VERDICT_LABELS: dict[str, Any] = {
    "met": gettext_lazy("Met"),
    "missed": gettext_lazy("Missed"),
    "no_data": gettext_lazy("No data"),
}
DIMENSION_LABELS: dict[str, Any] = {
    "team": gettext_lazy("Team"),
    "person": gettext_lazy("Person"),
    "source": gettext_lazy("Source"),
    "campaign": gettext_lazy("Campaign"),
    "source_system": gettext_lazy("Source system"),
}
# Why a term has no data (the ``note`` of a term); any other code reads as "No data".
NOTE_LABELS: dict[str, Any] = {
    "no_mqls": gettext_lazy("No MQLs this month."),
    "no_clocks": gettext_lazy("No clock stopped or breached this month."),
}
KIND_UNITS: dict[str, Any] = {
    "count": gettext_lazy("count"),
    "percent": "%",
    "hours": gettext_lazy("hours"),
}


def _label(table: dict[str, Any], key: Any) -> str:
    label = table.get(key) if isinstance(key, str) else None
    return str(label) if label is not None else str(key)


def term_label(key: str) -> str:
    return _label(TERM_LABELS, key)


def side_label(side: str) -> str:
    return _label(SIDE_LABELS, side)


def verdict_label(verdict: str) -> str:
    return _label(VERDICT_LABELS, verdict)


def dimension_label(dimension: str) -> str:
    return _label(DIMENSION_LABELS, dimension)


def unit_label(kind: str) -> str:
    return _label(KIND_UNITS, kind)


def note_label(code: str) -> str:
    """Why a term has no data: "No MQLs this month."; an unknown code, "No data"."""
    label = NOTE_LABELS.get(code) if isinstance(code, str) else None
    return str(label) if label is not None else str(VERDICT_LABELS["no_data"])


def value_words(kind: str, value: Any) -> str:
    """A target or actual as read: ``312``, ``85.5%``, ``1.25 h``; none → "—"."""
    if value is None or value == "":
        return "—"
    shown = format_number(value)
    if kind == "percent":
        return _("%(value)s%%") % {"value": shown}
    if kind == "hours":
        return _("%(value)s h") % {"value": shown}
    return shown


def month_label(month: dt.date | str) -> str:
    """A month (its first day, or ``"2026-11"``) → "November 2026" / "2026年11月";
    anything else as given."""
    if isinstance(month, dt.date):
        return formats.date_format(month, "YEAR_MONTH_FORMAT")
    try:
        year, number = (int(part) for part in str(month).split("-"))
        return formats.date_format(dt.date(year, number, 1), "YEAR_MONTH_FORMAT")
    except (TypeError, ValueError):
        return str(month)
