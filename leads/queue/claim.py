"""The SDR queue: reads (``sdr_queue``, ``team_pool``, ``next_step_deadline``, the
distribution report) and the one write that belongs with them, ``claim_next``.

Priority, for the queue and for claiming: quadrant (hot, sales check, nurture,
drop, unscored), then total score (highest first), then the next step's deadline
(soonest first; in the pool: oldest MQL first), then id.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import (
    Case,
    DateTimeField,
    F,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from leads import consent, hooks
from leads.models import Lead, LeadEvent, Stage
from leads.people.models import Team
from leads.people.names import person_name

QUEUE_STAGES = (Stage.MQL, Stage.SAL)
QUADRANT_RANK = {"hot": 0, "sales_check": 1, "nurture": 2, "drop": 3}


def next_step_deadline(queryset: QuerySet[Lead]) -> QuerySet[Lead]:
    """Annotate ``next_step_deadline`` (the earliest due time of the lead's running SLA
    clocks) and ``next_step_warn`` (the earliest warning point), in SQL, through the
    seam ``hooks.DEADLINE`` that the ``sla`` app fills; None without a running clock
    (or without the SLA app)."""
    annotated = hooks.annotate_deadline(queryset)
    if "next_step_deadline" not in annotated.query.annotations:
        annotated = annotated.annotate(
            next_step_deadline=Value(None, output_field=DateTimeField()),
            next_step_warn=Value(None, output_field=DateTimeField()),
        )
    return annotated


def _quadrant_rank() -> Case:
    return Case(
        *[When(score_quadrant=q, then=Value(rank)) for q, rank in QUADRANT_RANK.items()],
        default=Value(len(QUADRANT_RANK)),
        output_field=IntegerField(),
    )


def sdr_queue(*, user) -> QuerySet[Lead]:
    """The user's open assigned leads (MQL, SAL), by priority then next-step deadline;
    never a lead whose person opted out (``leads.consent``: an opt-out moves it to
    nurture — this is the belt to those braces). One query whatever its length
    (account and team joined)."""
    leads = Lead.objects.filter(
        owner=user, stage__in=QUEUE_STAGES, do_not_contact=False
    ).select_related("account", "team", "owner")
    return next_step_deadline(leads.annotate(priority=_quadrant_rank())).order_by(
        "priority", F("score_total").desc(nulls_last=True), "next_step_deadline", "pk"
    )


# How long the queue page tells an SDR about leads an opt-out took from them.
OPT_OUT_NOTICE_DAYS = 7


def opt_outs_left_queue(*, user, now: datetime | None = None) -> QuerySet[LeadEvent]:
    """The stage events of the last ``OPT_OUT_NOTICE_DAYS`` days that took a lead of
    ``user``'s out of sales because the person opted out (``leads.consent``), newest
    first, with their lead: the queue page says why those leads left it. One query."""
    since = (now or timezone.now()) - timedelta(days=OPT_OUT_NOTICE_DAYS)
    return (
        LeadEvent.objects.filter(
            kind=LeadEvent.Kind.STAGE_CHANGE,
            at__gte=since,
            reason=consent.OPT_OUT_REASON,
            actor_system=consent.OPT_OUT_ACTOR,
            data__from_user=user.pk,
        )
        .select_related("lead")
        .order_by("-at", "-id")
    )


def user_pool_teams(*, user) -> QuerySet[Team]:
    """The teams whose pool ``user`` claims from: their SDR teams."""
    return Team.objects.filter(members=user, kind=Team.Kind.SDR)


def _pool(team_ids) -> QuerySet[Lead]:
    # An opted-out lead is never in a pool (``leads.consent``), whatever its stage says.
    return (
        Lead.objects.filter(
            team__in=team_ids, owner__isnull=True, stage=Stage.MQL, do_not_contact=False
        )
        .annotate(priority=_quadrant_rank())
        .order_by("priority", F("score_total").desc(nulls_last=True), "mql_at", "pk")
    )


def team_pool(*, team: Team) -> QuerySet[Lead]:
    """The team's unassigned MQLs, best first."""
    return _pool([team.pk]).select_related("account")


