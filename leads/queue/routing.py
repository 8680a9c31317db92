"""Routing: who gets a lead when it becomes an MQL (SDR teams) or an SQL (AE teams),
and every reassignment after that. Writes only; the queue's reads live in
``leads.queue.claim``.

Order of decisions in ``route_lead`` (each outcome is one ``LeadEvent``):

0. **Opted out** — a lead whose person opted out (``do_not_contact``) is refused
   (``RoutingError(code="not_routable")`` with ``leads.consent.OPT_OUT_REFUSAL``);
   nothing is written. ``lead_assign`` refuses it too while it is an MQL, SAL or SQL.

1. **Competitor** — the lead's email domain or its account's domain is on the
   admin's competitor list (``DomainListEntry`` kind ``competitor``): the stage
   becomes ``excluded`` (a ``stage_change`` event by the system actor ``routing``,
   reason ``competitor``); it is never routed, now or later.
2. **Lead-to-account matching** — a lead without an account is matched to one by
   its email domain (free-mail domains never count), else by fuzzy company name:
   ``difflib.SequenceMatcher`` ratio ≥ ``FUZZY_THRESHOLD`` (0.88) between
   ``normalize_company`` keys, among accounts that matter to routing (those with an
   owner or on the customer list). difflib is in the standard library and the
   candidate set is small; the threshold accepts "Acme Robotics" ~ "ACME Robotic"
   but not "Acme Robotics" ~ "Acme Logistics". A match links the lead to the account.
3. **Already a customer** — the email or account domain is on the customer list:
   ``already_customer=True`` and the lead is *offered to customer success*: it is
   not routed to SDRs, nobody owns it and it sits in no team pool (owner and team
   cleared); an ``assignment`` event with reason ``already_customer`` and
   ``data.offered_to = "customer_success"`` says so. A manager or admin may still
   assign it by hand; an SDR who gets it returns it as "already a customer".
4. **Account owner** (MQL routing only) — the account has an owner who is active and
   not away: the lead goes to that owner (reason ``account_owner``).
5. **Rules** — the first active ``RoutingRule`` (``applies_to`` mql/sql, by
   ``order`` then id) whose conditions all match. A rule naming a person who is away
   or inactive is passed over (the next rule is tried). A team target is
   distributed by the team's mode (below). A lead outside ``ROUTABLE_STAGES``
   (excluded, closed, nurture…) is refused: ``RoutingError(code="not_routable")``.
6. **No rule matched** — the default team: the first team of the right kind by
   name (SDR for MQLs, AE for SQLs) takes the lead by its mode (reason
   ``default_team``); with no such team the lead stays unassigned and an
   ``assignment`` event with reason ``unrouted`` says why.

Team modes
    ``pool`` — ``lead.team = team``, no owner: it waits in the team pool for a claim.
    ``round_robin`` — weighted round-robin. The rotation window is the current local
    day. Each eligible member's load is (round-robin leads this team gave them in
    the window) / weight; the lowest load gets the lead (ties: whoever got one
    longest ago, then the lowest id). Eligible = active, not away, and under their
    ``daily_cap`` (all assignments to them in the window count towards the cap).
    **Back from leave, not flooded**: a member whose ``back_at`` falls in the window
    counts as at least the lowest load among the members who were there all window,
    so they rejoin the rotation at the team's current level and take their share
    from now on, instead of receiving every lead until they have "caught up".
    ``fewest_open`` — the eligible member (active, not away, under cap) with the
    fewest open leads (mql, sal, sql, opportunity); ties by lowest id.
    When no member is eligible the lead waits in the team pool (reason
    ``nobody_available``).

Every assignment sets ``owner``, ``team`` and ``assigned_at``, writes an
``assignment`` event whose ``reason`` is short (``rule``, ``account_owner``,
``round_robin``…) and whose ``data`` answers "why did I get this lead?" (the rule's
id and name, the mode, from/to user and team), and calls
``leads.hooks.on_lead_assigned``.
"""

from __future__ import annotations

import difflib
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from leads import consent, hooks, lifecycle, storable
from leads.intake import normalize
from leads.intake.services import UNSTORABLE_TEXT
from leads.lifecycle import check_transition
from leads.models import Account, DomainListEntry, Lead, LeadEvent, RepSettings, RoutingRule, Stage
from leads.people import roles
from leads.people.models import Team

