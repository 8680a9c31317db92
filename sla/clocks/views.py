"""The clocks on pages: the lead page's panel (``leads.hooks.LEAD_PANELS``) and the
sales manager's team view of clocks at risk and breached today."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from leads.people import roles
from leads.people.names import person_name
from sla.clocks import words
from sla.clocks.selectors import lead_clocks
from sla.models import Clock


def lead_panel(request, lead) -> dict | None:
    """Every clock of the lead: term, cycle, owner, start, due, state, policy, version."""
    clocks = list(lead_clocks(lead))
    for clock in clocks:
        clock.outcome_label = words.outcome_label(clock.outcome)
        clock.target_words = words.target_words(clock)
        clock.owner_name = person_name(clock.owner) if clock.owner_id else ""
    return {"template": "sla/_lead_clocks.html", "clocks": clocks, "now": timezone.now()}


def _day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


@require_safe
@login_required
def team_clocks(request):
    """A sales manager's people and teams: each person's clocks at risk (past their
    warning point, not yet due) and breached today or still open breached. Directors
    and admins see every team."""
    user = request.user
    if not roles.has_role(user, roles.SALES_MANAGER, roles.DIRECTOR, roles.ADMIN):
        raise PermissionDenied
    now = timezone.now()
    start, end = _day_bounds(now)
    clocks = Clock.objects.filter(
        state=Clock.State.RUNNING, warn_at__lte=now
    ) | Clock.objects.filter(breached_at__gte=start, breached_at__lt=end)
    if not roles.has_role(user, roles.DIRECTOR, roles.ADMIN):
        managed = user.managed_teams.values("pk")
        clocks = clocks.filter(Q(team__in=managed) | Q(owner__teams__in=managed))
    clocks = clocks.distinct().select_related("lead", "owner", "team").order_by("due_at", "id")
    people: dict = defaultdict(lambda: {"at_risk": [], "breached": []})
    for clock in clocks:
        key = (
            person_name(clock.owner)
            if clock.owner_id
            else (clock.team.name if clock.team_id else "—")
        )
        bucket = (
            "breached" if clock.breached_at or (clock.due_at and clock.due_at <= now) else "at_risk"
        )
        people[key][bucket].append(clock)
    rows = [{"name": name, **groups} for name, groups in sorted(people.items())]
    return render(request, "sla/team_clocks.html", {"rows": rows, "now": now})
