"""The timeline's words for what scoring writes: a score change (re-scoring: old and
new total, grade, quadrant).

Registered into ``leads.timeline.EVENT_WORDING`` by ``register`` (``LeadsConfig.ready``);
the core's machinery (``Words``, ``Refs``, labels) does the rest."""

from __future__ import annotations

from django.utils.translation import gettext as _

from leads.models import LeadEvent, ScoreQuadrant
from leads.numbers import format_number
from leads.timeline import (
    EVENT_WORDING,
    Refs,
    Words,
    label,
)

_QUADRANTS = dict(ScoreQuadrant.choices)


def _score_change(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    old = data.pop("old", None) or {}
    new = data.pop("new", None) or {}
    data.pop("model_version", None)  # the actor names the model
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    if old.get("total") is None:
        words.title = _("Scored %(new)s") % {"new": format_number(new.get("total"))}
    else:
        words.title = _("Score %(old)s → %(new)s") % {
            "old": format_number(old.get("total")),
            "new": format_number(new.get("total")),
        }
    for key, name, show in (
        ("grade", _("Grade"), lambda v: v),
        ("quadrant", _("Quadrant"), lambda v: label(_QUADRANTS, v)),
    ):
        before, after = old.get(key) or "", new.get(key) or ""
        if before and after and before != after:
            words.fact(name, f"{show(before)} → {show(after)}")
        elif after:
            words.fact(name, show(after))


WORDING = {
    LeadEvent.Kind.SCORE_CHANGE: _score_change,
}


def register() -> None:
    """Word these kinds in the timeline (``LeadsConfig.ready``)."""
    EVENT_WORDING.update(WORDING)