log = logging.getLogger(__name__)

ROUTING_ACTOR = "routing"
FUZZY_THRESHOLD = 0.88
OPEN_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
# Leads routing may (re)assign: open ones and inquiries (competitors get excluded).
ROUTABLE_STAGES = (Stage.INQUIRY, Stage.MQL, Stage.SAL, Stage.SQL, Stage.RETURNED)
# An opted-out lead is never routed and never assigned by hand into a queue or a pool
# (``leads.consent``); an opportunity whose person opted out may still change hands
# between AEs (it stays in the pipeline: product.md moves only mql, sal and sql).
QUEUE_STAGES_OPT_OUT = tuple(Stage(s) for s in lifecycle.OPT_OUT_STAGES)
LIST_CONDITIONS = ("region", "country", "industry", "source_channel", "quadrant", "language")
INT_CONDITIONS = ("min_employees", "max_employees")
CONDITION_KEYS = LIST_CONDITIONS + INT_CONDITIONS
MAX_CONDITION_KEYS = 20
MAX_CONDITION_ITEMS = 500
MAX_CONDITION_TEXT = 200
MAX_CONDITION_NUMBER = 2_147_483_647
TEAM_KIND = {"mql": Team.Kind.SDR, "sql": Team.Kind.AE}


class RoutingError(Exception):
    """A routing request that cannot be done; ``code`` says why
    (``forbidden``, ``invalid``)."""

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


# ------------------------------------------------------------------ rule conditions


def conditions_errors(conditions: Any) -> dict[str, list[str]]:
    """Problems with a rule's ``conditions``, keyed ``conditions.<key>``; {} when valid.

    What can be stored and read back: at most ``MAX_CONDITION_KEYS`` keys (unknown ones
    are errors, named with what cannot be sent escaped); a list holds at most
    ``MAX_CONDITION_ITEMS`` texts of at most ``MAX_CONDITION_TEXT`` characters, none
    with a NUL or a lone surrogate; a size is a whole number from 0 to 2,147,483,647
    (the range of ``Account.employees``, which it is compared with)."""
    if not isinstance(conditions, dict):
        return {"conditions": [_("Expected a JSON object.")]}
    if len(conditions) > MAX_CONDITION_KEYS:
        return {"conditions": [_("At most %(count)s conditions.") % {"count": MAX_CONDITION_KEYS}]}
    errors: dict[str, list[str]] = {}
    for key, value in conditions.items():
        field = f"conditions.{storable.shown_key(key)}"
        if key not in CONDITION_KEYS:
            errors[field] = [_("Unknown condition; use one of: %s.") % ", ".join(CONDITION_KEYS)]
        elif key in LIST_CONDITIONS:
            if message := _list_error(value):
                errors[field] = [message]
        elif (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= MAX_CONDITION_NUMBER
        ):
            errors[field] = [
                _("Expected a whole number from 0 to %(max)s.") % {"max": MAX_CONDITION_NUMBER}
            ]
    low, high = conditions.get("min_employees"), conditions.get("max_employees")
    if isinstance(low, int) and isinstance(high, int) and not errors and low > high:
        errors["conditions.max_employees"] = [_("Must be at least min_employees.")]
    return errors


def _list_error(value: Any) -> str | None:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        return _("Expected a non-empty list of non-empty strings.")
    if len(value) > MAX_CONDITION_ITEMS:
        return _("At most %(count)s values.") % {"count": MAX_CONDITION_ITEMS}
    if any(len(v) > MAX_CONDITION_TEXT for v in value):
        return _("Each value at most %(count)s characters.") % {"count": MAX_CONDITION_TEXT}
    if any(storable.text_problem(v) for v in value):
        return str(UNSTORABLE_TEXT)
    return None


def rule_target_errors(*, team: Team | None, user: Any, applies_to: str) -> dict[str, list[str]]:
    """Problems with a rule's target: exactly one of a team (of the kind its
    ``applies_to`` routes to: SDR for MQLs, AE for SQLs) and a person; {} when valid."""
    if team is None and user is None:
        return {"team": [_("Give a team or a person.")]}
    if team is not None and user is not None:
        return {"user": [_("Give a team or a person, not both.")]}
    if team is not None and team.kind != TEAM_KIND.get(applies_to):
        return {
            "team": [
                _("A rule for %(what)s needs a team of kind “%(kind)s”.")
                % {"what": applies_to.upper(), "kind": TEAM_KIND.get(applies_to, "")}
            ]
        }
    return {}


