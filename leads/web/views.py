"""HTML pages for leads: the per-role home page, the lead list and a lead's detail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from rest_framework.authtoken.models import Token

from leads import hooks, storable
from leads.consent import lead_consent_context
from leads.models import Stage
from leads.people import roles
from leads.scoring.predictive_selectors import lead_prediction
from leads.selectors import lead_timeline, leads_visible_to
from leads.web import audit_words, browse, bulk, export  # noqa: F401 (audit_words registers)

LATEST_ON_HOME = 8
# The main line of the funnel, shown first on the home page; the side stages follow.
FUNNEL_STAGES = (
    Stage.INQUIRY,
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.WON,
)
# Roles that have a lead list at all; what each sees is leads_visible_to's business.
LEAD_READER_ROLES = (*roles.READ_ALL_ROLES, roles.SDR, roles.AE, roles.SALES_MANAGER)


@require_safe
@login_required
def home(request):
    user = request.user
    if not request.GET.get("overview"):
        elsewhere = hooks.home_page(user)
        if elsewhere:
            return redirect(elsewhere)
    context: dict = {
        "can_import": roles.has_role(user, roles.MARKETING, roles.ADMIN),
        "is_integration": roles.has_role(user, roles.INTEGRATION),
        "is_admin": roles.has_role(user, roles.ADMIN),
        "sees_leads": roles.has_role(user, *LEAD_READER_ROLES),
    }
    if context["sees_leads"]:
        counts = browse.lead_stage_counts(viewer=user)
        context.update(
            funnel_counts=[row for row in counts if row["stage"] in FUNNEL_STAGES],
            side_counts=[row for row in counts if row["stage"] not in FUNNEL_STAGES],
            total_leads=sum(row["count"] for row in counts),
            latest_leads=browse.lead_list(viewer=user, filters=browse.LeadFilters())[
                :LATEST_ON_HOME
            ],
            is_demo_data=browse.leads_are_demo_data(viewer=user),
        )
    if context["is_integration"]:
        context["has_token"] = Token.objects.filter(user=user).exists()
    return render(request, "home.html", context)


def _list_request(request):
    """The lead list's form, filters and sort from the query string (the page and the
    export read the same). A bad field shows its error and filters (or sorts) nothing."""
    if not roles.has_role(request.user, *LEAD_READER_ROLES):
        raise PermissionDenied
    form = browse.LeadFilterForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return form, browse.LeadFilters.from_form(form), data.get("sort") or browse.DEFAULT_SORT


def _sort_links(query, sort: str) -> list[dict]:
    """Per sortable column: the URL that sorts by it (the other way round when it is the
    current sort; received starts newest first), and the current direction."""
    links = {}
    for key in browse.SORT_KEYS:
        if sort.lstrip("-") == key:
            direction = "desc" if sort.startswith("-") else "asc"
            target = key if direction == "desc" else f"-{key}"
        else:
            direction = ""
            target = f"-{key}" if key == "received" else key
        linked = query.copy()
        linked.pop("page", None)
        linked["sort"] = target
        links[key] = {"url": f"?{linked.urlencode()}", "direction": direction}
    return links


@require_safe
@login_required
def lead_list(request):
    user = request.user
    form, filters, sort = _list_request(request)
    size = getattr(form, "cleaned_data", {}).get("page_size") or browse.DEFAULT_PAGE_SIZE
    paginator = Paginator(browse.lead_list(viewer=user, filters=filters, sort=sort), size)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export = query.copy()
    export.pop("page_size", None)
    may_assign = roles.has_role(user, *bulk.ASSIGNERS)
    return render(
        request,
        "leads/lead_list.html",
        {
            "form": form,
            "page": page,
            "paginator": paginator,
            "query": query.urlencode(),
            "export_query": export.urlencode(),
            "sort_links": _sort_links(request.GET, sort),
            "may_assign": may_assign,
            "assignees": bulk.assignees(by=user) if may_assign else [],
            "campaigns": browse.lead_campaigns(viewer=user),
            "is_demo_data": browse.leads_are_demo_data(viewer=user),
            "filtered": any(
                value
                for key, value in request.GET.items()
                if key != "page" and key not in browse.LeadFilterForm.VIEW_FIELDS
            ),
        },
    )


# The lead page's timeline: newest first (the last touch on top, under the actions);
# ``?timeline=oldest`` reads it the other way.
TIMELINE_ORDERS = ("newest", "oldest")


@require_safe
@login_required
def lead_export(request):
    """The filtered, sorted list as CSV (``leads.web.export``): the same leads as the
    page, every page; an audit record says who exported what."""
    form, filters, sort = _list_request(request)
    leads = browse.lead_list(viewer=request.user, filters=filters, sort=sort)
    return export.leads_csv_response(
        leads=leads, by=request.user, filters=export.filters_detail(form)
    )


@require_POST
@login_required
def lead_bulk_assign(request):
    """Assign the checked leads to one person (sales managers and admins); back to the
    list with what was assigned and what was not, and why."""
    if not roles.has_role(request.user, *bulk.ASSIGNERS):
        raise PermissionDenied
    form = bulk.BulkAssignForm(request.POST, by=request.user)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("leads:lead_list")
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.label_of(field)}: {error}")
        return redirect(back)
    result = bulk.leads_bulk_assign(
        lead_ids=form.cleaned_data["leads"], to_user=form.cleaned_data["to_user"], by=request.user
    )
    bulk.report(request, result)
    return redirect(back)


@require_safe
@login_required
def lead_detail(request, pk: int):
    lead = get_object_or_404(
        leads_visible_to(viewer=request.user).select_related("account", "owner", "score_model"),
        pk=pk,
    )
    order = request.GET.get("timeline") or "newest"
    error, status = "", 200
    if order not in TIMELINE_ORDERS:
        error = _("Timeline order: “%(value)s” is not one of: %(choices)s.") % {
            "value": storable.shown_key(order),
            "choices": ", ".join(TIMELINE_ORDERS),
        }
        order, status = "newest", 400
    return render(
        request,
        "leads/lead_detail.html",
        {
            "lead": lead,
            "timeline": lead_timeline(lead=lead, newest_first=order == "newest"),
            "timeline_order": order,
            "timeline_error": error,
            "prediction": lead_prediction(lead=lead),
            "panels": hooks.lead_panels(request, lead),
            **lead_consent_context(lead=lead),
        },
        status=status,
    )
