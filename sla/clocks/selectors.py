"""Reads of the clocks: the queue's deadline (the seam ``leads.hooks.DEADLINE``), a
lead's clocks, who sees which clock."""

from __future__ import annotations

from django.db.models import DateTimeField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from leads.people import roles
from sla.models import Clock

# The clocks the person holding a lead answers for (the return window is a window
# to use, not a deadline to meet; marketing's and the director's are not the queue's).
QUEUE_TERMS = ("acceptance", "first_touch", "sql_handoff", "status_update")


def _earliest(column: str) -> Subquery:
    running = (
        Clock.objects.filter(lead=OuterRef("pk"), state=Clock.State.RUNNING, term__in=QUEUE_TERMS)
        .order_by()
        .values("lead")
        .annotate(first=Min(column))
        .values("first")
    )
    return Subquery(running, output_field=DateTimeField())


def annotate_deadline(queryset: QuerySet) -> QuerySet:
    """``next_step_deadline``: the earliest due time of the lead's running clocks;
    ``next_step_warn``: the earliest warning point (amber from then, red from the
    deadline). Subqueries: the queue keeps its one query."""
    return queryset.annotate(
        next_step_deadline=_earliest("due_at"),
        next_step_warn=Coalesce(_earliest("warn_at"), _earliest("due_at")),
    )


def clocks_visible_to(*, viewer) -> QuerySet[Clock]:
    """Directors, admins and marketing (read-all roles) see every clock; a sales
    manager their teams' and their people's; anyone else their own."""
    clocks = Clock.objects.all()
    if roles.has_role(viewer, *roles.READ_ALL_ROLES):
        return clocks
    mine = Q(owner=viewer)
    if roles.has_role(viewer, roles.SALES_MANAGER):
        managed = viewer.managed_teams.values("pk")
        mine |= Q(team__in=managed) | Q(owner__teams__in=managed)
    return clocks.filter(mine).distinct()


def lead_clocks(lead) -> QuerySet[Clock]:
    return (
        Clock.objects.filter(lead=lead)
        .select_related("owner", "team", "terms", "calendar")
        .order_by("started_at", "id")
    )
