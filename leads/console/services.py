"""The console's writes: each changes what it says and leaves an audit record in the
same transaction (``leads.audit``). Views call these; they validate nothing but the
rules of the change itself (forms check the input first)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.audit.services import audit_record, audit_snapshot
from leads.audit.words import register_actions
from leads.intake.normalize import normalize_domain
from leads.models import DomainListEntry, Lead, LeadEvent, RepSettings, RoutingRule
from leads.people import roles
from leads.people.models import Team
from leads.people.names import person_name
from leads.queue import routing

User = get_user_model()

register_actions(
    {
        "person.create": gettext_lazy("Person created"),
        "person.update": gettext_lazy("Person changed"),
        "person.invite": gettext_lazy("Invitation sent"),
        "person.deactivate": gettext_lazy("Person deactivated"),
        "person.reactivate": gettext_lazy("Person reactivated"),
        "person.routing": gettext_lazy("Routing settings changed"),
        "person.password_set": gettext_lazy("Password set from an invitation"),
        "team.create": gettext_lazy("Team created"),
        "team.update": gettext_lazy("Team changed"),
        "rule.create": gettext_lazy("Routing rule created"),
        "rule.update": gettext_lazy("Routing rule changed"),
        "rule.reorder": gettext_lazy("Routing rules reordered"),
        "domain.add": gettext_lazy("Domain added"),
        "domain.remove": gettext_lazy("Domain removed"),
        "lead.route": gettext_lazy("Lead routed from the console"),
    }
)

PERSON_FIELDS = ("username", "first_name", "last_name", "email", "is_active")
TEAM_FIELDS = (
    "name",
    "kind",
    "manager",
    "mode",
    "framework",
    "required_criteria",
    "members",
)
RULE_FIELDS = ("name", "order", "active", "applies_to", "conditions", "team", "user")
REP_FIELDS = ("weight", "daily_cap")
RULE_ORDER_STEP = 10


class ConsoleError(Exception):
    """A console change that may not be made; ``field`` names the input it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _require_admin(by) -> None:
    if not roles.has_role(by, roles.ADMIN):
        raise ConsoleError(_("Only admins change the console's settings."))


# ------------------------------------------------------------------ people


def person_snapshot(user) -> dict[str, Any]:
    snapshot = audit_snapshot(user, PERSON_FIELDS)
    snapshot["roles"] = sorted(user.groups.values_list("name", flat=True))
    snapshot["teams"] = sorted(user.teams.values_list("name", flat=True))
    return snapshot


def _set_roles_and_teams(user, *, role_names: Iterable[str], teams: Iterable[Team]) -> None:
    groups = [Group.objects.get_or_create(name=name)[0] for name in sorted(set(role_names))]
    user.groups.set(groups)
    user.teams.set(list(teams))
    user.__dict__.pop("_smarketing_roles", None)


def person_create(
    *,
    by,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    role_names: Iterable[str] = (),
    teams: Iterable[Team] = (),
):
    """A new person with roles and teams and no usable password (they set one from an
    invitation: ``person_invite``)."""
    _require_admin(by)
    if User.objects.filter(username__iexact=username).exists():
        raise ConsoleError(_("This username is taken."), field="username")
    with transaction.atomic():
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        user.set_unusable_password()
        user.save()
        _set_roles_and_teams(user, role_names=role_names, teams=teams)
        audit_record(
            actor=by,
            action="person.create",
            target=user,
            target_label=person_name(user),
            after=person_snapshot(user),
        )
    return user


def person_update(
    *,
    by,
    user,
    first_name: str,
    last_name: str,
    email: str,
    role_names: Iterable[str],
    teams: Iterable[Team],
):
    """Name, email, roles and teams. An admin keeps their own admin role."""
    _require_admin(by)
    role_names = set(role_names)
    if user.pk == by.pk and roles.ADMIN not in role_names and not by.is_superuser:
        raise ConsoleError(_("You cannot take your own admin role."), field="roles")
    with transaction.atomic():
        before = person_snapshot(user)
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.save(update_fields=["first_name", "last_name", "email"])
        _set_roles_and_teams(user, role_names=role_names, teams=teams)
        after = person_snapshot(user)
        if before != after:
            audit_record(
                actor=by,
                action="person.update",
                target=user,
                target_label=person_name(user),
                before=before,
                after=after,
            )
    return user