def routing_rule_errors(rule: RoutingRule) -> dict[str, list[str]]:
    """Every problem with ``rule`` as it would be saved; {} when it may be saved."""
    errors = conditions_errors(rule.conditions)
    errors.update(rule_target_errors(team=rule.team, user=rule.user, applies_to=rule.applies_to))
    return errors


class RoutingRuleInvalid(ValueError):
    """A rule that may not be saved; ``errors`` is ``{field: [messages]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


# ------------------------------------------------------------------ rules


def routing_rule_create(**fields: Any) -> RoutingRule:
    """A new routing rule from validated ``fields`` (``name``, ``order``, ``active``,
    ``applies_to``, ``conditions``, ``team``, ``user``; the model's defaults for those
    not given). The callers validate first (the API's serializer and the admin's form
    call ``conditions_errors`` and ``rule_target_errors``); ``routing_rule_save``
    checks again and raises ``RoutingRuleInvalid`` rather than store a bad rule."""
    return routing_rule_save(rule=RoutingRule(**fields))


def routing_rule_update(*, rule: RoutingRule, **fields: Any) -> RoutingRule:
    """``rule`` with validated ``fields`` changed, saved."""
    for name, value in fields.items():
        setattr(rule, name, value)
    return routing_rule_save(rule=rule)


def routing_rule_save(*, rule: RoutingRule) -> RoutingRule:
    """Save ``rule`` (new or changed, e.g. by the admin's form) if it may be saved,
    else ``RoutingRuleInvalid``: what is stored is always routable and readable."""
    errors = routing_rule_errors(rule)
    if errors:
        raise RoutingRuleInvalid(errors)
    rule.save()
    return rule


def routing_rule_delete(*, rule: RoutingRule) -> None:
    rule.delete()


def lead_routing_facts(lead: Lead) -> dict[str, Any]:
    """What rules match on: the account's region, country, industry and size, the
    lead's source channel, quadrant and language."""
    account = lead.account
    return {
        "region": account.region if account else "",
        "country": account.country if account else "",
        "industry": account.industry if account else "",
        "employees": account.employees if account else None,
        "source_channel": lead.source_channel,
        "quadrant": lead.score_quadrant,
        "language": lead.language,
    }


def rule_matches(conditions: dict[str, Any], facts: dict[str, Any]) -> bool:
    """All conditions hold (lists: case-insensitive membership; sizes inclusive; a
    lead with unknown size fails a size condition); a missing key matches all."""
    for key in LIST_CONDITIONS:
        wanted = conditions.get(key)
        if wanted is None:
            continue
        value = (facts.get(key) or "").strip().lower()
        if value not in {str(w).strip().lower() for w in wanted}:
            return False
    employees = facts.get("employees")
    low, high = conditions.get("min_employees"), conditions.get("max_employees")
    if low is not None and (employees is None or employees < low):
        return False
    return not (high is not None and (employees is None or employees > high))


# ------------------------------------------------------------------ assignment


@dataclass
class Decision:
    """Where a lead goes and why (``reason`` is the event's short reason)."""

    reason: str
    user: Any = None
    team: Team | None = None
    rule: RoutingRule | None = None
    mode: str = ""
    extra: dict[str, Any] | None = None


def _assign(
    *,
    lead: Lead,
    decision: Decision,
    actor: Any = None,
    now: datetime | None = None,
    note: str = "",
) -> LeadEvent:
    """Apply ``decision`` to ``lead`` and record it: the one place an assignment is written."""
    now = now or timezone.now()
    data: dict[str, Any] = {
        "from_user": lead.owner_id,
        "from_team": lead.team_id,
        "to_user": decision.user.pk if decision.user else None,
        "to_team": decision.team.pk if decision.team else None,
        "mode": decision.mode,
        "rule": {"id": decision.rule.pk, "name": decision.rule.name} if decision.rule else None,
        **(decision.extra or {}),
    }
    if note:
        data["note"] = note
    lead.owner = decision.user
    lead.team = decision.team
    lead.assigned_at = now if decision.user else None
    fields = ["owner", "team", "assigned_at", "updated_at"]
    if decision.reason == "already_customer":
        lead.already_customer = True
        fields.append("already_customer")
    lead.save(update_fields=fields)
    event = LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.ASSIGNMENT,
        actor_user=actor,
        actor_system="" if actor else ROUTING_ACTOR,
        reason=decision.reason,
        data=data,
        at=now,
    )
    day = _batch_cached(("day", _window_start(now)))
    if day is not None:
        day.add(event)
    hooks.on_events_written(lead.pk)
    hooks.on_lead_assigned(lead, event)
    return event


