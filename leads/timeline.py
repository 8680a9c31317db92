"""The lead page's timeline in words: each activity and ``LeadEvent`` as a title,
the people involved, a reason, plain sentences and label–value facts, in the
active language.

Events store codes and ids (``reason="not_icp"``, ``data={"to_user": 7, …}``):
the services write what the funnel, the SLA and the distribution report count.
This module is the machinery (``Words``, ``Refs``, the labels and formats every
wording shares) and words stage changes; each capability words the kinds it writes,
registered into ``EVENT_WORDING`` from ``LeadsConfig.ready``:

- ``created``, ``updated`` — ``leads/intake/timeline.py``;
- ``score_change`` — ``leads/scoring/timeline.py``;
- ``assignment``, ``touch``, ``qualification``, ``return``, ``dispute`` —
  ``leads/queue/timeline.py``;
- ``note`` (``opportunity_stage``) — ``leads/pipeline/timeline.py``;
- ``stage_change`` (``leads.queue.work``, the scoring model's promotion in
  ``leads.scoring.rescore``, routing's competitor exclusion, an opt-out's move to
  nurture, the demo) and ``consent`` (opt-outs and their reversals, ``leads.consent``)
  — here.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leads import vocabulary
from leads.models import (
    Account,
    Activity,
    ConsentChange,
    LeadEvent,
    LeadReturn,
    Opportunity,
    SourceChannel,
    Stage,
)
from leads.money import format_money
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
    "opted_out": gettext_lazy("The person opted out (do not contact)"),
}


# The demo's touch channels and outcomes beside ``Touch``'s own choices.

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


# How a team picked the person (a pool picks nobody: the title says so).

ACTIVITY_PROPERTY_LABELS: dict[str, Any] = {
    "url": gettext_lazy("Page"),
    "email": gettext_lazy("Email"),
    "campaign": gettext_lazy("Campaign"),
    "title": gettext_lazy("Title"),
}

_STAGES = dict(Stage.choices)
CHANNEL_LABELS = dict(SourceChannel.choices)
FRAMEWORK_LABELS = dict(Team.Framework.choices)
_KINDS = dict(LeadEvent.Kind.choices)

# Lead fields intake may change, by the key its ``updated`` event uses.


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


def as_id(value: Any) -> int | None:
    """A stored id, or None (a bool, a string or an impossible number is no id)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None


def money(amount: Any, currency: str = "") -> str:
    """``CNY 120,000.00`` / ``¥120,000.00`` (``leads.money``); junk as stored."""
    try:
        number = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return text(amount)
    if not number.is_finite():
        return text(amount)
    return format_money(number, currency)


def day(value: Any) -> str:
    day = value if isinstance(value, dt.date) else None
    if day is None and isinstance(value, str):
        try:
            day = parse_date(value)
        except ValueError:  # well formed but not a date, e.g. 2026-02-30
            day = None
    return date_format(day, "SHORT_DATE_FORMAT") if day else text(value)


def moment(value: Any) -> str:
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
            users.update(i for i in (as_id(data.get(k)) for k in _USER_KEYS) if i)
            teams.update(i for i in (as_id(data.get(k)) for k in _TEAM_KEYS) if i)
            for key in ("account", "account_match"):
                if isinstance(data.get(key), dict) and as_id(data[key].get("id")):
                    accounts.add(data[key]["id"])
            changed = data.get("changed") if event.kind == LeadEvent.Kind.UPDATED else None
            if isinstance(changed, dict) and isinstance(changed.get("account_id"), list):
                accounts.update(i for i in map(as_id, changed["account_id"]) if i)
            if as_id(data.get("opportunity_id")):
                opportunities.add(data["opportunity_id"])
            if as_id(data.get("return_id")):
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
        user = self.users.get(as_id(user_id) or 0)
        return person_name(user) if user is not None else _("a former user")

    def team(self, team: Any) -> str:
        if isinstance(team, str) and team:
            return team  # the demo stores the team's name
        name = self.teams.get(as_id(team) or 0)
        return name if name is not None else _("a deleted team")

    def account(self, value: Any) -> str:
        if isinstance(value, dict):
            name = self.accounts.get(as_id(value.get("id")) or 0) or value.get("name")
        else:
            name = self.accounts.get(as_id(value) or 0)
        return name or _("a deleted account")


