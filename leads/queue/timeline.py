"""The timeline's words for what the queue writes: assignments (routing's rule,
default team, account owner, manual, to the manager, already a customer, nobody
available, unrouted; the claim; the demo's owner, previous owner and team name),
touches, returns, disputes and qualification (BANT / MEDDIC).

Registered into ``leads.timeline.EVENT_WORDING`` by ``register`` (``LeadsConfig.ready``);
the core's machinery (``Words``, ``Refs``, labels) does the rest."""

from __future__ import annotations

from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leads.models import LeadEvent, LeadReturn, Touch
from leads.people.models import Team
from leads.queue import forms
from leads.timeline import (
    EVENT_WORDING,
    FRAMEWORK_LABELS,
    Refs,
    Words,
    as_id,
    label,
    moment,
    placed,
    text,
)

# The qualification forms' labels, with the demo's name for "identify pain" beside it
# (the frameworks' own order: facts are listed in it).
CRITERION_LABELS: dict[str, Any] = {}
for _name, _label in forms.CRITERION_LABELS.items():
    CRITERION_LABELS[_name] = _label
    if _name == "identify_pain":
        CRITERION_LABELS["pain"] = _label
CRITERION_VALUE_LABELS: dict[Any, Any] = forms.CRITERION_VALUE_LABELS


TOUCH_CHANNEL_LABELS: dict[str, Any] = {
    **dict(Touch.Channel.choices),
    "phone": Touch.Channel.CALL.label,
}


TOUCH_OUTCOME_LABELS: dict[str, Any] = {
    **dict(Touch.Outcome.choices),
    "voicemail": gettext_lazy("Voicemail"),
    "no_reply": gettext_lazy("No reply"),
    "held": gettext_lazy("Meeting held"),
}


TRIGGER_SENTENCES: dict[str, Any] = {
    "mql": gettext_lazy("Routed when it became an MQL."),
    "sql": gettext_lazy("Routed to the account executives when it became an SQL."),
    "away": gettext_lazy("The previous owner is away."),
    "deactivated": gettext_lazy("The previous owner was deactivated."),
}


MODE_SUFFIX: dict[str, Any] = {
    Team.Mode.ROUND_ROBIN: gettext_lazy("weighted round-robin"),
    Team.Mode.FEWEST_OPEN: gettext_lazy("fewest open leads"),
}


def _why(reason: str, data: dict, refs: Refs) -> str:
    rule = data.get("rule")
    rule_name = rule.get("name") if isinstance(rule, dict) else None
    mode = data.get("mode") if data.get("to_user") else ""
    suffix = MODE_SUFFIX.get(mode, "")
    if reason == "rule" and rule_name:
        base = _("routing rule “%(rule)s”") % {"rule": rule_name}
    elif reason == "rule":
        base = _("a routing rule")
    elif reason == "default_team":
        base = _("no routing rule matched: the default team")
    elif reason == "account_owner":
        base = _("owner of the account “%(account)s”") % {
            "account": refs.account(data.get("account"))
        }
    elif reason == "manual":
        base = _("assigned by hand")
    elif reason == "claim":
        base = _("claimed from the pool")
    elif reason == "to_manager":
        base = _("accepted leads of an absent person go to their manager")
    elif reason == "already_customer":
        base = _("already a customer: nobody in sales gets it")
    elif reason == "nobody_available":
        base = _("nobody in the team was available: it waits in the team pool")
        if rule_name:
            base = _("%(why)s (routing rule “%(rule)s”)") % {"why": base, "rule": rule_name}
    elif reason == "unrouted":
        base = _("no routing rule matched and there is no team to take it")
    elif reason:
        base = reason
    else:
        return ""
    if suffix:
        return _("%(why)s, %(mode)s") % {"why": base, "mode": suffix}
    return base


