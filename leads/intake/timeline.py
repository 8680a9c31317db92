"""The timeline's words for what intake writes: a lead received (``created``, also
the demo's) and a lead changed (``updated``: the ``changed`` fields, old → new).

Registered into ``leads.timeline.EVENT_WORDING`` by ``register`` (``LeadsConfig.ready``);
the core's machinery (``Words``, ``Refs``, labels) does the rest."""

from __future__ import annotations

from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from leads import vocabulary
from leads.models import Lead, LeadEvent, Seniority
from leads.timeline import (
    CHANNEL_LABELS,
    EVENT_WORDING,
    Refs,
    Words,
    label,
    moment,
    text,
)

_LEAD_FIELDS = {f.attname: f for f in Lead._meta.concrete_fields}


_HIDDEN_CHANGES = {"email_normalised"}  # follows ``email``, shown there


_CHOICE_VALUES: dict[str, dict[str, Any]] = {
    "source_channel": CHANNEL_LABELS,
    "seniority": dict(Seniority.choices),
}


def _created(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    words.title = _("Lead received")
    channel = data.pop("source_channel", None)
    channel = data.pop("channel", None) or channel  # the demo's key
    if channel:
        words.fact(_("Source channel"), label(CHANNEL_LABELS, channel))
    campaign = data.pop("campaign", None)
    if campaign:
        words.fact(_("Campaign"), campaign)
    if data.pop("synthetic", False):
        words.say(_("Synthetic demo data."))


def _change_value(name: str, value: Any, refs: Refs) -> str:
    if value is None or value == "":
        return "—"
    if name == "account_id":
        return refs.account(value)
    if name in _CHOICE_VALUES:
        return label(_CHOICE_VALUES[name], value)
    if name == "language":  # "zh-hans" → "Simplified Chinese" / "简体中文"
        return vocabulary.language_label(value) or "—"
    model_field = _LEAD_FIELDS.get(name)
    if model_field is not None and model_field.get_internal_type() == "DateTimeField":
        return moment(value)
    return text(value)


def _updated(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    words.title = str(LeadEvent.Kind.UPDATED.label)
    changed = data.pop("changed", None)
    if not isinstance(changed, dict):
        if changed is not None:
            data["changed"] = changed
        return
    order = list(_LEAD_FIELDS)  # the model's order (stored JSON keeps none)
    for name in sorted(changed, key=lambda n: (order.index(n) if n in order else len(order), n)):
        pair = changed[name]
        if name in _HIDDEN_CHANGES:
            continue
        model_field = _LEAD_FIELDS.get(name)
        shown = capfirst(model_field.verbose_name) if model_field is not None else name
        if isinstance(pair, list) and len(pair) == 2:
            old, new = (_change_value(name, v, refs) for v in pair)
            words.fact(shown, f"{old} → {new}")
        else:
            words.fact(shown, text(pair))


WORDING = {
    LeadEvent.Kind.CREATED: _created,
    LeadEvent.Kind.UPDATED: _updated,
}


def register() -> None:
    """Word these kinds in the timeline (``LeadsConfig.ready``)."""
    EVENT_WORDING.update(WORDING)
