"""The pipeline page (issue 4, section 3): for an account executive, the SQLs waiting
to be accepted into the pipeline or rejected, and their open opportunities by stage
with totals split marketing-sourced vs sales-sourced; a sales manager reads their
teams', directors and admins read everyone's.

Thin doors onto ``leads.pipeline.services`` (``sql_accept``, ``sql_reject``,
``opportunity_update``) and ``leads.pipeline.selectors``. Visibility is the
selectors': a lead or opportunity outside what the user sees answers 404. The
services judge every change: a reader (director, manager) or another AE gets their
403, a stage move they refuse 409 with its message, bad input 400 with the errors on
the form's fields; the page is shown again and nothing changed. A success redirects
to the page (POST → redirect → GET). ``static/js/pipeline.js`` posts the same forms
with ``fetch`` and swaps the page's content in place.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from leads.models import Opportunity
from leads.people import roles
from leads.pipeline import forms as pf
from leads.pipeline import services
from leads.pipeline.selectors import (
    PIPELINE_STAGES,
    closed_opportunities,
    open_opportunities,
    opportunities_visible_to,
    pipeline_totals,
    waiting_sqls,
)
from leads.queue import views as queue_views
from leads.queue import work
from leads.queue.actions import allowed, lead_actions
from leads.selectors import leads_visible_to

# Who opens the page. AEs work it; sales managers, directors and admins read it.
PIPELINE_ROLES = (roles.AE, roles.SALES_MANAGER, roles.DIRECTOR, roles.ADMIN)
SQL_FORMS = {"accept": pf.SqlAcceptForm, "reject": pf.SqlRejectForm}


def _require_pipeline_role(user) -> None:
    if not roles.has_role(user, *PIPELINE_ROLES):
        raise PermissionDenied(_("The pipeline is for account executives and their managers."))


def _heading(user) -> str:
    if roles.has_role(user, roles.DIRECTOR, roles.ADMIN):
        return _("Pipeline")
    if roles.has_role(user, roles.SALES_MANAGER):
        return _("My teams' pipeline")
    return _("My pipeline")


def _may_change(opportunity: Opportunity, user) -> bool:
    return allowed(services.require_opportunity_owner, opportunity, user) and (
        opportunity.stage in PIPELINE_STAGES
    )


def _sql_items(user, bound: dict) -> list[dict]:
    items = []
    for lead in waiting_sqls(viewer=user):
        actions = lead_actions(lead=lead, user=user)
        source = services.pipeline_source(lead)
        forms = {}
        if actions.sql_accept:
            forms["accept"] = bound.get(("sql", lead.pk, "accept")) or pf.SqlAcceptForm(
                prefix=f"sql{lead.pk}-accept"
            )
        if actions.sql_reject:
            forms["reject"] = bound.get(("sql", lead.pk, "reject")) or pf.SqlRejectForm(
                prefix=f"sql{lead.pk}-reject"
            )
        items.append(
            {
                "lead": lead,
                "source": source,
                "source_label": Opportunity.Source(source).label,
                "forms": forms,
                "open": next((a for a in ("accept", "reject") if ("sql", lead.pk, a) in bound), ""),
            }
        )
    return items


def _opportunity_groups(user, stage: str, bound: dict, totals: dict) -> list[dict]:
    """Open opportunities by stage (only the filtered one, if any), each group with its
    stage's totals; without a filter, stages with no opportunity are left out."""
    stages = (stage,) if stage else PIPELINE_STAGES
    groups: dict[str, list[dict]] = {s: [] for s in stages}
    for opportunity in open_opportunities(viewer=user, stage=stage or None):
        change = _may_change(opportunity, user)
        next_stage = services.opportunity_next_stage(opportunity.stage)
        groups[opportunity.stage].append(
            {
                "opportunity": opportunity,
                "change": change,
                "next_stage": next_stage,
                "next_label": Opportunity.Stage(next_stage).label if next_stage else "",
                "form": (
                    bound.get(("opportunity", opportunity.pk))
                    or pf.OpportunityForm(prefix=f"opp{opportunity.pk}")
                )
                if change
                else None,
            }
        )
    return [
        {
            "stage": s,
            "label": Opportunity.Stage(s).label,
            "rows": rows,
            "total": totals[s],
            "actions": any(row["change"] for row in rows),
        }
        for s, rows in groups.items()
        if rows or stage
    ]


def _page(request, *, stage: str = "", bound=None, error: str = "", status: int = 200):
    user = request.user
    bound = bound or {}
    by_stage, overall = pipeline_totals(viewer=user)
    return render(
        request,
        "pipeline/pipeline.html",
        {
            "heading": _heading(user),
            "stage": stage,
            "filters": [("", _("All open"), overall.count)]
            + [(t.stage, t.label, t.count) for t in by_stage],
            "sqls": _sql_items(user, bound),
            "groups": _opportunity_groups(user, stage, bound, {t.stage: t for t in by_stage}),
            "totals": by_stage,
            "overall": overall,
            "closed": closed_opportunities(viewer=user),
            "show_owner": roles.has_role(user, roles.SALES_MANAGER, roles.DIRECTOR, roles.ADMIN),
            "today": timezone.localdate(),
            "error": error,
        },
        status=status,
    )


def _stage_filter(value: str | None) -> str:
    value = value or ""
    if value and value not in PIPELINE_STAGES:
        raise work.WorkInvalid(
            {
                "stage": [
                    _("“%(value)s” is not one of: %(choices)s.")
                    % {"value": value, "choices": ", ".join(PIPELINE_STAGES)}
                ]
            }
        )
    return value