def invite_link(user, *, base_url: str) -> str:
    """The set-password link for ``user`` (valid until they set a password or log in,
    and at most ``PASSWORD_RESET_TIMEOUT`` seconds)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("console_set_password", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


def person_invite(*, by, user, base_url: str) -> str:
    """Email ``user`` a set-password link; returns the link (the page shows where it went)."""
    _require_admin(by)
    if not user.is_active:
        raise ConsoleError(_("Reactivate this person before inviting them."))
    if not user.email:
        raise ConsoleError(_("This person has no email address."), field="email")
    link = invite_link(user, base_url=base_url)
    subject = _("You are invited to smarketing")
    body = _(
        "Hello %(name)s,\n\n%(admin)s invited you to smarketing. Your username is "
        "%(username)s. Choose your password here:\n\n%(link)s\n\nThe link works once."
    ) % {
        "name": person_name(user),
        "admin": person_name(by),
        "username": user.get_username(),
        "link": link,
    }
    with transaction.atomic():
        audit_record(
            actor=by,
            action="person.invite",
            target=user,
            target_label=person_name(user),
            detail={"email": user.email},
        )
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        )
    return link


def person_password_set(*, user) -> None:
    """Record that a person chose their password from an invitation link."""
    audit_record(
        actor=user, action="person.password_set", target=user, target_label=person_name(user)
    )


def person_deactivate(*, by, user) -> dict[str, int]:
    """Deactivate ``user``; their leads are released as routing does for an absence."""
    _require_admin(by)
    if user.pk == by.pk:
        raise ConsoleError(_("You cannot deactivate yourself."))
    if not user.is_active:
        raise ConsoleError(_("This person is already deactivated."))
    with transaction.atomic():
        counts = routing.person_deactivate(user=user, by=by)
        audit_record(
            actor=by,
            action="person.deactivate",
            target=user,
            target_label=person_name(user),
            before={"is_active": True},
            after={"is_active": False},
            detail=counts,
        )
    return counts


def person_reactivate(*, by, user) -> None:
    _require_admin(by)
    if user.is_active:
        raise ConsoleError(_("This person is active."))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        audit_record(
            actor=by,
            action="person.reactivate",
            target=user,
            target_label=person_name(user),
            before={"is_active": False},
            after={"is_active": True},
        )


def person_routing_update(*, by, user, weight: int, daily_cap: int | None) -> RepSettings:
    """A person's round-robin weight and daily cap (``RepSettings``)."""
    _require_admin(by)
    with transaction.atomic():
        rep, _created = RepSettings.objects.select_for_update().get_or_create(user=user)
        before = audit_snapshot(rep, REP_FIELDS)
        rep.weight, rep.daily_cap = weight, daily_cap
        rep.save(update_fields=["weight", "daily_cap", "updated_at"])
        after = audit_snapshot(rep, REP_FIELDS)
        if before != after:
            audit_record(
                actor=by,
                action="person.routing",
                target=user,
                target_label=person_name(user),
                before=before,
                after=after,
            )
    return rep


# ------------------------------------------------------------------ teams


def team_save(*, by, team: Team | None, members: Iterable[Any], **fields: Any) -> Team:
    """Create (``team=None``) or change a team: ``fields`` of ``TEAM_FIELDS`` and its
    members."""
    _require_admin(by)
    with transaction.atomic():
        creating = team is None
        before = {} if creating else audit_snapshot(team, TEAM_FIELDS)
        team = team or Team()
        for name, value in fields.items():
            setattr(team, name, value)
        team.save()
        team.members.set(list(members))
        after = audit_snapshot(team, TEAM_FIELDS)
        if creating or before != after:
            audit_record(
                actor=by,
                action="team.create" if creating else "team.update",
                target=team,
                before=before,
                after=after,
            )
    return team


# ------------------------------------------------------------------ routing rules


