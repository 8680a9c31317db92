"""Pages for working a lead: the actions on the lead page, marketing's returned-leads
inbox (and, with the queue, the SDR queue and the manager's team view).

Thin doors onto ``leads.queue.work``: a view finds the lead among those the user may see
(else 404), parses a form, calls one service and redirects (POST → redirect → GET).
When the service refuses, the lead page is shown again with the reason and nothing
changed: bad input 400 (errors by the field), not yours 403, a stage move the
lifecycle refuses 409 (the message names both stages).

Every form also works without JavaScript; ``static/js/work.js`` posts the same forms
with ``fetch`` and swaps the page's content in place (no full reload).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from leads import hooks, lifecycle, storable
from leads.consent import lead_consent_context
from leads.models import Lead
from leads.people import roles
from leads.queue import forms as f
from leads.queue import work
from leads.queue.actions import lead_actions, return_actions
from leads.queue.claim import claim_next, opt_outs_left_queue, pool_count, sdr_queue
from leads.queue.routing import RoutingError, lead_assign, person_set_away
from leads.queue.selectors import RETURN_FILTERS, returns_visible_to
from leads.queue.team import managed_teams
from leads.scoring.predictive_selectors import lead_prediction
from leads.selectors import lead_timeline, leads_visible_to

# ------------------------------------------------------------------ lead actions


@dataclass(frozen=True)
class Action:
    form: type[f.WorkForm]
    run: Any  # (lead, user, cleaned form) -> success message


def _accept(lead, user, form):
    work.lead_accept(lead=lead, by=user)
    return _("Accepted: the lead is now a SAL.")


def _return(lead, user, form):
    row = work.lead_return(
        lead=lead,
        by=user,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
        choice=form.cleaned_data["to"] or None,
    )
    return _("Returned (%(reason)s): the lead went to %(stage)s.") % {
        "reason": row.get_reason_display(),
        "stage": row.get_to_stage_display(),
    }


def _touch(lead, user, form):
    work.touch_log(
        lead=lead,
        by=user,
        channel=form.cleaned_data["channel"],
        outcome=form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
        at=form.cleaned_data["at"],
    )
    return _("Touch logged.")


def _qualify(lead, user, form):
    state = work.qualification_update(lead=lead, by=user, criteria=form.criteria())
    if state.missing:
        return _("Qualification saved; still needed to convert: %(names)s.") % {
            "names": state.missing_words
        }
    return _("Qualification saved: the lead can be converted to an SQL.")


def _convert(lead, user, form):
    work.lead_convert(lead=lead, by=user)
    return _("Converted to an SQL and handed to the account executives.")


def _disqualify(lead, user, form):
    work.lead_disqualify(
        lead=lead, by=user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
    )
    return _("Done: the lead left the queue.")


def _opt_out(lead, user, form):
    work.lead_opt_out_record(lead=lead, by=user, note=form.cleaned_data["note"])
    return _(
        "Recorded: this person opted out (do not contact). An open lead left sales for nurture."
    )


def _opt_out_reverse(lead, user, form):
    work.lead_opt_out_reverse(lead=lead, by=user, reason=form.cleaned_data["reason"])
    return _("The opt-out is reversed; the reason is kept in the consent history.")


# The lead page's actions by name. Capabilities above the queue add theirs (the AE's
# pipeline actions: ``leads.pipeline.views.register``, from ``LeadsConfig.ready``).
ACTIONS: dict[str, Action] = {
    "accept": Action(f.AcceptForm, _accept),
    "return": Action(f.ReturnForm, _return),
    "touch": Action(f.TouchForm, _touch),
    "qualify": Action(f.QualificationForm, _qualify),
    "convert": Action(f.ConvertForm, _convert),
    "disqualify": Action(f.DisqualifyForm, _disqualify),
    "opt_out": Action(f.OptOutForm, _opt_out),
    "opt_out_reverse": Action(f.OptOutReverseForm, _opt_out_reverse),
}


def make_form(action: str, lead: Lead, data=None) -> f.WorkForm:
    form_class = ACTIONS[action].form
    if form_class is f.QualificationForm:
        return form_class(data, state=work.qualification_state(lead=lead), prefix="q")
    return form_class(data, prefix=action)


def _next_url(request, default: str) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


def lead_page(request, lead: Lead, *, bound=None, error: str = "", status: int = 200):
    """The lead page (``views.lead_detail``'s), with a bound form and the refusal."""
    return render(
        request,
        "leads/lead_detail.html",
        {
            "lead": lead,
            "timeline": lead_timeline(lead=lead, newest_first=True),
            "prediction": lead_prediction(lead=lead),
            **lead_consent_context(lead=lead),
            "work_bound": bound or {},
            "work_error": error,
        },
        status=status,
    )


def _visible_lead(request, pk: int) -> Lead:
    return get_object_or_404(
        leads_visible_to(viewer=request.user).select_related("account", "owner", "score_model"),
        pk=pk,
    )


@require_POST
@login_required
def lead_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    lead = _visible_lead(request, pk)
    form = make_form(action, lead, request.POST)
    try:
        if not form.is_valid():
            raise work.WorkInvalid({})
        message = ACTIONS[action].run(lead, request.user, form)
    except work.WorkInvalid as exc:
        form.add_service_errors(exc.errors)
        lead = _visible_lead(request, pk)
        return lead_page(request, lead, bound={action: form}, status=400)
    except work.WorkForbidden as exc:
        return lead_page(request, _visible_lead(request, pk), error=str(exc), status=403)
    except work.WorkConflict as exc:  # TransitionRefused included: names both stages
        return lead_page(request, _visible_lead(request, pk), error=str(exc), status=409)
    messages.success(request, message)
    return HttpResponseRedirect(_next_url(request, _landing(request.user, pk, action)))


# Actions that finish a person's step on the lead: they go back to their list.
HANDOFF_ACTIONS = frozenset({"convert", "return", "disqualify", "sql_accept", "sql_reject"})
AE_ACTIONS = frozenset({"sql_accept", "sql_reject", "opportunity"})
CLOSED_STAGES = (lifecycle.WON, lifecycle.LOST)  # the opportunity closed: nothing left


def _landing(user, pk: int, action: str) -> str:
    """Where a person lands after an action on the lead page: the lead page while
    there is work left for them on it (after a touch, a qualification, an accept, an
    opportunity's next stage); otherwise back to their list — the SDR's queue after a
    conversion, return or disqualification, the AE's pipeline after accepting or
    rejecting an SQL or closing the opportunity (HubSpot's and Salesforce's "save and
    back to the list"). Others stay on the lead page while they still see it."""
    lead = leads_visible_to(viewer=user).filter(pk=pk).first()
    done = action in HANDOFF_ACTIONS or lead is None or lead.stage in CLOSED_STAGES
    if not done and lead_actions(lead=lead, user=user).works:
        return reverse("leads:lead_detail", args=[pk])
    if action in AE_ACTIONS and roles.has_role(user, roles.AE):
        return reverse("leads:pipeline")
    if roles.has_role(user, roles.SDR):
        return reverse("leads:queue")
    if roles.has_role(user, roles.AE):
        return reverse("leads:pipeline")
    if lead is not None:
        return reverse("leads:lead_detail", args=[pk])
    return reverse("home")  # no longer theirs to see


# ------------------------------------------------------------ returned-leads inbox

RETURN_READER_ROLES = (roles.MARKETING, roles.DIRECTOR, roles.ADMIN)
RETURN_ACTIONS = {"resend": f.NoteForm, "dispute": f.DisputeForm, "settle": f.SettleForm}


def _inbox(request, *, status: str, bound=None, error: str = "", http_status: int = 200):
    rows = list(
        returns_visible_to(viewer=request.user, status=status).select_related(
            "lead__account", "lead__owner"
        )
    )
    bound = bound or {}
    items = []
    for row in rows:
        allowed = return_actions(row=row, user=request.user)
        forms = {
            name: bound.get((row.pk, name)) or RETURN_ACTIONS[name](prefix=f"r{row.pk}-{name}")
            for name in RETURN_ACTIONS
            if getattr(allowed, name)
        }
        items.append({"row": row, "forms": forms})
    return render(
        request,
        "work/returns.html",
        {
            "items": items,
            "status": status,
            "filters": [
                ("open", _("Open")),
                ("disputed", _("Disputed")),
                ("all", _("All")),
            ],
            "error": error,
        },
        status=http_status,
    )


@require_safe
@login_required
def returns_inbox(request):
    if not roles.has_role(request.user, *RETURN_READER_ROLES):
        raise PermissionDenied
    status = request.GET.get("status") or (
        "disputed"
        if roles.has_role(request.user, roles.DIRECTOR)
        and not roles.has_role(request.user, roles.MARKETING)
        else "open"
    )
    if status not in RETURN_FILTERS:
        status = "open"
    return _inbox(request, status=status)


@require_POST
@login_required
def return_act(request, pk: int, action: str):
    if action not in RETURN_ACTIONS:
        raise Http404
    if not roles.has_role(request.user, *RETURN_READER_ROLES):
        raise PermissionDenied
    row = get_object_or_404(returns_visible_to(viewer=request.user, status="all"), pk=pk)
    form = RETURN_ACTIONS[action](request.POST, prefix=f"r{pk}-{action}")
    status = request.POST.get("status", "open")
    status = status if status in RETURN_FILTERS else "open"
    try:
        if not form.is_valid():
            raise work.WorkInvalid({})
        data = form.cleaned_data
        if action == "resend":
            work.lead_resend(lead=row.lead, by=request.user, note=data["note"])
            message = _("Re-sent: the lead is an MQL again and was routed.")
        elif action == "dispute":
            work.return_dispute(lead_return=row, by=request.user, note=data["note"])
            message = _("Disputed: a director will settle it.")
        else:
            work.return_settle(
                lead_return=row, by=request.user, outcome=data["outcome"], note=data["note"]
            )
            message = _("Dispute settled.")
    except work.WorkInvalid as exc:
        form.add_service_errors(exc.errors)
        return _inbox(request, status=status, bound={(pk, action): form}, http_status=400)
    except work.WorkForbidden as exc:
        return _inbox(request, status=status, error=str(exc), http_status=403)
    except work.WorkConflict as exc:
        return _inbox(request, status=status, error=str(exc), http_status=409)
    messages.success(request, message)
    return HttpResponseRedirect(f"{reverse('leads:returns')}?status={status}")


# ----------------------------------------------------------------- the SDR queue
# leads.queue.claim and leads.queue.routing are H4's (routing + claiming); imported in the views.


@require_safe
@login_required
def queue(request):
    """The SDR's own leads by priority and next-step deadline, the team pool's size and
    "Next lead". A fixed number of queries whatever the queue length."""
    if not roles.has_role(request.user, roles.SDR):
        raise PermissionDenied
    rows = [
        {"lead": lead, "actions": lead_actions(lead=lead, user=request.user)}
        for lead in sdr_queue(user=request.user)
    ]
    selected = request.GET.get("selected", "")
    return render(
        request,
        "work/queue.html",
        {
            "rows": rows,
            "pool": pool_count(user=request.user),
            "selected": storable.plain_id(selected) or (rows[0]["lead"].pk if rows else 0),
            "touch_form": f.TouchForm(prefix="touch"),
            "opted_out": list(opt_outs_left_queue(user=request.user)),
        },
    )


@require_POST
@login_required
def queue_next(request):
    """Claim the best lead of the team pool (assigned to the SDR, not accepted)."""
    if not roles.has_role(request.user, roles.SDR):
        raise PermissionDenied
    lead = claim_next(user=request.user)
    url = reverse("leads:queue")
    if lead is None:
        messages.info(request, _("The team pool is empty: no lead to take."))
        return HttpResponseRedirect(url)
    # the claim defers its SLA clocks to a worker (it is the hot path); the queue the
    # SDR is sent back to shows the new lead's deadline at once
    hooks.on_events_written(lead.pk)
    messages.success(request, _("You took “%(lead)s”.") % {"lead": lead.name or lead.email})
    return HttpResponseRedirect(f"{url}?selected={lead.pk}")


# ------------------------------------------------------------ the manager's team


@require_safe
@login_required
def team(request):
    """The teams the sales manager manages: members with their load (open leads) and
    away flag, and the teams' open leads to reassign."""
    if not roles.has_role(request.user, roles.SALES_MANAGER, roles.ADMIN):
        raise PermissionDenied
    return render(request, "work/team.html", {"teams": managed_teams(manager=request.user)})


@require_POST
@login_required
def team_away(request, user_id: int):
    from django.contrib.auth import get_user_model

    if not roles.has_role(request.user, roles.SALES_MANAGER, roles.ADMIN):
        raise PermissionDenied
    person = get_object_or_404(get_user_model(), pk=user_id)
    away = request.POST.get("away") == "1"
    try:
        counts = person_set_away(user=person, away=away, by=request.user)
    except RoutingError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("leads:team"))
    if away:
        messages.success(
            request,
            _("Marked away: %(rerouted)d lead(s) re-routed, %(to_manager)d to the manager.")
            % counts,
        )
    else:
        messages.success(request, _("Marked back."))
    return HttpResponseRedirect(reverse("leads:team"))


@require_POST
@login_required
def team_assign(request, pk: int):
    from django.contrib.auth import get_user_model

    if not roles.has_role(request.user, roles.SALES_MANAGER, roles.ADMIN):
        raise PermissionDenied
    lead = _visible_lead(request, pk)
    to = storable.plain_id(request.POST.get("to_user", ""))
    person = get_user_model().objects.filter(pk=to).first() if to is not None else None
    if person is None:
        messages.error(request, _("Choose a person."))
        return HttpResponseRedirect(reverse("leads:team"))
    try:
        lead_assign(lead=lead, by=request.user, to_user=person)
    except RoutingError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("leads:team"))
    messages.success(request, _("Lead reassigned."))
    return HttpResponseRedirect(reverse("leads:team"))