_batch = threading.local()


@contextmanager
def routing_batch() -> Iterator[None]:
    """``hooks.BATCH_CONTEXTS`` entry: within it (this thread) the domain lists and the
    active rules are read once, not once per lead, and the day's assignment counts
    (``_DayCounts``) are read once per person and kept up to date as the batch assigns.
    People's availability and open-lead counts are still read for every lead. An
    assignment made elsewhere during the batch (another thread's claim) is not seen
    until the batch ends — a re-score chunk lasts seconds."""
    outer = getattr(_batch, "cache", None)
    if outer is None:
        _batch.cache = {}
    try:
        yield
    finally:
        if outer is None:
            _batch.cache = None


def _batch_cached(key: tuple):
    """What the running batch keeps under ``key`` (None outside a batch)."""
    cache = getattr(_batch, "cache", None)
    return cache.get(key) if cache is not None else None


def _cached(key: tuple, load):
    cache = getattr(_batch, "cache", None)
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def _domain_list(kind: str) -> set[str]:
    return _cached(
        ("domains", kind),
        lambda: set(DomainListEntry.objects.filter(kind=kind).values_list("domain", flat=True)),
    )


def _active_rules(applies_to: str) -> list[RoutingRule]:
    return _cached(
        ("rules", applies_to),
        lambda: list(
            RoutingRule.objects.filter(active=True, applies_to=applies_to)
            .select_related("team", "user")
            .order_by("order", "pk")
        ),
    )


def _lead_domains(lead: Lead) -> set[str]:
    domains = set()
    email_domain = normalize.email_domain(lead.email_normalised or "")
    if email_domain:
        domains.add(email_domain)
    if lead.account and lead.account.domain:
        domains.add(lead.account.domain)
    return domains


def account_match(*, lead: Lead) -> tuple[Account | None, str]:
    """The account a lead without one belongs to: by email domain (free mail never
    counts), else the best fuzzy company-name match (≥ ``FUZZY_THRESHOLD``) among
    accounts with an owner or on the customer list. Returns (account, "domain" |
    "fuzzy_name" | "")."""
    free_mail = _domain_list(DomainListEntry.Kind.FREE_MAIL)
    domain = normalize.email_domain(lead.email_normalised or "")
    if domain and not normalize.is_free_mail(domain, free_mail):
        account = Account.objects.filter(domain=domain).first()
        if account:
            return account, "domain"
    key = normalize.normalize_company(lead.company_name)
    if not key:
        return None, ""
    customers = _domain_list(DomainListEntry.Kind.CUSTOMER)
    candidates = Account.objects.filter(
        Q(owner__isnull=False) | Q(domain__in=customers)
    ).values_list("pk", "name_normalised")
    best, best_ratio = None, 0.0
    matcher = difflib.SequenceMatcher(b=key, autojunk=False)
    for pk, name in candidates:
        matcher.set_seq1(name or "")
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = pk, ratio
    if best is not None and best_ratio >= FUZZY_THRESHOLD:
        return Account.objects.get(pk=best), "fuzzy_name"
    return None, ""


def _settings_for(user_ids) -> dict[int, RepSettings]:
    return {s.user_id: s for s in RepSettings.objects.filter(user_id__in=user_ids)}


def is_available(user, rep: RepSettings | None = None) -> bool:
    """Routing may give this person a lead: active and not marked away."""
    if user is None or not user.is_active:
        return False
    if rep is None:
        rep = RepSettings.objects.filter(user=user).first()
    return not (rep and rep.away)


def _window_start(now: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))


