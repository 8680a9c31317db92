"""The lead page's timeline in words: each activity and ``LeadEvent`` as a title,
the people involved, a reason, plain sentences and label–value facts, in the
active language.

Events store codes and ids (``reason="not_icp"``, ``data={"to_user": 7, …}``):
the services write what the funnel, the SLA and the distribution report count.
This module owns how those read, as ``leads.scoring.wording`` does for scores.
Every shape written today has its own wording:

- ``created`` (intake, the demo), ``updated`` (intake: ``changed`` field → [old, new]);
- ``stage_change`` (``leads.queue.work``, the scoring model's promotion in
  ``leads.scoring.rescore``, routing's competitor exclusion, the demo);
- ``assignment`` (``leads.queue.routing``: rule, default team, account owner, manual,
  to the manager, already a customer, nobody available, unrouted;
  ``leads.queue.claim.claim_next``: claim; the demo's owner / previous owner / team name);
- ``score_change`` (re-scoring: old and new total, grade, quadrant);
- ``touch``, ``qualification``, ``return``, ``dispute`` and ``note``
  (``opportunity_stage``) from ``leads.queue.work``, and the demo's touches and
  qualifications.

Touches and qualification changes are in the timeline as their events: every
``Touch`` row and every qualification update is written with a ``touch`` /
``qualification`` event carrying what it says, so no row is read twice.

Ids are resolved with a fixed number of queries whatever the number of entries:
the ids of all entries are collected first, then one query per model (people,
teams, accounts, opportunities, returns), each only when some entry names one.
A key this module does not know still shows, as its key and value (the template
escapes both); a known key never shows raw.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leads.models import (
    Account,
    Activity,
    Lead,
    LeadEvent,
    LeadReturn,
    Opportunity,
    ScoreQuadrant,
    Seniority,
    SourceChannel,
    Stage,
    Touch,
)
from leads.numbers import format_number
from leads.people.models import Team
from leads.people.names import person_name

# --------------------------------------------------------------------------- labels

# Why a lead left the queue: the return reasons, the SDR's disqualify reasons, the
# AE's lost reasons of the demo, and the short reasons of marketing's and scoring's
# moves. Free text (an AE's reject reason, marketing's own reason) shows as typed.
REASON_LABELS: dict[str, Any] = {
    **dict(LeadReturn.Reason.choices),
    "no_response": gettext_lazy("No response"),
    "no_need": gettext_lazy("No need"),
    "no_budget": gettext_lazy("No budget"),
    "other": gettext_lazy("Other"),
    "resent": gettext_lazy("Fixed and re-sent"),
    "corrected": gettext_lazy("Corrected by marketing"),
    "recycled": gettext_lazy("Recycled: over the MQL threshold again"),
    "price": gettext_lazy("Price"),
    "no_decision": gettext_lazy("No decision"),
    "timing": gettext_lazy("Timing"),
}

CRITERION_LABELS: dict[str, Any] = {
    "budget": gettext_lazy("Budget"),
    "authority": gettext_lazy("Authority"),
    "need": gettext_lazy("Need"),
    "timing": gettext_lazy("Timing"),
    "metrics": gettext_lazy("Metrics"),
    "economic_buyer": gettext_lazy("Economic buyer"),
    "decision_criteria": gettext_lazy("Decision criteria"),
    "decision_process": gettext_lazy("Decision process"),
    "identify_pain": gettext_lazy("Identify pain"),
    "pain": gettext_lazy("Identify pain"),  # the demo's name for it
    "champion": gettext_lazy("Champion"),
}
CRITERION_VALUE_LABELS: dict[Any, Any] = {
    "unknown": gettext_lazy("Unknown"),
    "yes": gettext_lazy("Yes"),
    "no": gettext_lazy("No"),
}

# The demo's touch channels and outcomes beside ``Touch``'s own choices.
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

# Titles say what happened; the stages themselves show beside them (from → to).
STAGE_TITLES: dict[str, Any] = {
    Stage.MQL: gettext_lazy("Passed to sales"),
    Stage.SAL: gettext_lazy("Accepted by the SDR"),
    Stage.SQL: gettext_lazy("Converted by the SDR"),
    Stage.OPPORTUNITY: gettext_lazy("Accepted into the pipeline"),
    Stage.WON: gettext_lazy("Won"),
    Stage.LOST: gettext_lazy("Lost"),
    Stage.RETURNED: gettext_lazy("Returned to marketing for a fix"),
    Stage.NURTURE: gettext_lazy("Sent to nurture"),
    Stage.DISQUALIFIED: gettext_lazy("Disqualified"),
    Stage.CUSTOMER_SUCCESS: gettext_lazy("Offered to customer success"),
    Stage.EXCLUDED: gettext_lazy("Excluded"),
    Stage.INQUIRY: gettext_lazy("Back to inquiry"),
}

TRIGGER_SENTENCES: dict[str, Any] = {
    "mql": gettext_lazy("Routed when it became an MQL."),
    "sql": gettext_lazy("Routed to the account executives when it became an SQL."),
    "away": gettext_lazy("The previous owner is away."),
    "deactivated": gettext_lazy("The previous owner was deactivated."),
}

# How a team picked the person (a pool picks nobody: the title says so).
MODE_SUFFIX: dict[str, Any] = {
    Team.Mode.ROUND_ROBIN: gettext_lazy("weighted round-robin"),
    Team.Mode.FEWEST_OPEN: gettext_lazy("fewest open leads"),
}

ACTIVITY_PROPERTY_LABELS: dict[str, Any] = {
    "url": gettext_lazy("Page"),
    "email": gettext_lazy("Email"),
    "campaign": gettext_lazy("Campaign"),
    "title": gettext_lazy("Title"),
}

_STAGES = dict(Stage.choices)
_CHANNELS = dict(SourceChannel.choices)
_QUADRANTS = dict(ScoreQuadrant.choices)
_FRAMEWORKS = dict(Team.Framework.choices)
_KINDS = dict(LeadEvent.Kind.choices)

# Lead fields intake may change, by the key its ``updated`` event uses.
_LEAD_FIELDS = {f.attname: f for f in Lead._meta.concrete_fields}
_HIDDEN_CHANGES = {"email_normalised"}  # follows ``email``, shown there
_CHOICE_VALUES: dict[str, dict[str, Any]] = {
    "source_channel": _CHANNELS,
    "seniority": dict(Seniority.choices),
}
_SCORING_ACTOR = re.compile(r"^scoring model v(\d+)$")


def label(mapping: dict, key: Any) -> str:
    """The label of ``key`` in ``mapping``, else ``key`` itself as text."""
    try:
        found = mapping.get(key)
    except TypeError:  # an unhashable value
        found = None
    return str(found) if found is not None else text(key)


def stage_label(code: str | None) -> str:
    return label(_STAGES, code) if code else ""


def text(value: Any) -> str:
    """Any stored value as a person reads it (for keys nobody worded)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, (int, float, Decimal)):
        return format_number(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _int(value: Any) -> int | None:
    """A stored id, or None (a bool, a string or an impossible number is no id)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None


def _money(amount: Any, currency: str = "") -> str:
    """``120,000 CNY``, ``1,250.50 USD``."""
    try:
        number = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return text(amount)
    if not number.is_finite():
        return text(amount)
    shown = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    return f"{shown} {currency}".strip()


def _day(value: Any) -> str:
    day = value if isinstance(value, dt.date) else None
    if day is None and isinstance(value, str):
        try:
            day = parse_date(value)
        except ValueError:  # well formed but not a date, e.g. 2026-02-30
            day = None
    return date_format(day, "SHORT_DATE_FORMAT") if day else text(value)


def _moment(value: Any) -> str:
    moment = value if isinstance(value, dt.datetime) else None
    if moment is None and isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
    if moment is None:
        return text(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "SHORT_DATETIME_FORMAT")


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass
class Words:
    """One timeline entry in words. ``source`` is ``event`` or ``activity``;
    ``kind`` the event kind (or ``activity``), for styling."""

    source: str
    kind: str
    at: dt.datetime
    title: str
    actor: str = ""
    actor_is_system: bool = False
    from_stage: str = ""
    to_stage: str = ""
    from_label: str = ""
    to_label: str = ""
    reason: str = ""
    sentences: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    note: str = ""

    def fact(self, name: Any, value: Any) -> None:
        self.facts.append(Fact(str(name), value if isinstance(value, str) else text(value)))

    def say(self, sentence: Any) -> None:
        self.sentences.append(str(sentence))


# --------------------------------------------------------------------------- ids


_USER_KEYS = ("to_user", "from_user", "owner", "previous_owner")
_TEAM_KEYS = ("to_team", "from_team")


@dataclass
class Refs:
    """The people, teams, accounts, opportunities and returns the entries name,
    read with one query per model."""

    users: dict[int, Any] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)
    opportunities: dict[int, Opportunity] = field(default_factory=dict)
    returns: dict[int, LeadReturn] = field(default_factory=dict)

    @classmethod
    def load(cls, events: Iterable[LeadEvent]) -> Refs:
        users: set[int] = set()
        teams: set[int] = set()
        accounts: set[int] = set()
        opportunities: set[int] = set()
        returns: set[int] = set()
        for event in events:
            data = event.data if isinstance(event.data, dict) else {}
            users.update(i for i in (_int(data.get(k)) for k in _USER_KEYS) if i)
            teams.update(i for i in (_int(data.get(k)) for k in _TEAM_KEYS) if i)
            for key in ("account", "account_match"):
                if isinstance(data.get(key), dict) and _int(data[key].get("id")):
                    accounts.add(data[key]["id"])
            changed = data.get("changed") if event.kind == LeadEvent.Kind.UPDATED else None
            if isinstance(changed, dict) and isinstance(changed.get("account_id"), list):
                accounts.update(i for i in map(_int, changed["account_id"]) if i)
            if _int(data.get("opportunity_id")):
                opportunities.add(data["opportunity_id"])
            if _int(data.get("return_id")):
                returns.add(data["return_id"])
        refs = cls()
        if users:
            refs.users = get_user_model().objects.in_bulk(users)
        if teams:
            refs.teams = dict(Team.objects.filter(pk__in=teams).values_list("pk", "name"))
        if accounts:
            refs.accounts = dict(Account.objects.filter(pk__in=accounts).values_list("pk", "name"))
        if opportunities:
            refs.opportunities = Opportunity.objects.in_bulk(opportunities)
        if returns:
            refs.returns = LeadReturn.objects.in_bulk(returns)
        return refs

    def person(self, user_id: Any) -> str:
        user = self.users.get(_int(user_id) or 0)
        return person_name(user) if user is not None else _("a former user")

    def team(self, team: Any) -> str:
        if isinstance(team, str) and team:
            return team  # the demo stores the team's name
        name = self.teams.get(_int(team) or 0)
        return name if name is not None else _("a deleted team")

    def account(self, value: Any) -> str:
        if isinstance(value, dict):
            name = self.accounts.get(_int(value.get("id")) or 0) or value.get("name")
        else:
            name = self.accounts.get(_int(value) or 0)
        return name or _("a deleted account")


# --------------------------------------------------------------------------- events


def _actor(event: LeadEvent) -> tuple[str, bool]:
    if event.actor_user_id:
        return person_name(event.actor_user), False
    system = event.actor_system or ""
    if system == "routing":
        return _("routing"), True
    match = _SCORING_ACTOR.match(system)
    if match:
        return _("scoring model v%(number)s") % {"number": match.group(1)}, True
    return system, True


def _placed(refs: Refs, user: Any, team: Any) -> str:
    """ "Ann Lee (team SDR East)", "Ann Lee", "the pool of team SDR East" or ""."""
    if user and team:
        return _("%(person)s (team %(team)s)") % {
            "person": refs.person(user),
            "team": refs.team(team),
        }
    if user:
        return refs.person(user)
    if team:
        return _("the pool of team %(team)s") % {"team": refs.team(team)}
    return ""


def _created(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    words.title = _("Lead received")
    channel = data.pop("source_channel", None)
    channel = data.pop("channel", None) or channel  # the demo's key
    if channel:
        words.fact(_("Source channel"), label(_CHANNELS, channel))
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
    model_field = _LEAD_FIELDS.get(name)
    if model_field is not None and model_field.get_internal_type() == "DateTimeField":
        return _moment(value)
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


def _score_sentence(total: Any, grade: Any) -> str:
    if grade:
        return _("Score %(total)s, grade %(grade)s.") % {
            "total": format_number(total),
            "grade": grade,
        }
    return _("Score %(total)s.") % {"total": format_number(total)}


def _opportunity(words: Words, data: dict, refs: Refs) -> None:
    """The opportunity an AE's move names (accepted, won, lost) and its amount."""
    opportunity_id = data.pop("opportunity_id", None)
    opportunity = refs.opportunities.get(_int(opportunity_id) or 0)
    if opportunity is not None:
        words.say(_("Opportunity “%(name)s”.") % {"name": opportunity.name})
    elif opportunity_id is not None:
        words.say(_("The opportunity has been deleted."))
    source = data.pop("source", None)
    if source:
        words.fact(_("Pipeline source"), label(dict(Opportunity.Source.choices), source))
    currency = data.pop("currency", None) or (opportunity.currency if opportunity else "")
    if "amount" in data:
        words.fact(_("Amount"), _money(data.pop("amount"), currency))
    elif opportunity is not None and words.to_stage == Stage.OPPORTUNITY:
        words.fact(_("Amount"), _money(opportunity.amount, opportunity.currency))
        words.fact(_("Expected close date"), _day(opportunity.expected_close))
    if "close_date" in data:  # the demo's opportunity
        words.fact(_("Expected close date"), _day(data.pop("close_date")))


def _stage_change(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    if event.to_stage:
        words.title = label(STAGE_TITLES, event.to_stage)
    if event.to_stage == Stage.LOST and event.reason:
        words.fact(_("Lost reason"), label(REASON_LABELS, event.reason))
        words.reason = ""
    domain = data.pop("domain", None)
    if domain:
        words.say(
            _("The domain %(domain)s is on the competitor list: never routed again.")
            % {"domain": domain}
        )
    if "total" in data or "score" in data:  # the scoring model's promotion (demo: score)
        total = data.pop("total") if "total" in data else data.pop("score")
        words.say(_score_sentence(total, data.pop("grade", "")))
    framework = data.pop("framework", None)
    if framework:
        words.say(
            _("Qualified with %(framework)s.")
            % {"framework": label(_FRAMEWORKS, str(framework).lower())}
        )
    if "attempts" in data:
        attempts = data.pop("attempts")
        count = _int(attempts)
        if count is not None:
            words.say(
                ngettext("After %(count)s touch attempt.", "After %(count)s touch attempts.", count)
                % {"count": count}
            )
        else:
            words.fact(_("Touch attempts"), attempts)
    _opportunity(words, data, refs)


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
        words.title = _("Assigned to %(whom)s") % {"whom": _placed(refs, to_user, to_team)}
    elif to_team:
        words.title = _("Waiting in the pool of team %(team)s") % {"team": refs.team(to_team)}
    else:
        words.title = _("Not assigned")
    why = _why(reason, data, refs)
    for key in ("to_user", "to_team", "mode", "rule", "account", "offered_to", "why", "applies_to"):
        data.pop(key, None)
    if why:
        words.fact(_("Why"), capfirst(why))
    before = _placed(refs, from_user, from_team)
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
        count = _int(data.pop("open_leads"))
        if count is not None:
            words.say(
                ngettext("They had %(count)s open lead.", "They had %(count)s open leads.", count)
                % {"count": count}
            )


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
    row = refs.returns.get(_int(data.pop("return_id", None)) or 0)
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
    row = refs.returns.get(_int(data.pop("return_id", None)) or 0)
    if row is not None:
        words.fact(
            _("Return"),
            _("%(reason)s, %(when)s")
            % {"reason": row.get_reason_display(), "when": _moment(row.at)},
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
        _("Qualification (%(framework)s)") % {"framework": label(_FRAMEWORKS, framework)}
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
    opportunity = refs.opportunities.get(_int(data.pop("opportunity_id", None)) or 0)
    if opportunity is not None:
        words.say(_("Opportunity “%(name)s”.") % {"name": opportunity.name})


EVENT_WORDING: dict[str, Callable[[Words, LeadEvent, dict, Refs], None]] = {
    LeadEvent.Kind.CREATED: _created,
    LeadEvent.Kind.UPDATED: _updated,
    LeadEvent.Kind.STAGE_CHANGE: _stage_change,
    LeadEvent.Kind.ASSIGNMENT: _assignment,
    LeadEvent.Kind.SCORE_CHANGE: _score_change,
    LeadEvent.Kind.TOUCH: _touch,
    LeadEvent.Kind.RETURN: _return,
    LeadEvent.Kind.DISPUTE: _dispute,
    LeadEvent.Kind.QUALIFICATION: _qualification,
    LeadEvent.Kind.NOTE: _note,
}


def event_words(event: LeadEvent, refs: Refs) -> Words:
    """One event in words; ``refs`` holds what its ids name (``Refs.load``)."""
    actor, is_system = _actor(event)
    words = Words(
        source="event",
        kind=event.kind,
        at=event.at,
        title=label(_KINDS, event.kind),
        actor=actor,
        actor_is_system=is_system,
        from_stage=event.from_stage or "",
        to_stage=event.to_stage or "",
        from_label=stage_label(event.from_stage),
        to_label=stage_label(event.to_stage),
        reason=label(REASON_LABELS, event.reason) if event.reason else "",
    )
    raw = event.data
    data = dict(raw) if isinstance(raw, dict) else ({"data": raw} if raw else {})
    note = data.pop("note", "")
    words.note = note.strip() if isinstance(note, str) else text(note)
    wording = EVENT_WORDING.get(event.kind)
    if wording is not None:
        wording(words, event, data, refs)
    for key, value in data.items():  # what nobody worded still shows
        words.fact(key, text(value))
    return words


def activity_words(activity: Activity) -> Words:
    words = Words(
        source="activity",
        kind="activity",
        at=activity.occurred_at,
        title=activity.get_type_display(),
        actor=activity.source,
        actor_is_system=bool(activity.source),
    )
    properties = activity.properties if isinstance(activity.properties, dict) else {}
    for key, value in properties.items():
        words.fact(label(ACTIVITY_PROPERTY_LABELS, key), text(value))
    return words


def timeline_words(entries: list[dict]) -> list[Words]:
    """The words of ``leads.selectors.lead_timeline``'s entries, in their order.
    At most one query per referenced model, whatever the number of entries."""
    events = [e["object"] for e in entries if e["kind"] == "event"]
    refs = Refs.load(events)
    worded: list[Words] = []
    last_return: LeadEvent | None = None
    for entry in entries:
        if entry["kind"] != "event":
            worded.append(activity_words(entry["object"]))
            continue
        event = entry["object"]
        words = event_words(event, refs)
        if _repeats_the_return(event, last_return):
            words.reason = words.note = ""  # said by the return just above
        last_return = event if event.kind == LeadEvent.Kind.RETURN else None
        worded.append(words)
    return worded


def _repeats_the_return(event: LeadEvent, last_return: LeadEvent | None) -> bool:
    """A return writes a ``return`` event, then the stage move with the same reason
    and note (``leads.queue.work.lead_return``): the move need not say them twice."""
    return (
        last_return is not None
        and event.kind == LeadEvent.Kind.STAGE_CHANGE
        and (event.from_stage, event.to_stage, event.reason)
        == (last_return.from_stage, last_return.to_stage, last_return.reason)
    )