def rule_save(*, by, rule: RoutingRule | None, **fields: Any) -> RoutingRule:
    """Create (``rule=None``: placed last unless ``order`` is given) or change a rule,
    through ``routing.routing_rule_save`` (``RoutingRuleInvalid`` when it may not be
    stored)."""
    _require_admin(by)
    with transaction.atomic():
        creating = rule is None
        before = {} if creating else audit_snapshot(rule, RULE_FIELDS)
        if creating:
            if fields.get("order") is None:
                last = RoutingRule.objects.aggregate(m=Max("order"))["m"] or 0
                fields["order"] = last + RULE_ORDER_STEP
            rule = RoutingRule(**fields)
        else:
            fields = {k: v for k, v in fields.items() if not (k == "order" and v is None)}
            for name, value in fields.items():
                setattr(rule, name, value)
        routing.routing_rule_save(rule=rule)
        after = audit_snapshot(rule, RULE_FIELDS)
        if creating or before != after:
            audit_record(
                actor=by,
                action="rule.create" if creating else "rule.update",
                target=rule,
                before=before,
                after=after,
            )
    return rule


def rule_move(*, by, rule: RoutingRule, up: bool) -> None:
    """Swap ``rule`` with its neighbour among the rules of its kind (then the orders of
    that kind are renumbered 10, 20, 30… so that equal orders never tie)."""
    _require_admin(by)
    with transaction.atomic():
        rules = list(
            RoutingRule.objects.select_for_update()
            .filter(applies_to=rule.applies_to)
            .order_by("order", "pk")
        )
        before = [r.pk for r in rules]
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(rules):
            return
        rules[index], rules[other] = rules[other], rules[index]
        for position, each in enumerate(rules, start=1):
            if each.order != position * RULE_ORDER_STEP:
                each.order = position * RULE_ORDER_STEP
                each.save(update_fields=["order", "updated_at"])
        audit_record(
            actor=by,
            action="rule.reorder",
            target=rule,
            before={"rules": before},
            after={"rules": [r.pk for r in rules]},
        )


def lead_route_now(*, by, lead: Lead) -> LeadEvent:
    """Route an unowned lead now (an MQL for SDR teams, an SQL for AE teams), recorded
    as the admin's action on the lead's timeline and in the trail."""
    _require_admin(by)
    if lead.owner_id is not None:
        raise ConsoleError(_("This lead has an owner: reassign it from its team instead."))
    if lead.stage not in ("mql", "sql"):
        raise ConsoleError(_("Only MQLs and SQLs are routed from here."))
    applies_to = "sql" if lead.stage == "sql" else "mql"
    with transaction.atomic():
        event = routing.route_lead(lead=lead, applies_to=applies_to, actor=by, reason="console")
        lead.refresh_from_db(fields=["owner", "team", "stage"])
        audit_record(
            actor=by,
            action="lead.route",
            target=lead,
            target_label=lead.name or lead.email,
            after={"owner": lead.owner_id, "team": lead.team_id, "stage": lead.stage},
            detail={"reason": event.reason, "rule": (event.data or {}).get("rule")},
        )
    return event


# ------------------------------------------------------------------ domain lists


def domain_add(*, by, kind: str, domain: str) -> DomainListEntry:
    """Add ``domain`` (normalised like intake's: no scheme, path, ``www.``) to a list."""
    _require_admin(by)
    domain = normalize_domain(domain)
    if "." not in domain or len(domain) > 253:
        raise ConsoleError(_("Enter a domain such as example.com."), field="domain")
    if kind not in DomainListEntry.Kind.values:
        raise ConsoleError(_("Choose a list."), field="kind")
    with transaction.atomic():
        entry, created = DomainListEntry.objects.get_or_create(kind=kind, domain=domain)
        if not created:
            raise ConsoleError(_("This domain is on the list already."), field="domain")
        audit_record(
            actor=by,
            action="domain.add",
            target=entry,
            target_label=domain,
            after={"domain": domain, "kind": kind},
        )
    return entry


def domain_remove(*, by, entry: DomainListEntry) -> None:
    _require_admin(by)
    with transaction.atomic():
        audit_record(
            actor=by,
            action="domain.remove",
            target=entry,
            target_label=entry.domain,
            before={"domain": entry.domain, "kind": entry.kind},
        )
        entry.delete()