def _back(stage: str) -> HttpResponseRedirect:
    url = reverse("leads:pipeline")
    return HttpResponseRedirect(f"{url}?stage={stage}" if stage else url)


@require_safe
@login_required
def pipeline(request):
    _require_pipeline_role(request.user)
    try:
        stage = _stage_filter(request.GET.get("stage"))
    except work.WorkInvalid as exc:
        message = _("Filter by stage: %(errors)s") % {"errors": " ".join(exc.errors["stage"])}
        return _page(request, error=message, status=400)
    return _page(request, stage=stage)


def _posted_filter(request) -> str:
    try:
        return _stage_filter(request.POST.get("filter"))
    except work.WorkInvalid:
        return ""


@require_POST
@login_required
def pipeline_sql(request, pk: int, action: str):
    """An AE accepts an SQL into the pipeline (amount, expected close date) or
    rejects it with a reason (→ nurture or disqualified)."""
    if action not in SQL_FORMS:
        raise Http404
    _require_pipeline_role(request.user)
    stage = _posted_filter(request)
    lead = get_object_or_404(leads_visible_to(viewer=request.user), pk=pk)
    form = SQL_FORMS[action](request.POST, prefix=f"sql{pk}-{action}")
    try:
        if not form.is_valid():
            raise work.WorkInvalid({})
        data = form.cleaned_data
        if action == "accept":
            opportunity = services.sql_accept(
                lead=lead,
                by=request.user,
                amount=data["amount"],
                expected_close=data["expected_close"],
                currency=data["currency"] or "CNY",
                name=data["name"],
            )
            message = _("Accepted into the pipeline: opportunity “%(name)s”.") % {
                "name": opportunity.name
            }
        else:
            services.sql_reject(lead=lead, by=request.user, reason=data["reason"], to=data["to"])
            message = _("SQL rejected.")
    except work.WorkInvalid as exc:
        form.add_service_errors(exc.errors)
        return _page(request, stage=stage, bound={("sql", pk, action): form}, status=400)
    except work.WorkForbidden as exc:
        return _page(request, stage=stage, error=str(exc), status=403)
    except work.WorkConflict as exc:  # TransitionRefused: names both stages
        return _page(request, stage=stage, error=str(exc), status=409)
    messages.success(request, message)
    return _back(stage)


@require_POST
@login_required
def pipeline_opportunity(request, pk: int):
    """The owning AE moves an open opportunity to its next stage, or closes it won,
    or lost with a lost reason."""
    _require_pipeline_role(request.user)
    stage = _posted_filter(request)
    opportunity = get_object_or_404(opportunities_visible_to(viewer=request.user), pk=pk)
    form = pf.OpportunityForm(request.POST, prefix=f"opp{pk}")
    try:
        if not form.is_valid():
            raise work.WorkInvalid({})
        target = form.cleaned_data["stage"]
        opportunity = services.opportunity_update(
            opportunity=opportunity,
            by=request.user,
            stage=target,
            lost_reason=form.cleaned_data["lost_reason"] or None,
        )
    except work.WorkInvalid as exc:
        form.add_service_errors(exc.errors)
        return _page(request, stage=stage, bound={("opportunity", pk): form}, status=400)
    except work.WorkForbidden as exc:
        return _page(request, stage=stage, error=str(exc), status=403)
    except work.WorkConflict as exc:
        return _page(request, stage=stage, error=str(exc), status=409)
    name = opportunity.name
    if target == Opportunity.Stage.WON:
        messages.success(request, _("Won: “%(name)s”.") % {"name": name})
    elif target == Opportunity.Stage.LOST:
        messages.success(request, _("Lost: “%(name)s”.") % {"name": name})
    else:
        messages.success(
            request,
            _("“%(name)s” moved to %(stage)s.")
            % {"name": name, "stage": opportunity.get_stage_display()},
        )
    return _back(stage)


# --- the AE's actions on the lead page (leads.queue.views.lead_act) ------------------


def _sql_accept(lead, user, form):
    opportunity = services.sql_accept(
        lead=lead,
        by=user,
        amount=form.cleaned_data["amount"],
        expected_close=form.cleaned_data["expected_close"],
        currency=form.cleaned_data["currency"] or "CNY",
        name=form.cleaned_data["name"],
    )
    return _("Accepted into the pipeline: opportunity “%(name)s”.") % {"name": opportunity.name}


def _sql_reject(lead, user, form):
    services.sql_reject(
        lead=lead, by=user, reason=form.cleaned_data["reason"], to=form.cleaned_data["to"]
    )
    return _("SQL rejected.")


def _opportunity(lead, user, form):
    opportunity = Opportunity.objects.filter(lead=lead).first()
    if opportunity is None:
        raise Http404
    services.opportunity_update(
        opportunity=opportunity,
        by=user,
        stage=form.cleaned_data["stage"],
        lost_reason=form.cleaned_data["lost_reason"] or None,
    )
    return _("Opportunity updated.")


def register() -> None:
    """Add the AE's actions to the lead page's (``LeadsConfig.ready``); idempotent."""
    queue_views.ACTIONS.setdefault("sql_accept", queue_views.Action(pf.SqlAcceptForm, _sql_accept))
    queue_views.ACTIONS.setdefault("sql_reject", queue_views.Action(pf.SqlRejectForm, _sql_reject))
    queue_views.ACTIONS.setdefault(
        "opportunity", queue_views.Action(pf.OpportunityForm, _opportunity)
    )
