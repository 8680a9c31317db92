"""The SLA sweep (issue 12 §4): what passed its warning point, its deadline or an
escalation point since the last run becomes notifications, exactly once.

``sweep(now=None)`` runs once a minute (beat's ``sla-sweep`` entry, ``sla.tasks``), in
one transaction:

1. Return windows whose 48 h passed while running close unbreached: ``state='stopped'``,
   ``outcome='window_closed'``, ``stopped_at=due_at`` (no notification).
2. Warning: ``warned_sent_at`` set on every running clock whose ``warn_at`` passed; the
   owner is told (see *Recipients*), unless the clock is already past due at the sweep
   (then only the breach is sent).
3. Breach: ``breach_sent_at`` set and ``breached_at = COALESCE(breached_at, due_at)`` on
   every running clock whose ``due_at`` passed; recipients as for the warning.
4. Manager escalation at ``manager_at``: the clock's team's manager (no team or no
   manager: nobody, the step is marked sent all the same).
5. Director escalation at ``director_at``: the team's ``TeamSla.escalation_director``,
   default every active member of the director group.

Each step is one ``UPDATE sla_clock SET <step>_sent_at = now WHERE state = 'running'
AND <step>_sent_at IS NULL AND <step>_at <= now RETURNING …``; its WHERE is the
predicate of the step's partial index (``sla_clock_warn_due``, …), so the statement
reads only the due clocks, never the running ones. Then a fixed number of lookups
(teams with their SLA settings, directors, marketers, which recipients are active)
and one ``INSERT … ON CONFLICT DO NOTHING`` each for the notifications and the
webhook deliveries: the query count does not grow with the number of due clocks.

Recipients (warning and breach): the owner; without one, on the director side the
team's escalation director else every director, otherwise the team's manager, and on
the marketing side without a team manager every member of the marketing group.
Inactive people are never notified.

Exactly once — what this relies on:

- **The claim is the UPDATE.** A step's notifications are written in the transaction
  that moved its ``*_sent_at`` from NULL to a time, and only that transaction: the
  UPDATE takes each row's lock, and a second sweep running at the same moment (two
  beats, a task delivered twice, a person at the shell) waits on the lock; when the
  first commits, PostgreSQL re-checks the WHERE on the new row version (READ COMMITTED's
  re-check of an UPDATE), finds ``*_sent_at`` set and skips the row. If the first rolls
  back, the second takes the row. Before all that a transaction-level advisory lock
  (``pg_try_advisory_xact_lock``) lets one sweep run at a time — a second one returns
  at once with ``{"busy": 1}`` — which saves the wasted work and any lock-order
  deadlock between two sweeps; correctness does not depend on it.
- **All or nothing.** The claims, the notification rows and the webhook deliveries
  commit together: a worker killed mid-sweep (SIGKILL, lost power) leaves the
  transaction open until PostgreSQL sees the connection gone and rolls it back; the
  next sweep (a minute later) finds the same clocks due and does the whole step again.
- **The unique constraints are the last word.** ``sla_notification_once`` (clock, step,
  recipient) and ``sla_webhook_once`` (team, clock, step) with ``ON CONFLICT DO
  NOTHING``: whatever happened to the ``*_sent_at`` columns (a restored backup, a
  hand-made edit), a row is never made twice.
- The engine (``sla.engine``) recomputes clock rows but never touches the ``*_sent_at``
  columns: a notification is never unsent, nor sent again because a deadline moved.

Email and webhooks are sent after the commit, at least once
(``sla.notify.email``, ``sla.notify.webhooks``), each with its row's stable
``delivery_id`` so that a receiver can drop a repeat.

Test hook: with the setting ``SLA_SWEEP_PAUSE_KEY`` (environment, tests only) the
sweep, after its first claim, sets the Redis key ``<key>:reached`` and waits until the
key ``<key>`` exists — so a test can SIGKILL a worker in the middle of the transaction.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from leads.people import roles
from leads.people.models import Team
from sla.models import Clock, Notification, Term

# pg_try_advisory_xact_lock's key: one sweep at a time ("SLASWEEP" as a number).
SWEEP_LOCK_KEY = 0x534C4153_57454550 - (1 << 63)

WARNING = Notification.Step.WARNING
BREACH = Notification.Step.BREACH
MANAGER = Notification.Step.MANAGER
DIRECTOR = Notification.Step.DIRECTOR

_RUNNING = Clock.State.RUNNING.value
_WINDOW = Term.RETURN_WINDOW.value

# (step, the column it passes, the column it sets, extra SET, extra WHERE)
_STEPS = (
    (WARNING, "warn_at", "warned_sent_at", "", ""),
    (BREACH, "due_at", "breach_sent_at", ", breached_at = COALESCE(breached_at, due_at)",
     f" AND term <> '{_WINDOW}'"),
    (MANAGER, "manager_at", "manager_sent_at", "", ""),
    (DIRECTOR, "director_at", "director_sent_at", "", ""),
)  # fmt: skip


def _claim_sql(point: str, sent: str, extra_set: str, extra_where: str) -> str:
    # The WHERE repeats the partial index's predicate word for word (sla.models.Clock).
    return (
        f"UPDATE sla_clock SET {sent} = %(now)s{extra_set}"
        f" WHERE state = '{_RUNNING}' AND {sent} IS NULL AND {point} IS NOT NULL"
        f" AND {point} <= %(now)s{extra_where}"
        " RETURNING id, lead_id, owner_id, team_id, side,"
        " (due_at IS NOT NULL AND due_at <= %(now)s)"
    )


CLAIM_SQL = {step: _claim_sql(point, sent, s, w) for step, point, sent, s, w in _STEPS}
# One look at the four partial indexes first: when nothing is due (most minutes) the
# sweep is this one statement, no transaction, no lock.
ANY_DUE_SQL = "SELECT " + " OR ".join(
    f"EXISTS (SELECT 1 FROM sla_clock WHERE state = '{_RUNNING}' AND {sent} IS NULL"
    f" AND {point} IS NOT NULL AND {point} <= %(now)s)"
    for _step, point, sent, _s, _w in _STEPS
)
# Return windows close at their due time while running (the breach index finds them).
WINDOW_SQL = (
    "UPDATE sla_clock SET state = 'stopped', outcome = 'window_closed', stopped_at = due_at,"
    " elapsed = COALESCE(elapsed, target)"
    f" WHERE state = '{_RUNNING}' AND breach_sent_at IS NULL AND due_at IS NOT NULL"
    f" AND due_at <= %(now)s AND term = '{_WINDOW}'"
    " RETURNING id"
)


def sweep(now: datetime | None = None, *, exclusive: bool = True) -> dict[str, int]:
    """Advance every due clock by one step and write its notifications (module docs).
    Answers the counts: clocks claimed per step, windows closed, notifications and
    webhook deliveries made; ``{"busy": 1}`` when another sweep is running.
    ``exclusive=False`` leaves out the advisory lock (the tests show that the row locks
    alone keep every row once)."""
    now = now or timezone.now()
    counts = {"windows_closed": 0, "notifications": 0, "webhooks": 0}
    params = {"now": _db_time(now)}
    with connection.cursor() as cursor:
        cursor.execute(ANY_DUE_SQL, params)
        if not cursor.fetchone()[0]:
            return {**counts, **{str(step): 0 for step in CLAIM_SQL}}
    with transaction.atomic(), connection.cursor() as cursor:
        if exclusive and connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return {"busy": 1}
        cursor.execute(WINDOW_SQL, params)
        counts["windows_closed"] = len(cursor.fetchall())
        claimed: dict[str, list[tuple]] = {}
        for step, sql in CLAIM_SQL.items():
            cursor.execute(sql, params)
            claimed[step] = cursor.fetchall()
            counts[str(step)] = len(claimed[step])
            if step == WARNING:
                _pause_for_tests()
        notifications, deliveries = _fan_out(claimed)
        counts["notifications"] = _insert_notifications(cursor, notifications, now)
        counts["webhooks"] = _insert_deliveries(cursor, deliveries, now)
    return counts


def _fan_out(claimed: dict[str, list[tuple]]):
    """(recipient, clock, lead, step) rows and (team, clock, step) rows for what was
    claimed, with a fixed number of queries."""
    # warnings already past due are marked sent but say nothing: the breach speaks
    claimed[WARNING] = [row for row in claimed[WARNING] if not row[5]]
    rows = [(step, *row[:5]) for step, step_rows in claimed.items() for row in step_rows]
    if not rows:
        return [], []
    team_ids = {row[4] for row in rows if row[4] is not None}
    teams: dict[int, tuple[int | None, int | None, bool]] = {}
    if team_ids:  # each team's manager and SLA settings, one query
        for team_id, manager_id, director_id, webhook_url in Team.objects.filter(
            pk__in=team_ids
        ).values_list("pk", "manager_id", "sla__escalation_director_id", "sla__webhook_url"):
            teams[team_id] = (manager_id, director_id, bool(webhook_url))
    needs_group = _groups_needed(rows, teams)
    group_members: dict[str, list[int]] = {name: [] for name in needs_group}
    if needs_group:
        for user_id, name in (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=needs_group)
            .values_list("pk", "groups__name")
            .order_by("pk")
        ):
            group_members[name].append(user_id)

    wanted: list[tuple[int, int, int, str]] = []
    deliveries: list[tuple[int, int, str]] = []
    for step, clock_id, lead_id, owner_id, team_id, side in rows:
        manager_id, director_id, hooked = teams.get(team_id, (None, None, False))
        if step == MANAGER:
            people = [manager_id] if manager_id else []
        elif step == DIRECTOR:
            people = [director_id] if director_id else group_members[roles.DIRECTOR]
        elif owner_id:
            people = [owner_id]
        elif side == Clock.Side.DIRECTOR:
            people = [director_id] if director_id else group_members[roles.DIRECTOR]
        elif manager_id:
            people = [manager_id]
        elif side == Clock.Side.MARKETING:
            people = group_members[roles.MARKETING]
        else:
            people = []
        wanted += [(person, clock_id, lead_id, step) for person in dict.fromkeys(people)]
        if hooked:
            deliveries.append((team_id, clock_id, step))
    if wanted:
        # owners and managers may have left: one query for who is still active
        active = set(
            get_user_model()
            .objects.filter(pk__in={w[0] for w in wanted}, is_active=True)
            .values_list("pk", flat=True)
        )
        wanted = [w for w in wanted if w[0] in active]
    return wanted, deliveries


def _groups_needed(rows, teams) -> list[str]:
    needed = set()
    for step, _clock, _lead, owner_id, team_id, side in rows:
        manager_id, director_id, _hooked = teams.get(team_id, (None, None, False))
        if step == DIRECTOR or (
            step in (WARNING, BREACH) and not owner_id and side == Clock.Side.DIRECTOR
        ):
            if not director_id:
                needed.add(roles.DIRECTOR)
        elif (
            step in (WARNING, BREACH)
            and not (owner_id or manager_id)
            and side == Clock.Side.MARKETING
        ):
            needed.add(roles.MARKETING)
    return sorted(needed)


def _insert_notifications(cursor, rows, now: datetime) -> int:
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        recipients, clocks, leads, steps = (list(column) for column in zip(*rows, strict=True))
        cursor.execute(
            "INSERT INTO sla_notification"
            " (recipient_id, clock_id, lead_id, step, delivery_id, created_at)"
            " SELECT r, c, l, s, gen_random_uuid(), %s"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[]) AS u(r, c, l, s)"
            " ON CONFLICT DO NOTHING",
            [now, recipients, clocks, leads, steps],
        )
        return cursor.rowcount
    cursor.executemany(
        "INSERT INTO sla_notification"
        " (recipient_id, clock_id, lead_id, step, delivery_id, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [(*row, uuid.uuid4().hex, _db_time(now)) for row in rows],
    )
    return cursor.rowcount


def _insert_deliveries(cursor, rows, now: datetime) -> int:
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        teams, clocks, steps = (list(column) for column in zip(*rows, strict=True))
        cursor.execute(
            "INSERT INTO sla_webhookdelivery (team_id, clock_id, step, delivery_id, status,"
            " attempts, next_attempt_at, last_error, log, created_at)"
            " SELECT t, c, s, gen_random_uuid(), 'pending', 0, %s, '', '[]'::jsonb, %s"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS u(t, c, s)"
            " ON CONFLICT DO NOTHING",
            [now, now, teams, clocks, steps],
        )
        return cursor.rowcount
    cursor.executemany(
        "INSERT INTO sla_webhookdelivery (team_id, clock_id, step, delivery_id, status,"
        " attempts, next_attempt_at, last_error, log, created_at)"
        " VALUES (%s, %s, %s, %s, 'pending', 0, %s, '', '[]', %s) ON CONFLICT DO NOTHING",
        [(*row, uuid.uuid4().hex, _db_time(now), _db_time(now)) for row in rows],
    )
    return cursor.rowcount


def _db_time(moment: datetime):
    """A moment as the database takes it in raw SQL (SQLite: naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(moment)


def _pause_for_tests() -> None:
    """The test hook of the module docs: wait on a Redis key mid-transaction."""
    key = getattr(settings, "SLA_SWEEP_PAUSE_KEY", "")
    if not key:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(f"{key}:reached", "1", ex=600)
    deadline = time.monotonic() + 120
    while not client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)