# --------------------------------------------------------------------------- events


def _actor(event: LeadEvent) -> tuple[str, bool]:
    if event.actor_user_id:
        return person_name(event.actor_user), False
    # routing, the opt-out rule, a scoring model version…: leads.vocabulary
    return vocabulary.actor_label(event.actor_system), True


def placed(refs: Refs, user: Any, team: Any) -> str:
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
    opportunity = refs.opportunities.get(as_id(opportunity_id) or 0)
    if opportunity is not None:
        words.say(_("Opportunity “%(name)s”.") % {"name": opportunity.name})
    elif opportunity_id is not None:
        words.say(_("The opportunity has been deleted."))
    source = data.pop("source", None)
    if source:
        words.fact(_("Pipeline source"), label(dict(Opportunity.Source.choices), source))
    currency = data.pop("currency", None) or (opportunity.currency if opportunity else "")
    if "amount" in data:
        words.fact(_("Amount"), money(data.pop("amount"), currency))
    elif opportunity is not None and words.to_stage == Stage.OPPORTUNITY:
        words.fact(_("Amount"), money(opportunity.amount, opportunity.currency))
        words.fact(_("Expected close date"), day(opportunity.expected_close))
    if "close_date" in data:  # the demo's opportunity
        words.fact(_("Expected close date"), day(data.pop("close_date")))


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
            % {"framework": label(FRAMEWORK_LABELS, str(framework).lower())}
        )
    if event.reason == "opted_out":  # leads.consent: who had it, so its SDR sees why
        whom = placed(refs, data.pop("from_user", None), data.pop("from_team", None))
        if whom:
            words.say(
                _("It left the queue of %(whom)s: nobody contacts this person.") % {"whom": whom}
            )
        else:
            words.say(_("It left sales: nobody contacts this person."))
        data.pop("via", None)
    if "attempts" in data:
        attempts = data.pop("attempts")
        count = as_id(attempts)
        if count is not None:
            words.say(
                ngettext("After %(count)s touch attempt.", "After %(count)s touch attempts.", count)
                % {"count": count}
            )
        else:
            words.fact(_("Touch attempts"), attempts)
    _opportunity(words, data, refs)


# How each event kind reads: the core words stage changes; each capability registers the
# kinds it writes (leads/<package>/timeline.py, ``register`` from ``LeadsConfig.ready``).
CONSENT_TITLES: dict[str, Any] = {
    ConsentChange.Kind.OPT_OUT: gettext_lazy("Opted out: do not contact"),
    ConsentChange.Kind.REVERSAL: gettext_lazy("Opt-out reversed"),
    ConsentChange.Kind.RECORDED: gettext_lazy("Consent recorded"),
}


def _consent(words: Words, event: LeadEvent, data: dict, refs: Refs) -> None:
    words.title = label(CONSENT_TITLES, event.reason)
    words.reason = ""
    via = data.pop("via", None)
    if via:
        words.fact(_("Through"), label(dict(ConsentChange.Via.choices), via))
    if event.reason == ConsentChange.Kind.OPT_OUT:
        words.say(_("Nobody contacts this person until a marketing manager or admin reverses it."))


EVENT_WORDING: dict[str, Callable[[Words, LeadEvent, dict, Refs], None]] = {
    LeadEvent.Kind.STAGE_CHANGE: _stage_change,
    LeadEvent.Kind.CONSENT: _consent,
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
        actor=vocabulary.actor_label(activity.source),
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