def _assignment(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    reason = event.reason or ""
    words.reason = ""
    if "to_user" in data or "to_team" in data:
        to_user, to_team = data.get("to_user"), data.get("to_team")
        from_user, from_team = data.pop("from_user", None), data.pop("from_team", None)
    else:  # the demo: owner, previous owner, team name
        to_user, to_team = data.pop("owner", None), data.pop("team", None)
        from_user, from_team = data.pop("previous_owner", None), None
    if reason == "already_customer":
        words.title = _("Offered to customer success")
    elif to_user:
        words.title = _("Assigned to %(whom)s") % {"whom": placed(refs, to_user, to_team)}
    elif to_team:
        words.title = _("Waiting in the pool of team %(team)s") % {"team": refs.team(to_team)}
    else:
        words.title = _("Not assigned")
    why = _why(reason, data, refs)
    for key in ("to_user", "to_team", "mode", "rule", "account", "offered_to", "why", "applies_to"):
        data.pop(key, None)
    if why:
        words.fact(_("Why"), capfirst(why))
    before = placed(refs, from_user, from_team)
    if before and (from_user, from_team) != (to_user, to_team):
        words.fact(_("Before"), before)
    trigger = data.pop("trigger", None)
    if trigger:
        words.say(label(TRIGGER_SENTENCES, trigger))
    match = data.pop("account_match", None)
    if isinstance(match, dict):
        sentence = (
            _("Matched to the account “%(account)s” by a similar company name.")
            if match.get("by") == "fuzzy_name"
            else _("Matched to the account “%(account)s” by the email domain.")
        )
        words.say(sentence % {"account": refs.account(match)})
    elif match is not None:
        data["account_match"] = match
    if data.pop("back_from_leave", False):
        words.say(_("Back from leave: rejoined the rotation at the team's level."))
    data.pop("load", None)  # the rotation's internal count
    if "open_leads" in data:
        count = as_id(data.pop("open_leads"))
        if count is not None:
            words.say(
                ngettext("They had %(count)s open lead.", "They had %(count)s open leads.", count)
                % {"count": count}
            )


def _touch(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    channel = data.pop("channel", "")
    outcome = event.reason or data.pop("outcome", "")
    data.pop("outcome", None)
    data.pop("touch_id", None)
    words.reason = ""
    words.title = _("%(channel)s: %(outcome)s") % {
        "channel": label(TOUCH_CHANNEL_LABELS, channel),
        "outcome": label(TOUCH_OUTCOME_LABELS, outcome),
    }


def _return(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    words.title = _("Returned to marketing")
    row = refs.returns.get(as_id(data.pop("return_id", None)) or 0)
    if row is not None and row.reason in (
        LeadReturn.Reason.WRONG_INFORMATION,
        LeadReturn.Reason.NOT_ICP,
    ):
        if row.counts_against_marketing:
            words.say(_("Counts against marketing's lead quality."))
            if row.dispute:
                words.fact(_("Dispute"), row.get_dispute_display())
        else:
            words.say(_("A director overturned it: it does not count against marketing."))


def _dispute(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    outcome = event.reason
    words.reason = ""
    if outcome == LeadReturn.Dispute.OPEN:
        words.title = _("Marketing disputed the return")
    elif outcome == LeadReturn.Dispute.UPHELD:
        words.title = _("A director upheld the return")
        words.say(_("The return counts against marketing."))
    elif outcome == LeadReturn.Dispute.OVERTURNED:
        words.title = _("A director overturned the return")
        words.say(_("The return no longer counts against marketing."))
    else:
        words.title = str(LeadEvent.Kind.DISPUTE.label)
        words.reason = text(outcome) if outcome else ""
    row = refs.returns.get(as_id(data.pop("return_id", None)) or 0)
    if row is not None:
        words.fact(
            _("Return"),
            _("%(reason)s, %(when)s")
            % {"reason": row.get_reason_display(), "when": moment(row.at)},
        )


def _criterion_value(value: Any) -> str:
    if isinstance(value, dict):
        shown = label(CRITERION_VALUE_LABELS, value.get("value", "unknown"))
        note = str(value.get("note") or "").strip()
        return f"{shown} — {note}" if note else shown
    if isinstance(value, bool):
        return label(CRITERION_VALUE_LABELS, "yes" if value else "no")
    return label(CRITERION_VALUE_LABELS, value)


def _qualification(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    framework = str(data.pop("framework", None) or event.reason or "").lower()
    words.reason = ""
    words.title = (
        _("Qualification (%(framework)s)") % {"framework": label(FRAMEWORK_LABELS, framework)}
        if framework
        else str(LeadEvent.Kind.QUALIFICATION.label)
    )
    criteria = data.pop("criteria", None)
    if criteria is None:  # the demo: criterion → true/false at the top level
        criteria = {k: data.pop(k) for k in list(data) if k in CRITERION_LABELS}
    if not isinstance(criteria, dict):
        data["criteria"] = criteria
        return
    order = list(CRITERION_LABELS)  # the frameworks' own order (stored JSON has none)
    for name in sorted(criteria, key=lambda n: (order.index(n) if n in order else len(order), n)):
        words.fact(label(CRITERION_LABELS, name), _criterion_value(criteria[name]))


WORDING = {
    LeadEvent.Kind.ASSIGNMENT: _assignment,
    LeadEvent.Kind.TOUCH: _touch,
    LeadEvent.Kind.RETURN: _return,
    LeadEvent.Kind.DISPUTE: _dispute,
    LeadEvent.Kind.QUALIFICATION: _qualification,
}


def register() -> None:
    """Word these kinds in the timeline (``LeadsConfig.ready``)."""
    EVENT_WORDING.update(WORDING)
