"""Clocks in words: outcomes and targets as people read them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sla import terms as T
from sla import wording

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
    """The clock's target as its terms version set it: “2 working hours”, “1 working
    day”, “48 hours (24×7)” (``sla.wording``)."""
    if clock.unit == "working_days":  # stored as time: say it in the days it was set in
        definition = clock.terms.definition if clock.terms_id else T.default_definition()
        index = T.policy_index(definition, clock.policy)
        return wording.amount_words(T.target(definition, index, clock.term).target, clock.unit)
    return wording.amount_words(int(clock.target.total_seconds() // 60), clock.unit)
