"""A calendar's audit records in the reader's words: field names as labels, weekdays,
countries and kinds of date by name (the stored records keep codes)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads import vocabulary
from sla.calendars import services
from sla.models import CalendarDate

KEY_LABELS = {
    "name": gettext_lazy("Name"),
    "time_zone": gettext_lazy("Time zone"),
    "countries": gettext_lazy("Public holidays of"),
    "makeup_weekday": gettext_lazy("An open date works the hours of"),
    "is_default": gettext_lazy("Default calendar"),
    "dates": gettext_lazy("Custom dates"),
    "date": gettext_lazy("Custom date"),
    "revision": gettext_lazy("Revision"),
}


def date_words(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    kinds = dict(CalendarDate.Kind.choices)
    text = f"{item.get('date', '')} {kinds.get(item.get('kind'), item.get('kind', ''))}"
    works_as = item.get("works_as")
    if isinstance(works_as, int) and works_as in services.WEEKDAYS:
        text += f" ({services.weekday_name(works_as)})"
    if item.get("note"):
        text += f" — {item['note']}"
    return text


def _label(key: str) -> str:
    day = key.removeprefix("hours_")
    if key.startswith("hours_") and day.isdigit() and int(day) in services.WEEKDAYS:
        return _("Working hours: %(day)s") % {"day": services.weekday_name(int(day))}
    return str(KEY_LABELS.get(key, key))


def _value(key: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "makeup_weekday" and isinstance(value, int) and value in services.WEEKDAYS:
        return services.weekday_name(value)
    if key == "countries" and isinstance(value, list):
        return ", ".join(vocabulary.country_label(code) for code in value) or "—"
    if key.startswith("hours_") and isinstance(value, list):
        spans = ", ".join(f"{pair[0]}–{pair[1]}" for pair in value if len(pair) == 2)
        return spans or _("not a working day")
    if key == "dates" and isinstance(value, list):
        return "; ".join(date_words(item) for item in value) or "—"
    if key == "date":
        return date_words(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return value


def records_in_words(records: list) -> list:
    """``records`` (with ``action_words``) with before, after and detail for reading."""
    for record in records:
        for side in ("before", "after", "detail"):
            stored = getattr(record, side)
            if isinstance(stored, dict):
                setattr(
                    record,
                    side,
                    {_label(k): _value(k, v) for k, v in stored.items()},
                )
    return records
