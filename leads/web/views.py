"""HTML pages for leads: the per-role home page, the lead list and a lead's detail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from rest_framework.authtoken.models import Token

from leads import storable
from leads.consent import lead_consent_context
from leads.models import Stage
from leads.people import roles
from leads.scoring.predictive_selectors import lead_prediction
from leads.selectors import lead_timeline, leads_visible_to
from leads.web import browse

LEADS_PER_PAGE = 50
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


@require_safe
@login_required
def lead_list(request):
    user = request.user
    if not roles.has_role(user, *LEAD_READER_ROLES):
        raise PermissionDenied
    form = browse.LeadFilterForm(request.GET or None)
    form.is_valid()  # a bad field shows its error and filters nothing
    filters = browse.LeadFilters.from_form(form)
    paginator = Paginator(browse.lead_list(viewer=user, filters=filters), LEADS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "leads/lead_list.html",
        {
            "form": form,
            "page": page,
            "paginator": paginator,
            "query": query.urlencode(),
            "campaigns": browse.lead_campaigns(viewer=user),
            "is_demo_data": browse.leads_are_demo_data(viewer=user),
            "filtered": any(value for key, value in request.GET.items() if key != "page"),
        },
    )


# The lead page's timeline: newest first (the last touch on top, under the actions);
# ``?timeline=oldest`` reads it the other way.
TIMELINE_ORDERS = ("newest", "oldest")


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
            **lead_consent_context(lead=lead),
        },
        status=status,
    )
