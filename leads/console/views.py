"""The console's pages (admins only; the history is read by directors too). Thin: parse
with a form, call a service of ``leads.console.services``, show the audit records."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads.audit.selectors import audit_records, with_words
from leads.console import forms as f
from leads.console import services
from leads.console.words import conditions_shown, records_in_words
from leads.intake.normalize import normalize_domain
from leads.models import Account, DomainListEntry, Lead, RepSettings, RoutingRule, Stage
from leads.people import roles
from leads.people.models import Team
from leads.people.views import admin_required
from leads.queue import routing
from leads.queue.distribution import REASON_LABELS
from leads.queue.forms import CRITERION_LABELS

User = get_user_model()
HISTORY_ROLES = (roles.ADMIN, roles.DIRECTOR)
HISTORY_PAGE = 50
RECENT = 20


def _records(**narrow):
    return records_in_words(with_words(audit_records(**narrow)[:RECENT]))


def _bad(form, error) -> None:
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, error.message)


@require_GET
@admin_required
def index(request):
    return render(
        request,
        "console/index.html",
        {
            "people": User.objects.filter(is_active=True).count(),
            "teams": Team.objects.count(),
            "rules": RoutingRule.objects.filter(active=True).count(),
            "domains": DomainListEntry.objects.count(),
            "records": _records(),
        },
    )


# ------------------------------------------------------------------ people


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def people(request):
    form = f.PersonCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.person_create(
                by=request.user,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role_names=data["roles"],
                teams=data["teams"],
            )
        except services.ConsoleError as error:
            _bad(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": user.get_username()})
            if data["invite"]:
                services.person_invite(
                    by=request.user, user=user, base_url=request.build_absolute_uri("/")
                )
                messages.info(request, _("Invitation sent to %(email)s.") % {"email": user.email})
            return redirect("console:person", user.pk)
    show = request.GET.get("show", "")
    users = User.objects.prefetch_related("groups", "teams").order_by(
        "-is_active", "first_name", "last_name", "username"
    )
    if show != "all":
        users = users.filter(is_active=True)
    rows = [
        {
            "user": user,
            "roles": [roles.ROLES.get(g.name, g.name) for g in user.groups.all()],
            "teams": [t.name for t in user.teams.all()],
        }
        for user in users.exclude(groups__name=roles.INTEGRATION)
    ]
    return render(
        request,
        "console/people.html",
        {"form": form, "rows": rows, "show": show, "records": _records(target_type="user")},
        status=400 if form.errors else 200,
    )


def _person(user_id: int):
    return get_object_or_404(User, pk=user_id)


def _person_page(request, user, *, form=None, rep_form=None, status=200):
    rep = RepSettings.objects.filter(user=user).first()
    form = form or f.PersonForm(
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "roles": list(user.groups.values_list("name", flat=True)),
            "teams": list(user.teams.values_list("pk", flat=True)),
        }
    )
    rep_form = rep_form or f.RepSettingsForm(
        initial={"weight": rep.weight if rep else 1, "daily_cap": rep.daily_cap if rep else None}
    )
    open_leads = Lead.objects.filter(owner=user, stage__in=routing.OPEN_STAGES).count()
    return render(
        request,
        "console/person.html",
        {
            "person": user,
            "form": form,
            "rep_form": rep_form,
            "rep": rep,
            "open_leads": open_leads,
            "records": _records(target_type="user", target_id=user.pk),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def person(request, user_id: int):
    user = _person(user_id)
    if request.method != "POST":
        return _person_page(request, user)
    form = f.PersonForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.person_update(
                by=request.user,
                user=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role_names=data["roles"],
                teams=data["teams"],
            )
        except services.ConsoleError as error:
            _bad(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("console:person", user.pk)
    return _person_page(request, user, form=form, status=400)


@require_POST
@admin_required
def person_routing(request, user_id: int):
    user = _person(user_id)
    form = f.RepSettingsForm(request.POST)
    if not form.is_valid():
        return _person_page(request, user, rep_form=form, status=400)
    services.person_routing_update(
        by=request.user,
        user=user,
        weight=form.cleaned_data["weight"],
        daily_cap=form.cleaned_data["daily_cap"],
    )
    messages.success(request, _("Saved."))
    team = request.POST.get("team", "")
    if team.isdigit() and Team.objects.filter(pk=int(team)).exists():
        return redirect("console:team", int(team))
    return redirect("console:person", user.pk)


@require_POST
@admin_required
def person_invite(request, user_id: int):
    user = _person(user_id)
    try:
        services.person_invite(by=request.user, user=user, base_url=request.build_absolute_uri("/"))
    except services.ConsoleError as error:
        messages.error(request, error.message)
        return _person_page(request, user, status=400)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
    return redirect("console:person", user.pk)


@require_POST
@admin_required
def person_active(request, user_id: int):
    """POST ``active=0`` deactivates (their leads re-routed), ``active=1`` reactivates."""
    user = _person(user_id)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        messages.error(request, _("Say active=0 or active=1."))
        return _person_page(request, user, status=400)
    try:
        if wanted == "0":
            counts = services.person_deactivate(by=request.user, user=user)
            messages.success(
                request,
                _(
                    "%(name)s was deactivated: %(rerouted)s leads routed again, "
                    "%(to_manager)s handed to their manager."
                )
                % {"name": user.get_username(), **counts},
            )
        else:
            services.person_reactivate(by=request.user, user=user)
            messages.success(
                request, _("%(name)s is active again.") % {"name": user.get_username()}
            )
    except services.ConsoleError as error:
        messages.error(request, error.message)
        return _person_page(request, user, status=400)
    return redirect("console:person", user.pk)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The invitation's link: choose a password (public; the token is the key)."""

    template_name = "console/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.person_password_set(user=form.user)
        messages.success(self.request, _("Your password is set. Log in with it."))
        return response


