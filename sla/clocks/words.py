"""Clocks in words: outcomes and units as people read them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

OUTCOMES = {
    "met": _("Met"),
    "breached": _("Breached"),
    "window_closed": _("Window closed"),
    "late_return": _("Returned after the window"),
    "cancelled_reassigned": _("Cancelled (reassigned)"),
    "cancelled_untouched": _("Cancelled, untouched"),
    "cancelled": _("Cancelled (left sales)"),
}


def outcome_label(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome))


def target_words(clock) -> str:
    """“2 working hours”, “5 working days”, “48 hours”."""
    minutes = int(clock.target.total_seconds() // 60)
    if clock.unit == "plain_minutes":
        if minutes % 60 == 0:
            return ngettext("%(n)s hour", "%(n)s hours", minutes // 60) % {"n": minutes // 60}
        return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)s working hour", "%(n)s working hours", hours) % {"n": hours}
    return ngettext("%(n)s working minute", "%(n)s working minutes", minutes) % {"n": minutes}
