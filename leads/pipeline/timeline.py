"""The timeline's words for what the pipeline writes: notes, the opportunity's stage
moves among them (``opportunity_stage``).

Registered into ``leads.timeline.EVENT_WORDING`` by ``register`` (``LeadsConfig.ready``);
the core's machinery (``Words``, ``Refs``, labels) does the rest."""

from __future__ import annotations

from django.utils.translation import gettext as _

from leads.models import LeadEvent, Opportunity
from leads.timeline import (
    EVENT_WORDING,
    Refs,
    Words,
    as_id,
    label,
)


def _note(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    if event.reason != "opportunity_stage":
        words.title = str(LeadEvent.Kind.NOTE.label)
        return
    words.reason = ""
    stages = dict(Opportunity.Stage.choices)
    words.title = _("Opportunity stage changed")
    words.fact(
        _("Stage"), f"{label(stages, data.pop('from', ''))} → {label(stages, data.pop('to', ''))}"
    )
    opportunity = refs.opportunities.get(as_id(data.pop("opportunity_id", None)) or 0)
    if opportunity is not None:
        words.say(_("Opportunity “%(name)s”.") % {"name": opportunity.name})


WORDING = {
    LeadEvent.Kind.NOTE: _note,
}


def register() -> None:
    """Word these kinds in the timeline (``LeadsConfig.ready``)."""
    EVENT_WORDING.update(WORDING)
