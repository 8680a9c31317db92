"""Reads of the manager's team view: the teams a manager manages, each member's load
(open leads) and away flag, and the teams' open leads. A fixed number of queries."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q

from leads.models import Lead, Stage
from leads.people import roles
from leads.people.models import Team

OPEN_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)


def managed_teams(*, manager) -> list[Team]:
    """Each team with ``.people`` (members annotated ``load``, ``rep_settings`` joined)
    and ``.open_leads`` (its open leads, by its members or in its pool)."""
    teams = (
        Team.objects.all()
        if roles.has_role(manager, roles.ADMIN)
        else Team.objects.filter(manager=manager)
    )
    members = (
        get_user_model()
        .objects.select_related("rep_settings")
        .annotate(load=Count("owned_leads", filter=Q(owned_leads__stage__in=OPEN_STAGES)))
        .order_by("first_name", "username")
    )
    teams = list(
        teams.exclude(kind=Team.Kind.MARKETING)
        .prefetch_related(Prefetch("members", queryset=members, to_attr="people"))
        .order_by("name")
    )
    member_ids = {p.pk for t in teams for p in t.people}
    leads = list(
        Lead.objects.filter(stage__in=OPEN_STAGES)
        .filter(Q(owner__in=member_ids) | Q(team__in=[t.pk for t in teams]))
        .select_related("owner", "account")
        .order_by("assigned_at", "pk")
    )
    for t in teams:
        ids = {p.pk for p in t.people}
        t.open_leads = [lead for lead in leads if lead.team_id == t.pk or lead.owner_id in ids]
    return teams