def pool_count(*, user) -> int:
    return _pool(user_pool_teams(user=user).values("pk")).count()


# The claim on PostgreSQL, in one statement: lock the best pool lead of the user's SDR
# teams (``FOR UPDATE SKIP LOCKED``: concurrent claimers each get a different lead and
# never wait on each other), assign it, log the assignment event. Its WHERE and ORDER
# BY are ``_pool()``'s written out in SQL, in the form of the partial index
# ``lead_pool_order_idx`` (migration 0006), so the best lead is the first unlocked
# index entry instead of the top of a sort of the whole pool (``NOT do_not_contact`` is
# checked on the row the index points at: an opted-out lead is never claimed). Tests pin
# both: the claim order equals ``team_pool()``'s, and the plan reads the index.
CLAIM_SQL = """
WITH claimed AS (
    UPDATE leads_lead SET owner_id = %(user)s, assigned_at = %(now)s, updated_at = %(now)s
    WHERE id = (
        SELECT id FROM leads_lead
        WHERE owner_id IS NULL AND stage = 'mql' AND NOT do_not_contact AND team_id IN (
            SELECT m.team_id FROM leads_team_members m
            JOIN leads_team t ON t.id = m.team_id
            WHERE m.user_id = %(user)s AND t.kind = 'sdr'
        )
        ORDER BY CASE WHEN score_quadrant = 'hot' THEN 0
                      WHEN score_quadrant = 'sales_check' THEN 1
                      WHEN score_quadrant = 'nurture' THEN 2
                      WHEN score_quadrant = 'drop' THEN 3 ELSE 4 END,
                 score_total DESC NULLS LAST, mql_at, id
        LIMIT 1 FOR UPDATE SKIP LOCKED
    ) AND owner_id IS NULL AND stage = 'mql' AND NOT do_not_contact
    RETURNING id, team_id
), event AS (
    INSERT INTO leads_leadevent (lead_id, kind, actor_user_id, actor_system, reason, data, at)
    SELECT id, 'assignment', %(user)s, '', 'claim',
           jsonb_build_object('from_user', NULL, 'from_team', team_id, 'to_user', %(user)s,
                              'to_team', team_id, 'mode', 'pool', 'rule', NULL),
           %(now)s
    FROM claimed
    RETURNING id, lead_id
)
SELECT claimed.id, claimed.team_id, event.id FROM claimed JOIN event ON event.lead_id = claimed.id
"""


def claim_next(*, user, now: datetime | None = None) -> Lead | None:
    """Take the best lead of the user's team pools and assign it to them (not accepted:
    it stays an MQL), log the assignment event and run the assignment hooks, in one
    transaction. None when the pool is empty.

    On PostgreSQL one statement does the claim (``CLAIM_SQL``: the row is taken with
    ``SELECT … FOR UPDATE SKIP LOCKED``, updated and logged in one round trip, without
    the ORM: the claim is what every SDR hammers all morning). Elsewhere (SQLite: one
    writer at a time) the same steps through the ORM. Either way the owner-is-null
    condition is re-checked in the UPDATE, so even without the row lock a lead is
    never given twice."""
    now = now or timezone.now()
    db = transaction.get_connection()  # this thread's connection, looked up once
    with transaction.atomic():
        if db.vendor == "postgresql":
            claimed = _claim_in_one_statement(db, user=user, now=now)
        else:
            claimed = _claim_with_orm(db, user=user, now=now)
        if claimed is None:
            return None
        lead, event = claimed
        hooks.on_events_written(lead.pk, deferred=True)
        hooks.on_lead_assigned(lead, event)
    return lead  # other fields load on first access


