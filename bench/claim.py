"""``python -m bench.claim``: 16 concurrent claimers emptying a team pool through
``leads.queue.claim_next`` vs the same statements through raw psycopg, on PostgreSQL.

1. Fresh tables; one SDR team in pool mode, 16 SDRs, N pool MQLs (default 10,000,
   ``--smoke`` 2,000) with mixed quadrants and scores.
2. Django pass: 16 threads, each with its own database connection, call
   ``claim_next(user=…)`` (the real path: the user's teams, ``SELECT … FOR UPDATE
   SKIP LOCKED``, the conditional UPDATE, the assignment event, the hook) until the
   pool is empty.
3. Same run: the pool is reset (owners cleared, claim events deleted), then 16 threads
   with one psycopg connection each run the baseline SQL (printed) until empty.
4. Both passes are checked: every lead claimed exactly once, one event per lead,
   the owner in the row = the claimer who got it. A double claim (or a lost lead) is
   the hard gate: exit 1. Prints both rates, the ratio against the goal (0.5; "MISS"
   when missed) and the row counts.

Database: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/smarketing_bench), created and migrated when missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from bench.__main__ import DEFAULT_URL, _ensure_database, _safe

GOAL = 0.5
THREADS = 16
QUADRANTS = ("hot", "sales_check", "nurture", "drop", "")

BASELINE_SELECT = (
    "SELECT id, team_id FROM leads_lead"
    " WHERE team_id = ANY(%(teams)s) AND owner_id IS NULL AND stage = 'mql'"
    " ORDER BY CASE score_quadrant WHEN 'hot' THEN 0 WHEN 'sales_check' THEN 1"
    " WHEN 'nurture' THEN 2 WHEN 'drop' THEN 3 ELSE 4 END,"
    " score_total DESC NULLS LAST, mql_at, id"
    " LIMIT 1 FOR UPDATE SKIP LOCKED"
)
BASELINE_UPDATE = (
    "UPDATE leads_lead SET owner_id = %(user)s, assigned_at = %(now)s, updated_at = %(now)s"
    " WHERE id = %(lead)s AND owner_id IS NULL AND stage = 'mql'"
)
BASELINE_INSERT = (
    "INSERT INTO leads_leadevent (lead_id, kind, actor_user_id, actor_system, reason, data, at)"
    " VALUES (%(lead)s, 'assignment', %(user)s, '', 'claim', %(data)s, %(now)s)"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.claim", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--leads", type=int, default=10_000, help="pool size")
    parser.add_argument("--smoke", action="store_true", help="a quick run with 2,000 leads")
    parser.add_argument("--threads", type=int, default=THREADS, help="concurrent claimers")
    args = parser.parse_args(argv)
    count = 2_000 if args.smoke else args.leads

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        f"smarketing claim bench — a {count:,}-lead pool, {args.threads} claimers, "
        f"database {_safe(url)}"
    )
    team, users = _setup(count, args.threads)

    django_pass = _django_pass(team, users)
    _reset_pool(team)
    baseline = _baseline_pass(url, team, users)

    ratio = django_pass["rate"] / baseline["rate"]
    print()
    print(
        f"claim_next (Django) : {django_pass['rate']:>9,.0f} claims/s  "
        f"({django_pass['seconds']:.2f} s)"
    )
    print(f"   rows after       : {django_pass['counts']}")
    print(
        f"raw psycopg baseline: {baseline['rate']:>9,.0f} claims/s  ({baseline['seconds']:.2f} s)"
    )
    print(f"   rows after       : {baseline['counts']}")
    print("   baseline SQL     : BEGIN;")
    for statement in (BASELINE_SELECT, BASELINE_UPDATE, BASELINE_INSERT):
        print(f"                      {statement};")
    print("                      COMMIT;  (per claim, each thread on its own connection)")
    verdict = "PASS" if ratio >= GOAL else "MISS"
    print(f"ratio Django / raw  : {ratio:.3f}  (goal {GOAL}) — {verdict}")
    problems = django_pass["problems"] + baseline["problems"]
    for problem in problems:
        print(f"ERROR: {problem}")
    if not problems:
        print("double claims: 0 in both passes (hard gate met)")
    return 1 if problems else 0


def _setup(count: int, threads: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from leads.models import Lead, Team

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_activity, leads_leadevent, leads_lead, leads_account "
            "RESTART IDENTITY CASCADE"
        )
    team, _ = Team.objects.update_or_create(
        name="Bench claim pool", defaults={"kind": Team.Kind.SDR, "mode": Team.Mode.POOL}
    )
    group, _ = Group.objects.get_or_create(name="sdr")
    users = []
    for i in range(threads):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-claimer-{i:02d}")
        user.groups.add(group)
        users.append(user)
    team.members.set(users)
    now = datetime.now(UTC)
    Lead.objects.bulk_create(
        [
            Lead(
                email=f"claim{i}@bench-pool.example",
                email_normalised=f"claim{i}@bench-pool.example",
                source_channel="website",
                source_system="bench-claim",
                stage="mql",
                mql_at=now,
                team=team,
                score_quadrant=QUADRANTS[i % len(QUADRANTS)],
                score_total=float(i % 97),
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    return team, users


def _run_threads(target, users) -> tuple[float, dict[int, list[int]], list[str]]:
    got: dict[int, list[int]] = {u.pk: [] for u in users}
    errors: list[str] = []
    barrier = threading.Barrier(len(users) + 1)

    def run(user):
        try:
            target(user, barrier, got[user.pk])
        except Exception as exc:  # reported, and fails the run
            errors.append(f"{type(exc).__name__}: {exc}")
            barrier.abort()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started, got, errors


def _django_pass(team, users) -> dict:
    from django.db import connection

    from leads.queue import claim_next

    def claimer(user, barrier, mine: list[int]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            while (lead := claim_next(user=user)) is not None:
                mine.append(lead.pk)
        finally:
            connection.close()

    seconds, got, errors = _run_threads(claimer, users)
    return _result(team, users, seconds, got, errors, label="Django pass")


def _baseline_pass(url: str, team, users) -> dict:
    import psycopg
    from psycopg.types.json import Jsonb

    teams = [team.pk]

    def claimer(user, barrier, mine: list[int]) -> None:
        with psycopg.connect(url) as conn:
            barrier.wait()
            while True:
                with conn.transaction():
                    row = conn.execute(BASELINE_SELECT, {"teams": teams}).fetchone()
                    if row is None:
                        return
                    lead_id, team_id = row
                    now = datetime.now(UTC)
                    params = {"user": user.pk, "now": now, "lead": lead_id}
                    if conn.execute(BASELINE_UPDATE, params).rowcount != 1:
                        continue
                    data = {
                        "from_user": None,
                        "from_team": team_id,
                        "to_user": user.pk,
                        "to_team": team_id,
                        "mode": "pool",
                        "rule": None,
                    }
                    conn.execute(BASELINE_INSERT, {**params, "data": Jsonb(data)})
                mine.append(lead_id)

    seconds, got, errors = _run_threads(claimer, users)
    return _result(team, users, seconds, got, errors, label="baseline pass")


def _result(team, users, seconds, got, errors, *, label: str) -> dict:
    from leads.models import Lead, LeadEvent

    problems = [f"{label}: {e}" for e in errors]
    claimed = [pk for pks in got.values() for pk in pks]
    pool = Lead.objects.filter(team=team).count()
    twice = [pk for pk, n in Counter(claimed).items() if n > 1]
    events = Counter(
        LeadEvent.objects.filter(kind="assignment", reason="claim").values_list(
            "lead_id", flat=True
        )
    )
    event_twice = [pk for pk, n in events.items() if n > 1]
    owners = dict(Lead.objects.filter(team=team).values_list("pk", "owner_id"))
    wrong_owner = [pk for user, pks in got.items() for pk in pks if owners.get(pk) != user]
    if twice or event_twice:
        problems.append(
            f"{label}: DOUBLE CLAIMS {len(twice)} by claimers, {len(event_twice)} by events"
        )
    if len(set(claimed)) != pool or sum(1 for o in owners.values() if o is None):
        problems.append(f"{label}: {len(set(claimed))} of {pool} leads claimed")
    if wrong_owner:
        problems.append(
            f"{label}: {len(wrong_owner)} leads owned by someone other than their claimer"
        )
    busiest = max(len(p) for p in got.values())
    quietest = min(len(p) for p in got.values())
    return {
        "rate": len(claimed) / seconds if seconds else 0.0,
        "seconds": seconds,
        "counts": {
            "pool leads": pool,
            "claimed": len(claimed),
            "distinct": len(set(claimed)),
            "claim events": sum(events.values()),
            "per claimer (min-max)": f"{quietest}-{busiest}",
        },
        "problems": problems,
    }


def _reset_pool(team) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_lead SET owner_id = NULL, assigned_at = NULL WHERE team_id = %s",
            [team.pk],
        )
        cursor.execute("DELETE FROM leads_leadevent WHERE kind = 'assignment' AND reason = 'claim'")
    with connection.cursor() as cursor:  # autocommit: the baseline starts without dead rows
        cursor.execute("VACUUM ANALYZE leads_lead")


if __name__ == "__main__":
    sys.exit(main())