@dataclass
class _DayCounts:
    """Assignments since ``start`` (the routing day), per person: all of them (daily
    caps count every team's) and, per (person, team), those the team's round-robin
    gave with the latest such event's id (who waited longest goes first). Loaded with
    one aggregate for the people asked about; within a routing batch the same object
    is kept and each new assignment added to it, so a re-score that routes thousands
    of MQLs does not re-read the day's assignments for every lead."""

    start: datetime
    total: Counter[int] = field(default_factory=Counter)
    rotated: Counter[tuple[int, int]] = field(default_factory=Counter)
    last: dict[tuple[int, int], int] = field(default_factory=dict)
    users: set[int] = field(default_factory=set)

    def load(self, ids: list[int]) -> None:
        missing = [pk for pk in ids if pk not in self.users]
        if not missing:
            return
        rows = (
            LeadEvent.objects.filter(
                kind=LeadEvent.Kind.ASSIGNMENT, at__gte=self.start, data__to_user__in=missing
            )
            .values(
                member=KeyTextTransform("to_user", "data"),
                team=KeyTextTransform("to_team", "data"),
                mode=KeyTextTransform("mode", "data"),
            )
            .annotate(n=Count("pk"), latest=Max("pk"))
            .order_by()
        )
        for row in rows:
            member = int(row["member"])
            self.total[member] += row["n"]
            if row["mode"] == Team.Mode.ROUND_ROBIN and row["team"] is not None:
                key = (member, int(row["team"]))
                self.rotated[key] += row["n"]
                self.last[key] = max(self.last.get(key, 0), row["latest"])
        self.users.update(missing)

    def add(self, event: LeadEvent) -> None:
        """Count an assignment just written (only for people already loaded)."""
        member, team = event.data.get("to_user"), event.data.get("to_team")
        if member not in self.users:
            return
        self.total[member] += 1
        if event.data.get("mode") == Team.Mode.ROUND_ROBIN and team is not None:
            self.rotated[(member, team)] += 1
            self.last[(member, team)] = event.pk


def _pick_member(*, team: Team, now: datetime) -> tuple[Any, dict[str, Any]]:
    """The member the team's mode picks (round_robin / fewest_open), or None."""
    members = list(team.members.filter(is_active=True).order_by("pk"))
    reps = _settings_for([m.pk for m in members])
    members = [m for m in members if not (reps.get(m.pk) and reps[m.pk].away)]
    if not members:
        return None, {}
    start = _window_start(now)
    day = _cached(("day", start), lambda: _DayCounts(start))
    day.load([m.pk for m in members])
    total_today = day.total
    rotation = Counter({m.pk: day.rotated[(m.pk, team.pk)] for m in members})
    last = {m.pk: day.last[(m.pk, team.pk)] for m in members if (m.pk, team.pk) in day.last}

    def capped(m) -> bool:
        cap = reps[m.pk].daily_cap if m.pk in reps else None
        return cap is not None and total_today[m.pk] >= cap

    members = [m for m in members if not capped(m)]
    if not members:
        return None, {}
    if team.mode == Team.Mode.FEWEST_OPEN:
        open_counts = dict(
            Lead.objects.filter(owner__in=members, stage__in=OPEN_STAGES)
            .values_list("owner")
            .annotate(n=Count("pk"))
        )
        chosen = min(members, key=lambda m: (open_counts.get(m.pk, 0), m.pk))
        return chosen, {"open_leads": open_counts.get(chosen.pk, 0)}

    # weighted round-robin (event ids only grow: a lower ``last`` waited longer)
    def weight(m) -> int:
        return max(reps[m.pk].weight if m.pk in reps else 1, 1)

    load = {m.pk: rotation[m.pk] / weight(m) for m in members}
    back = {
        m.pk for m in members if m.pk in reps and reps[m.pk].back_at and reps[m.pk].back_at >= start
    }
    steady = [load[m.pk] for m in members if m.pk not in back]
    level = min(steady) if steady else 0.0
    for pk in back:
        load[pk] = max(load[pk], level)
    chosen = min(members, key=lambda m: (load[m.pk], last.get(m.pk, 0), m.pk))
    return chosen, {"load": round(load[chosen.pk], 3), "back_from_leave": chosen.pk in back}


def _to_team(
    *, team: Team, reason: str, now: datetime, rule: RoutingRule | None = None
) -> Decision:
    if team.mode == Team.Mode.POOL:
        return Decision(reason=reason, team=team, rule=rule, mode=team.mode)
    user, extra = _pick_member(team=team, now=now)
    if user is None:
        return Decision(reason="nobody_available", team=team, rule=rule, mode=team.mode)
    return Decision(reason=reason, user=user, team=team, rule=rule, mode=team.mode, extra=extra)


