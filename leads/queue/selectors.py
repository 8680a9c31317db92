"""Reads for working a lead: returns (marketing's inbox), opportunities, touches.

Visibility follows ``leads.selectors.leads_visible_to``: a return or touch is
visible when its lead is. Opportunities: roles that read everything see all; an
AE their own; a sales manager those of the people in the teams they manage.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from leads.models import LeadReturn, Opportunity, Touch
from leads.people import roles
from leads.people.models import Team
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


def opportunities_visible_to(*, viewer: AbstractBaseUser) -> QuerySet[Opportunity]:
    user_roles = roles.user_roles(viewer)
    opportunities = Opportunity.objects.select_related("lead", "owner")
    if user_roles.intersection(roles.READ_ALL_ROLES):
        return opportunities
    condition = Q(pk__in=[])
    if roles.AE in user_roles:
        condition |= Q(owner=viewer)
    if roles.SALES_MANAGER in user_roles:
        members = Team.objects.filter(manager=viewer).values("members")
        condition |= Q(owner__in=members)
    return opportunities.filter(condition) if user_roles else opportunities.none()


def lead_touches(*, lead) -> QuerySet[Touch]:
    return Touch.objects.filter(lead=lead).select_related("user")