def _claim_event_data(*, user, team_id: int | None) -> dict[str, Any]:
    return {
        "from_user": None,
        "from_team": team_id,
        "to_user": user.pk,
        "to_team": team_id,
        "mode": Team.Mode.POOL,
        "rule": None,
    }


@functools.cache
def _attnames(model, wanted: frozenset[str]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


def _loaded(db, model, **values):
    """An instance of ``model`` as if loaded from the database with these column values
    (attnames); the other fields deferred, loaded on first access."""
    names = _attnames(model, frozenset(values))
    return model.from_db(db.alias, names, [values[name] for name in names])


def _claimed_lead(db, *, user, now: datetime, lead_id: int, team_id: int | None) -> Lead:
    """The claimed lead with what the claim wrote, without reading it back."""
    lead = _loaded(
        db,
        Lead,
        id=lead_id,
        team_id=team_id,
        owner_id=user.pk,
        stage=Stage.MQL,
        assigned_at=now,
        updated_at=now,
    )
    lead.owner = user
    return lead


class _LoggedServerBindingCursor(CursorDebugWrapper):
    """Django's query log for a server-binding cursor: the statement as the server gets
    it, then its values (the client-binding way of reading it back finds nothing once
    psycopg runs a prepared statement; composing it client-side would cost more than
    the claim itself)."""

    def execute(self, sql, params=None):
        with self.debug_sql(f"{sql} -- {params!r}", params):
            return CursorWrapper.execute(self, sql, params)


def _server_binding_cursor(db) -> CursorWrapper:
    """A cursor on Django's connection ``db`` (same transaction) that binds parameters
    on the server, so psycopg prepares its statements once the connection allows it
    (``prepare_threshold``, smarketing/settings.py): a connection then plans the claim
    once, not on every claim. In Django's wrapper: errors translated, queries logged
    when Django logs them. The ORM's own cursors keep binding on the client."""
    import psycopg

    db.ensure_connection()
    db.validate_thread_sharing()
    cursor = psycopg.Cursor(db.connection)
    if db.queries_logged:
        return _LoggedServerBindingCursor(cursor, db)
    return CursorWrapper(cursor, db)


def _claim_in_one_statement(db, *, user, now: datetime) -> tuple[Lead, LeadEvent] | None:
    with _server_binding_cursor(db) as cursor:
        cursor.execute(CLAIM_SQL, {"user": user.pk, "now": now})
        row = cursor.fetchone()
    if row is None:
        return None
    lead_id, team_id, event_id = row
    lead = _claimed_lead(db, user=user, now=now, lead_id=lead_id, team_id=team_id)
    event = _loaded(
        db,
        LeadEvent,
        id=event_id,
        lead_id=lead_id,
        kind=LeadEvent.Kind.ASSIGNMENT,
        from_stage=None,
        to_stage=None,
        actor_user_id=user.pk,
        actor_system="",
        reason="claim",
        data=_claim_event_data(user=user, team_id=team_id),
        at=now,
    )
    event.lead, event.actor_user = lead, user
    return lead, event


def _claim_with_orm(db, *, user, now: datetime) -> tuple[Lead, LeadEvent] | None:
    teams = user_pool_teams(user=user).values("pk")  # a subquery: one round trip per try
    pool = _pool(teams).values_list("pk", "team_id")
    if db.features.has_select_for_update_skip_locked:
        pool = pool.select_for_update(skip_locked=True, of=("self",))
    for _attempt in range(5):
        best = pool.first()
        if best is None:
            return None
        lead_id, team_id = best
        taken = Lead.objects.filter(
            pk=lead_id, owner__isnull=True, stage=Stage.MQL, do_not_contact=False
        ).update(owner=user, assigned_at=now, updated_at=now)
        if taken:
            break
    else:
        return None
    lead = _claimed_lead(db, user=user, now=now, lead_id=lead_id, team_id=team_id)
    event = LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.ASSIGNMENT,
        actor_user=user,
        reason="claim",
        data=_claim_event_data(user=user, team_id=team_id),
        at=now,
    )
    return lead, event


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