def _first_team(user, kind: str) -> Team | None:
    return user.teams.filter(kind=kind).order_by("name", "pk").first()


def _exclude_competitor(*, lead: Lead, now: datetime, domain: str) -> LeadEvent:
    from_stage = lead.stage
    if check_transition(from_stage, Stage.EXCLUDED, ROUTING_ACTOR) is not None:
        # an SQL or a returned lead: a person decides (the SDR's or AE's "competitor")
        raise RoutingError(
            _(
                "This lead's domain %(domain)s is a competitor's; routing does not move a "
                "lead in stage %(stage)s — return or reject it as a competitor."
            )
            % {"domain": domain, "stage": lead.get_stage_display()},
            code="not_routable",
        )
    lead.stage = Stage.EXCLUDED
    lead.stage_changed_at = now
    lead.owner, lead.team, lead.assigned_at = None, None, None
    lead.save(
        update_fields=["stage", "stage_changed_at", "owner", "team", "assigned_at", "updated_at"]
    )
    event = LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.STAGE_CHANGE,
        from_stage=from_stage,
        to_stage=Stage.EXCLUDED,
        actor_system=ROUTING_ACTOR,
        reason="competitor",
        data={"domain": domain},
        at=now,
    )
    hooks.on_events_written(lead.pk)
    return event


def decide(
    *, lead: Lead, applies_to: str, now: datetime, rules: list[RoutingRule] | None = None
) -> Decision:
    """Where routing sends ``lead`` (steps 3–6 of the module doc); no writes. ``rules``:
    the active rules of the kind, when the caller has read them already."""
    kind = TEAM_KIND[applies_to]
    customers = _domain_list(DomainListEntry.Kind.CUSTOMER)
    if applies_to == "mql" and _lead_domains(lead) & customers:
        return Decision(reason="already_customer", extra={"offered_to": "customer_success"})
    account = lead.account
    if applies_to == "mql" and account and account.owner_id and is_available(account.owner):
        owner = account.owner
        return Decision(
            reason="account_owner",
            user=owner,
            team=_first_team(owner, kind),
            extra={"account": {"id": account.pk, "name": account.name}},
        )
    facts = lead_routing_facts(lead)
    for rule in _active_rules(applies_to) if rules is None else rules:
        if not rule_matches(rule.conditions or {}, facts):
            continue
        if rule.user_id:
            if not is_available(rule.user):
                continue
            return Decision(
                reason="rule",
                user=rule.user,
                team=rule.team or _first_team(rule.user, kind),
                rule=rule,
            )
        return _to_team(team=rule.team, reason="rule", now=now, rule=rule)
    default = Team.objects.filter(kind=kind).order_by("name", "pk").first()
    if default is None:
        return Decision(reason="unrouted", extra={"why": f"no rule matched and no {kind} team"})
    return _to_team(team=default, reason="default_team", now=now)


@dataclass
class Preview:
    """What routing would do with a lead now (steps 1–6 of the module doc), without a
    write: the competitor domain that excludes it, or the account it would be matched
    to and the ``decision``. ``rules`` lists each active rule of the kind tried, in
    order, with whether its conditions match the lead (what the console shows)."""

    competitor: str = ""
    matched_account: Account | None = None
    matched_by: str = ""
    decision: Decision | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    rules: list[tuple[RoutingRule, bool]] = field(default_factory=list)


def route_preview(*, lead: Lead, applies_to: str = "mql", now: datetime | None = None) -> Preview:
    """The one decision path ``route_lead`` applies (so the admin's "which rule would take
    this lead?" cannot differ from what routing does). No row is written; a lead
    without an account gets the matched account set on the object in memory (the
    caller saves it, or throws the object away). ``lead`` may be unsaved (a typed-in
    example: an unsaved ``Account`` for region, industry, size…)."""
    now = now or timezone.now()
    competitors = _domain_list(DomainListEntry.Kind.COMPETITOR)
    preview = Preview()
    hit = sorted(_lead_domains(lead) & competitors)
    if not hit and lead.account_id is None and lead.account is None:
        account, how = account_match(lead=lead)
        if account is not None:
            lead.account = account
            preview.matched_account, preview.matched_by = account, how
            hit = sorted(_lead_domains(lead) & competitors)
    if hit:
        preview.competitor = hit[0]
        return preview
    preview.facts = lead_routing_facts(lead)
    rules = _active_rules(applies_to)
    preview.rules = [(rule, rule_matches(rule.conditions or {}, preview.facts)) for rule in rules]
    preview.decision = decide(lead=lead, applies_to=applies_to, now=now, rules=rules)
    return preview