# ------------------------------------------------------------------ teams


def _team_page(request, team, *, form, status=200):
    members = []
    if team is not None:
        people = team.members.select_related("rep_settings").annotate(
            open=Count("owned_leads", filter=Q(owned_leads__stage__in=routing.OPEN_STAGES))
        )
        members = list(people.order_by("first_name", "last_name", "username"))
    teams = Team.objects.select_related("manager").annotate(n=Count("members")).order_by("name")
    return render(
        request,
        "console/teams.html" if team is None else "console/team.html",
        {
            "team": team,
            "teams": teams,
            "form": form,
            "members": members,
            "criterion_labels": CRITERION_LABELS,
            "records": _records(target_type="team", target_id=team.pk if team else None),
        },
        status=status,
    )


def _team_fields(data) -> dict:
    return {
        "name": data["name"],
        "kind": data["kind"],
        "manager": data["manager"],
        "mode": data["mode"],
        "framework": data["framework"],
        "required_criteria": list(data["required_criteria"]),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def teams(request):
    form = f.TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = services.team_save(
            by=request.user,
            team=None,
            members=form.cleaned_data["members"],
            **_team_fields(form.cleaned_data),
        )
        messages.success(request, _("Team %(name)s was created.") % {"name": team.name})
        return redirect("console:team", team.pk)
    return _team_page(request, None, form=form, status=400 if form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def team(request, team_id: int):
    team = get_object_or_404(Team, pk=team_id)
    if request.method == "POST":
        form = f.TeamForm(request.POST, team=team)
        if form.is_valid():
            services.team_save(
                by=request.user,
                team=team,
                members=form.cleaned_data["members"],
                **_team_fields(form.cleaned_data),
            )
            messages.success(request, _("Saved."))
            return redirect("console:team", team.pk)
        return _team_page(request, team, form=form, status=400)
    form = f.TeamForm(
        team=team,
        initial={
            "name": team.name,
            "kind": team.kind,
            "manager": team.manager_id,
            "mode": team.mode,
            "framework": team.framework,
            "required_criteria": team.required_criteria or [],
            "members": list(team.members.values_list("pk", flat=True)),
        },
    )
    return _team_page(request, team, form=form)


# ------------------------------------------------------------------ routing rules


def _conditions_shown(conditions: dict) -> list[tuple[str, str]]:
    return conditions_shown(conditions)


def _example_lead(data) -> Lead:
    """An unsaved lead (and account, when one of its fields is given) from the try form."""
    email = (data.get("email") or "").strip().lower()
    lead = Lead(
        name=_("Example"),
        email=email,
        email_normalised=email,
        company_name=data.get("company") or "",
        source_channel=data.get("source_channel") or "",
        score_quadrant=(data.get("quadrant") or "").upper(),
        language=data.get("language") or "",
        stage=Stage.MQL,
    )
    if any(data.get(k) not in (None, "") for k in ("region", "country", "industry", "employees")):
        lead.account = Account(
            name=data.get("company") or "",
            domain=normalize_domain(email) or None,
            region=data.get("region") or "",
            country=(data.get("country") or "").upper(),
            industry=data.get("industry") or "",
            employees=data.get("employees"),
        )
    return lead


def _try(request):
    """The "which rule would take this lead?" panel, from the GET query."""
    if "try" not in request.GET:
        return f.TryForm(initial={"applies_to": "mql"}), None, None, 200
    form = f.TryForm(request.GET)
    if not form.is_valid():
        return form, None, None, 400
    data = form.cleaned_data
    if data["lead"]:
        lead = (
            Lead.objects.select_related("account", "owner", "team").filter(pk=data["lead"]).first()
        )
        if lead is None:
            form.add_error("lead", _("No lead with this id."))
            return form, None, None, 400
    else:
        lead = _example_lead(data)
    preview = routing.route_preview(lead=lead, applies_to=data["applies_to"] or "mql")
    decision = preview.decision
    if decision is not None:
        key = decision.reason
        if decision.mode and decision.mode != Team.Mode.POOL and key in ("rule", "default_team"):
            key = f"{key}:{decision.mode}"
        preview.reason_words = REASON_LABELS.get(key, decision.reason)
    preview.tried = [
        {"rule": rule, "matches": matches, "chosen": decision is not None and decision.rule == rule}
        for rule, matches in preview.rules
    ]
    return form, preview, lead if lead.pk else None, 200


def _rule_saved(request, form, rule):
    """Save the rule ``form`` describes through the service (``rule`` None: a new one):
    the rule, or None with the service's refusals put on the form's fields."""
    data = form.cleaned_data
    try:
        return services.rule_save(
            by=request.user,
            rule=rule,
            name=data["name"],
            applies_to=data["applies_to"],
            active=data["active"],
            team=data["team"],
            user=data["user"],
            conditions=data["conditions"],
        )
    except routing.RoutingRuleInvalid as error:
        for field, problems in error.errors.items():
            name = field.removeprefix("conditions.")
            form.add_error(name if name in form.fields else None, problems)
        return None


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def rules(request):
    form = f.RuleForm(request.POST or None, initial={"active": True, "applies_to": "mql"})
    if request.method == "POST" and form.is_valid():
        rule = _rule_saved(request, form, None)
        if rule is not None:
            messages.success(request, _("Rule %(name)s was created.") % {"name": rule.name})
            return redirect("console:rules")
    try_form, preview, tried_lead, try_status = _try(request)
    all_rules = RoutingRule.objects.select_related("team", "user").order_by(
        "applies_to", "order", "pk"
    )
    groups = []
    for value, label in RoutingRule.AppliesTo.choices:
        group = [
            {"rule": rule, "conditions": _conditions_shown(rule.conditions)}
            for rule in all_rules
            if rule.applies_to == value
        ]
        groups.append({"label": label, "rows": group})
    return render(
        request,
        "console/rules.html",
        {
            "form": form,
            "groups": groups,
            "try_form": try_form,
            "preview": preview,
            "tried_lead": tried_lead,
            "records": _records(target_type="routingrule"),
        },
        status=400 if form.errors else try_status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def rule(request, rule_id: int):
    rule = get_object_or_404(RoutingRule.objects.select_related("team", "user"), pk=rule_id)
    form = f.RuleForm(request.POST or None, initial=f.RuleForm.initial_for(rule))
    if (
        request.method == "POST"
        and form.is_valid()
        and _rule_saved(request, form, rule) is not None
    ):
        messages.success(request, _("Saved."))
        return redirect("console:rules")
    return render(
        request,
        "console/rule.html",
        {"rule": rule, "form": form, "records": _records(target=rule)},
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def rule_move(request, rule_id: int):
    rule = get_object_or_404(RoutingRule, pk=rule_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Say direction=up or direction=down."))
        return redirect("console:rules")
    services.rule_move(by=request.user, rule=rule, up=direction == "up")
    return redirect("console:rules")


@require_POST
@admin_required
def rule_active(request, rule_id: int):
    rule = get_object_or_404(RoutingRule, pk=rule_id)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        messages.error(request, _("Say active=0 or active=1."))
        return redirect("console:rules")
    try:
        services.rule_save(by=request.user, rule=rule, active=wanted == "1")
    except routing.RoutingRuleInvalid as error:
        # a rule stored before a check existed: say what to fix on its own page
        messages.error(request, " ".join(" ".join(v) for v in error.errors.values()))
        return redirect("console:rule", rule.pk)
    return redirect("console:rules")


@require_POST
@admin_required
def route_now(request, lead_id: int):
    lead = get_object_or_404(Lead, pk=lead_id)
    try:
        event = services.lead_route_now(by=request.user, lead=lead)
    except (services.ConsoleError, routing.RoutingError) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Lead %(lead)s routed: %(reason)s.")
            % {"lead": lead.pk, "reason": REASON_LABELS.get(event.reason, event.reason)},
        )
    applies_to = "sql" if lead.stage == Stage.SQL else "mql"
    return redirect(reverse("console:rules") + f"?try=1&lead={lead.pk}&applies_to={applies_to}#try")


# ------------------------------------------------------------------ domain lists


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def domains(request):
    form = f.DomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.domain_add(
                by=request.user, kind=form.cleaned_data["kind"], domain=form.cleaned_data["domain"]
            )
        except services.ConsoleError as error:
            _bad(form, error)
        else:
            messages.success(request, _("%(domain)s was added.") % {"domain": entry.domain})
            return redirect("console:domains")
    entries = DomainListEntry.objects.order_by("kind", "domain")
    lists = [
        {"kind": value, "label": label, "entries": [e for e in entries if e.kind == value]}
        for value, label in DomainListEntry.Kind.choices
    ]
    return render(
        request,
        "console/domains.html",
        {"form": form, "lists": lists, "records": _records(target_type="domainlistentry")},
        status=400 if form.errors else 200,
    )


@require_POST
@admin_required
def domain_remove(request, entry_id: int):
    entry = get_object_or_404(DomainListEntry, pk=entry_id)
    services.domain_remove(by=request.user, entry=entry)
    messages.success(request, _("%(domain)s was removed.") % {"domain": entry.domain})
    return redirect("console:domains")


# ------------------------------------------------------------------ history


@require_GET
@login_required
def history(request):
    """The whole product's audit trail, newest first (admins; directors read it)."""
    if not roles.has_role(request.user, *HISTORY_ROLES):
        raise PermissionDenied
    prefix = request.GET.get("what", "")
    kinds = {
        "person.": _("People"),
        "team.": _("Teams"),
        "rule.": _("Routing rules"),
        "domain.": _("Domain lists"),
        "lead": _("Leads"),
    }
    records = audit_records(action_prefix=prefix if prefix in kinds else None)
    page = Paginator(records, HISTORY_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/history.html",
        {
            "page": page,
            "records": records_in_words(with_words(page.object_list)),
            "kinds": kinds,
            "what": prefix if prefix in kinds else "",
        },
    )
