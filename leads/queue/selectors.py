"""Reads for working a lead: returns (marketing's inbox), opportunities, touches.

Visibility follows ``leads.selectors.leads_visible_to``: a return or touch is
visible when its lead is. Opportunities: roles that read everything see all; an
AE their own; a sales manager those of the people in the teams they manage.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from leads.models import LeadReturn, Touch
from leads.selectors import leads_visible_to

RETURN_FILTERS = ("open", "disputed", "all")


def returns_visible_to(*, viewer: AbstractBaseUser, status: str = "open") -> QuerySet[LeadReturn]:
    """Returns of leads the viewer may see, newest first. ``open``: returned to
    marketing and not yet fixed and re-sent (the inbox); ``disputed``: a dispute
    waits for a director; ``all``: every return."""
    returns = LeadReturn.objects.filter(
        lead__in=leads_visible_to(viewer=viewer).values("pk")
    ).select_related("lead", "returned_by", "disputed_by", "settled_by")
    if status == "open":
        returns = returns.filter(to_stage="returned", resolved_at__isnull=True)
    elif status == "disputed":
        returns = returns.filter(dispute=LeadReturn.Dispute.OPEN)
    return returns


def lead_touches(*, lead) -> QuerySet[Touch]:
    return Touch.objects.filter(lead=lead).select_related("user")