def route_lead(
    *,
    lead: Lead,
    applies_to: str = "mql",
    actor: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> LeadEvent:
    """Route one lead (see the module doc); returns the event that records the outcome.
    ``reason`` (optional) is kept in the event's data as ``trigger`` (e.g. "mql",
    "away")."""
    if applies_to not in TEAM_KIND:
        raise ValueError(f"applies_to must be mql or sql, not {applies_to!r}")
    now = now or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.do_not_contact:
            raise RoutingError(str(consent.OPT_OUT_REFUSAL), code="not_routable")
        if lead.stage not in ROUTABLE_STAGES:
            raise RoutingError(
                _("A lead in stage %(stage)s is not routed.") % {"stage": lead.get_stage_display()},
                code="not_routable",
            )
        preview = route_preview(lead=lead, applies_to=applies_to, now=now)
        if preview.matched_account is not None:
            lead.save(update_fields=["account", "updated_at"])
        if preview.competitor:
            return _exclude_competitor(lead=lead, now=now, domain=preview.competitor)
        decision = preview.decision
        extra: dict[str, Any] = {}
        if preview.matched_account is not None:
            extra["account_match"] = {"id": preview.matched_account.pk, "by": preview.matched_by}
        decision.extra = {**(decision.extra or {}), **extra, "applies_to": applies_to}
        if reason:
            decision.extra["trigger"] = reason
        return _assign(lead=lead, decision=decision, actor=actor, now=now)


_paused = threading.local()


@contextmanager
def routing_paused() -> Iterator[None]:
    """Within this block (this thread) the MQL/SQL hooks do not route: the demo seed,
    whose simulated history already holds every assignment, scores with it."""
    before = getattr(_paused, "on", False)
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = before


def route_on_mql(lead: Lead) -> None:
    """``MQL_HOOKS`` entry: a lead just became an MQL."""
    if not getattr(_paused, "on", False):
        route_lead(lead=lead, applies_to="mql", reason="mql")


def route_on_sql(lead: Lead) -> None:
    """``SQL_HOOKS`` entry: an SDR converted the lead; an AE team takes it."""
    if not getattr(_paused, "on", False):
        route_lead(lead=lead, applies_to="sql", reason="sql")


# ------------------------------------------------------------------ people and managers


def _managers_of(user) -> Any:
    teams = Team.objects.filter(members=user, manager__isnull=False).order_by("name", "pk")
    team = teams.select_related("manager").first()
    return (team.manager, team) if team else (None, None)


def person_release_leads(*, user, by, trigger: str, now: datetime | None = None) -> dict[str, int]:
    """A person is away or deactivated: their MQLs nobody accepted go back through
    routing; accepted ones (SAL and later, still open) go to their team's manager to
    reassign (or stay, when their teams have no manager). Returns counts."""
    now = now or timezone.now()
    counts = {"rerouted": 0, "to_manager": 0}
    for lead in Lead.objects.filter(owner=user, stage=Stage.MQL, do_not_contact=False).order_by(
        "pk"
    ):
        # the person is already away / inactive, so no step hands the lead back
        route_lead(lead=lead, applies_to="mql", reason=trigger, now=now)
        counts["rerouted"] += 1
    manager, team = _managers_of(user)
    if manager is not None and manager.pk != user.pk:
        accepted = Lead.objects.filter(
            owner=user, stage__in=(Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
        )
        for lead in accepted.order_by("pk"):
            _assign(
                lead=lead,
                decision=Decision(
                    reason="to_manager",
                    user=manager,
                    team=lead.team or team,
                    extra={"trigger": trigger},
                ),
                actor=by,
                now=now,
            )
            counts["to_manager"] += 1
    return counts


def person_set_away(*, user, away: bool, by, now: datetime | None = None) -> dict[str, int]:
    """Mark ``user`` away (routing skips them; their leads are released, see
    ``person_release_leads``) or back (``back_at`` = now: round-robin counts them at
    the team's current level). ``by`` must be an admin, or a sales manager of one of
    the person's teams, or the person themself."""
    if not _may_manage_person(by=by, user=user):
        raise RoutingError(_("You may not change this person's availability."), code="forbidden")
    now = now or timezone.now()
    with transaction.atomic():
        rep, _created = RepSettings.objects.select_for_update().get_or_create(user=user)
        if rep.away == away:
            return {"rerouted": 0, "to_manager": 0}
        rep.away = away
        if away:
            rep.away_since = now
        else:
            rep.back_at = now
        rep.save()
        if not away:
            return {"rerouted": 0, "to_manager": 0}
        return person_release_leads(user=user, by=by, trigger="away", now=now)


def person_deactivate(*, user, by, now: datetime | None = None) -> dict[str, int]:
    """Deactivate ``user`` (admins only) and release their leads like ``away``."""
    if not roles.has_role(by, roles.ADMIN):
        raise RoutingError(_("Only admins deactivate people."), code="forbidden")
    with transaction.atomic():
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        return person_release_leads(user=user, by=by, trigger="deactivated", now=now)


def _may_manage_person(*, by, user) -> bool:
    if roles.has_role(by, roles.ADMIN) or by.pk == user.pk:
        return True
    return (
        roles.has_role(by, roles.SALES_MANAGER)
        and Team.objects.filter(manager=by, members=user).exists()
    )


def lead_assign(
    *, lead: Lead, by, to_user=None, to_team: Team | None = None, note: str = ""
) -> LeadEvent:
    """Manual (re)assignment by a sales manager — only leads of their teams (the lead's
    team is one they manage, or its owner is one of their members), and only to a
    member of a team they manage or to such a team's pool — or by an admin (anything).
    Exactly one of ``to_user`` / ``to_team``; to a person, ``to_team`` defaults to the
    person's first team of the lead's team kind."""
    if (to_user is None) == (to_team is None):
        raise RoutingError(_("Give either a person or a team."), field="to_user")
    is_admin = roles.has_role(by, roles.ADMIN)
    if not is_admin:
        if not roles.has_role(by, roles.SALES_MANAGER):
            raise RoutingError(
                _("Only sales managers and admins reassign leads."), code="forbidden"
            )
        managed = Team.objects.filter(manager=by)
        in_team = (lead.team_id and managed.filter(pk=lead.team_id).exists()) or (
            lead.owner_id and managed.filter(members=lead.owner_id).exists()
        )
        if not in_team:
            raise RoutingError(_("This lead is not in a team you manage."), code="forbidden")
        if to_user is not None and not managed.filter(members=to_user).exists():
            raise RoutingError(
                _("You may only assign to a member of a team you manage."),
                code="forbidden",
                field="to_user",
            )
        if to_team is not None and not managed.filter(pk=to_team.pk).exists():
            raise RoutingError(
                _("You may only assign to a team you manage."), code="forbidden", field="to_team"
            )
    if to_user is not None and not to_user.is_active:
        raise RoutingError(_("This person is deactivated."), field="to_user")
    if lead.do_not_contact and lead.stage in QUEUE_STAGES_OPT_OUT:
        raise RoutingError(str(consent.OPT_OUT_REFUSAL), field="lead")
    if lead.stage not in OPEN_STAGES:
        raise RoutingError(
            _("A lead in stage %(stage)s cannot be assigned.")
            % {"stage": lead.get_stage_display()},
            field="lead",
        )
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        team = to_team
        if to_user is not None and to_team is None:
            current = (
                Team.objects.filter(pk=lead.team_id, members=to_user).first()
                if lead.team_id
                else None
            )
            kind = Team.Kind.AE if lead.stage in (Stage.SQL, Stage.OPPORTUNITY) else Team.Kind.SDR
            team = current or _first_team(to_user, kind)
        return _assign(
            lead=lead,
            decision=Decision(reason="manual", user=to_user, team=team),
            actor=by,
            note=note,
        )


def register() -> None:
    """Hook routing into the MQL and SQL seams (``LeadsConfig.ready``); idempotent."""
    if route_on_mql not in hooks.MQL_HOOKS:
        hooks.MQL_HOOKS.append(route_on_mql)
    if route_on_sql not in hooks.SQL_HOOKS:
        hooks.SQL_HOOKS.append(route_on_sql)
    if routing_batch not in hooks.BATCH_CONTEXTS:
        hooks.BATCH_CONTEXTS.append(routing_batch)
