"""The SDR queue: reads (``sdr_queue``, ``team_pool``, ``next_step_deadline``, the
distribution report) and the one write that belongs with them, ``claim_next``.

Priority, for the queue and for claiming: quadrant (hot, sales check, nurture,
drop, unscored), then total score (highest first), then the next step's deadline
(soonest first; in the pool: oldest MQL first), then id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from leads import hooks
from leads.models import Lead, LeadEvent, Stage, Team

QUEUE_STAGES = (Stage.MQL, Stage.SAL)
QUADRANT_RANK = {"hot": 0, "sales_check": 1, "nurture": 2, "drop": 3}


def next_step_deadline(queryset: QuerySet[Lead]) -> QuerySet[Lead]:
    """Annotate ``next_step_deadline`` = ``assigned_at`` + ``QUEUE_DEADLINE_HOURS``, in
    SQL. The only place the deadline is computed: the SLA engine replaces this
    selector with its clocks' ``due_at``. Unassigned leads get None."""
    hours = timedelta(hours=settings.QUEUE_DEADLINE_HOURS)
    return queryset.annotate(
        next_step_deadline=ExpressionWrapper(
            F("assigned_at") + Value(hours), output_field=DateTimeField()
        )
    )


def _quadrant_rank() -> Case:
    return Case(
        *[When(score_quadrant=q, then=Value(rank)) for q, rank in QUADRANT_RANK.items()],
        default=Value(len(QUADRANT_RANK)),
        output_field=IntegerField(),
    )


def sdr_queue(*, user) -> QuerySet[Lead]:
    """The user's open assigned leads (MQL, SAL), by priority then next-step deadline.
    One query whatever its length (account and team joined)."""
    leads = Lead.objects.filter(owner=user, stage__in=QUEUE_STAGES).select_related(
        "account", "team", "owner"
    )
    return next_step_deadline(leads.annotate(priority=_quadrant_rank())).order_by(
        "priority", F("score_total").desc(nulls_last=True), "next_step_deadline", "pk"
    )


def user_pool_teams(*, user) -> QuerySet[Team]:
    """The teams whose pool ``user`` claims from: their SDR teams."""
    return Team.objects.filter(members=user, kind=Team.Kind.SDR)


def _pool(team_ids) -> QuerySet[Lead]:
    return (
        Lead.objects.filter(team__in=team_ids, owner__isnull=True, stage=Stage.MQL)
        .annotate(priority=_quadrant_rank())
        .order_by("priority", F("score_total").desc(nulls_last=True), "mql_at", "pk")
    )


def team_pool(*, team: Team) -> QuerySet[Lead]:
    """The team's unassigned MQLs, best first."""
    return _pool([team.pk]).select_related("account")


def pool_count(*, user) -> int:
    return _pool(user_pool_teams(user=user).values("pk")).count()


def claim_next(*, user, now: datetime | None = None) -> Lead | None:
    """Take the best lead of the user's team pools and assign it to them (not accepted:
    it stays an MQL). Atomic: on PostgreSQL the row is taken with ``SELECT … FOR
    UPDATE SKIP LOCKED``, so concurrent claimers each get a different lead and never
    wait on each other; elsewhere (SQLite: one writer at a time) a plain
    transaction. The owner-is-null condition is re-checked in the UPDATE, so even
    without the row lock a lead is never given twice. None when the pool is empty."""
    now = now or timezone.now()
    teams = user_pool_teams(user=user).values("pk")  # a subquery: one round trip per try
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        for _attempt in range(5):
            # only the two columns the claim needs: the sort stays narrow
            pool = _pool(teams).only("pk", "team_id")
            if skip_locked:
                pool = pool.select_for_update(skip_locked=True, of=("self",))
            lead = pool.first()
            if lead is None:
                return None
            taken = Lead.objects.filter(pk=lead.pk, owner__isnull=True, stage=Stage.MQL).update(
                owner=user, assigned_at=now, updated_at=now
            )
            if taken:
                break
        else:
            return None
        event = LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.ASSIGNMENT,
            actor_user=user,
            reason="claim",
            data={
                "from_user": None,
                "from_team": lead.team_id,
                "to_user": user.pk,
                "to_team": lead.team_id,
                "mode": Team.Mode.POOL,
                "rule": None,
            },
            at=now,
        )
        lead.owner, lead.assigned_at, lead.updated_at = user, now, now
        hooks.on_lead_assigned(lead, event)
    return lead  # other fields load on first access


# ------------------------------------------------------------------ distribution report


@dataclass
class DistributionRow:
    team_id: int | None
    team: str
    user_id: int | None
    user: str
    total: int
    by_reason: dict[str, int]
    by_rule: dict[str, int]


def assignment_distribution(*, start: datetime, end: datetime) -> list[DistributionRow]:
    """Per team and person, the leads assigned in [start, end) and why: counts per
    event reason (``rule``, ``round_robin`` is a mode — see ``data.mode`` —,
    ``account_owner``, ``manual``, ``claim``, ``default_team``…) and per rule name.
    Two queries."""
    from django.contrib.auth import get_user_model

    from leads.people import person_name

    events = LeadEvent.objects.filter(
        kind=LeadEvent.Kind.ASSIGNMENT, at__gte=start, at__lt=end
    ).values_list("reason", "data")
    groups: dict[tuple[Any, Any], dict[str, Any]] = defaultdict(
        lambda: {"total": 0, "reasons": defaultdict(int), "rules": defaultdict(int)}
    )
    for reason, data in events:
        key = (data.get("to_team"), data.get("to_user"))
        group = groups[key]
        group["total"] += 1
        why = reason
        if (
            reason in ("rule", "default_team")
            and data.get("mode")
            in (
                Team.Mode.ROUND_ROBIN,
                Team.Mode.FEWEST_OPEN,
            )
            and data.get("to_user")
        ):
            why = f"{reason}:{data['mode']}"
        group["reasons"][why] += 1
        if data.get("rule"):
            group["rules"][data["rule"]["name"]] += 1
    team_names = dict(Team.objects.filter(pk__in={k[0] for k in groups}).values_list("pk", "name"))
    users = get_user_model().objects.in_bulk({k[1] for k in groups if k[1]})
    rows = [
        DistributionRow(
            team_id=team_id,
            team=team_names.get(team_id, ""),
            user_id=user_id,
            user=person_name(users[user_id]) if user_id in users else "",
            total=g["total"],
            by_reason=dict(g["reasons"]),
            by_rule=dict(g["rules"]),
        )
        for (team_id, user_id), g in groups.items()
    ]
    rows.sort(key=lambda r: (r.team, r.user, r.team_id or 0, r.user_id or 0))
    return rows
