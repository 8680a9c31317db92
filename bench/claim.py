"""``python -m bench.claim``: 16 concurrent claimers emptying a team pool through
``leads.queue.claim.claim_next`` vs the same statement through raw psycopg, on PostgreSQL.

1. Fresh tables; one SDR team in pool mode, 16 SDRs, N pool MQLs (default 10,000,
   ``--smoke`` 1,000) with mixed quadrants and scores.
2. Django pass: 16 claimer threads (``--mode processes``: forked processes), each
   with its own database connection, call ``claim_next(user=…)`` until the pool is
   empty — the real path the API and the queue page call, with the project's
   settings: ``transaction.atomic``, the one-statement claim (``leads.queue.claim.CLAIM_SQL``
   on a server-binding cursor, prepared by psycopg after its 5th run on a connection:
   the user's SDR teams, ``SELECT … FOR UPDATE SKIP LOCKED`` on the pool index, the
   conditional UPDATE, the assignment event), the lead and event instances, the
   assignment hooks.
3. Baseline pass: 16 claimers of the same kind, one psycopg connection each with
   psycopg's defaults (so the statement is prepared after its 5th run too), run
   ``BEGIN; CLAIM_SQL; COMMIT`` until the pool is empty.
4. Same run, same pool: before each pass the pool is reset (owners cleared, claim
   events deleted, vacuumed and analysed). ``--rounds 2`` (the default) runs Django,
   baseline, baseline, Django, so a load change on a shared machine weighs on both
   sides alike; each side's rate is its claims over its seconds.
5. Every pass is checked: every lead claimed exactly once, one event per lead, the
   owner in the row = the claimer who got it. A double claim (or a lost lead) is the
   hard gate: exit 1. Prints both rates, the ratio against the goal (0.5; "MISS" when
   missed), the baseline's SQL and the row counts.

Threads by default: on the 2-core development machines 16 claimer processes (plus the
16 server backends) lower both rates by a third or more, and the GIL no longer limits
the Django side much (a claim is one prepared statement). The settings are the
environment's: with the development default DEBUG=true, Django also logs every query.
Database: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/smarketing_bench), created and migrated when missing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from bench.__main__ import DEFAULT_URL, _ensure_database, _safe

GOAL = 0.5
CLAIMERS = 16
QUADRANTS = ("hot", "sales_check", "nurture", "drop", "")
INDENT = " " * 22


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.claim", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--leads", type=int, default=10_000, help="pool size")
    parser.add_argument("--smoke", action="store_true", help="a quick run with 1,000 leads")
    parser.add_argument("--claimers", type=int, default=CLAIMERS, help="concurrent claimers")
    parser.add_argument(
        "--mode",
        choices=("threads", "processes"),
        default="threads",
        help="how the claimers run, the same for both passes (default: threads)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="1: Django then baseline; 2 (default): Django, baseline, baseline, Django; …",
    )
    args = parser.parse_args(argv)
    if min(args.leads, args.claimers, args.rounds) < 1:
        parser.error("--leads, --claimers and --rounds must be at least 1")
    count = 1_000 if args.smoke else args.leads

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from leads.queue.claim import CLAIM_SQL

    call_command("migrate", verbosity=0)
    print(
        f"smarketing claim bench — a {count:,}-lead pool, {args.claimers} claimer "
        f"{args.mode}, {args.rounds} round(s), database {_safe(url)}"
    )
    threshold = settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold")
    print(
        f"Django: DEBUG {'on (every query logged)' if settings.DEBUG else 'off'}, claim "
        + (f"prepared after {threshold} runs" if threshold is not None else "never prepared")
        + " (DATABASE_PREPARED_STATEMENTS); baseline: psycopg's defaults (prepared after 5)"
    )
    team, users = _setup(count, args.claimers)

    passes = {
        "django": lambda: _django_pass(team, users, mode=args.mode),
        "baseline": lambda: _baseline_pass(url, team, users, mode=args.mode),
    }
    results: dict[str, list[dict]] = {"django": [], "baseline": []}
    for round_ in range(args.rounds):
        for side in ("django", "baseline") if round_ % 2 == 0 else ("baseline", "django"):
            _reset_pool(team)
            results[side].append(passes[side]())

    rates = {side: _rate(runs) for side, runs in results.items()}
    ratio = rates["django"] / rates["baseline"] if rates["baseline"] else 0.0
    print()
    for side, label in (("django", "claim_next (Django) "), ("baseline", "raw psycopg baseline")):
        seconds = ", ".join(f"{r['seconds']:.2f} s" for r in results[side])
        print(f"{label}: {rates[side]:>9,.0f} claims/s  ({seconds})")
        for run in results[side]:
            print(f"   rows after pass  : {run['counts']}")
    print(
        f"   baseline SQL     : per claim, each claimer ({args.mode}) on its own connection,"
        " %(user)s = the claimer, %(now)s = datetime.now(UTC):"
    )
    print(f"{INDENT}BEGIN;")
    for line in f"{CLAIM_SQL.strip()};".splitlines():
        print(f"{INDENT}{line}")
    print(f"{INDENT}COMMIT;")
    verdict = "PASS" if ratio >= GOAL else "MISS"
    print(f"ratio Django / raw  : {ratio:.3f}  (goal {GOAL}) — {verdict}")
    problems = [p for runs in results.values() for run in runs for p in run["problems"]]
    for problem in problems:
        print(f"ERROR: {problem}")
    if not problems:
        print(f"double claims: 0 in all {2 * args.rounds} passes (hard gate met)")
    return 1 if problems else 0


def _rate(runs: list[dict]) -> float:
    seconds = sum(r["seconds"] for r in runs)
    return sum(r["counts"]["claimed"] for r in runs) / seconds if seconds else 0.0


def _setup(count: int, claimers: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from leads.models import Lead
    from leads.people.models import Team

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
    for i in range(claimers):
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
    return team, users


# A claimer: (user, wait_for_start) -> the ids of the leads it claimed, in order. It
# connects, calls wait_for_start() (the clock starts when all have), claims until the
# pool is empty, disconnects.
Claimer = Callable[[object, Callable[[], None]], list[int]]


def _run_claimers(
    claimer: Claimer, users, *, mode: str
) -> tuple[float, dict[int, list[int]], list[str]]:
    """Run one claimer per user concurrently; the seconds from the common start to the
    last claimer's end, what each claimed, the errors."""
    if mode == "threads":
        return _run_in_threads(claimer, users)
    return _run_in_processes(claimer, users)


def _run_in_threads(claimer: Claimer, users):
    got: dict[int, list[int]] = {u.pk: [] for u in users}
    errors: list[str] = []
    barrier = threading.Barrier(len(users) + 1)

    def run(user):
        try:
            got[user.pk] = claimer(user, barrier.wait)
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


def _run_in_processes(claimer: Claimer, users):
    """Forked after Django's setup (no connection open: each child opens its own).
    A child reports ("done", user, ids, end time) or ("error", user, text) on a queue;
    ``time.monotonic`` is one clock for all processes on Linux."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(users) + 1)
    results = context.SimpleQueue()

    def run(user):
        try:
            mine = claimer(user, barrier.wait)
            results.put(("done", user.pk, mine, time.monotonic()))
        except BaseException as exc:
            barrier.abort()
            results.put(("error", user.pk, f"{type(exc).__name__}: {exc}", 0.0))
            traceback.print_exc()

    children = [context.Process(target=run, args=(u,)) for u in users]
    for child in children:
        child.start()
    barrier.wait(timeout=120)
    started = time.monotonic()
    got: dict[int, list[int]] = {u.pk: [] for u in users}
    errors: list[str] = []
    ended = started
    for _ in children:
        kind, user_pk, payload, at = results.get()
        if kind == "done":
            got[user_pk], ended = payload, max(ended, at)
        else:
            errors.append(payload)
    for child in children:
        child.join()
    return ended - started, got, errors


def _django_pass(team, users, *, mode: str) -> dict:
    from django.db import connection

    from leads.queue.claim import claim_next

    def claimer(user, wait_for_start) -> list[int]:
        mine: list[int] = []
        try:
            connection.ensure_connection()
            wait_for_start()
            while (lead := claim_next(user=user)) is not None:
                mine.append(lead.pk)
        finally:
            connection.close()
        return mine

    seconds, got, errors = _run_claimers(claimer, users, mode=mode)
    return _result(team, users, seconds, got, errors, label="Django pass")


def _baseline_pass(url: str, team, users, *, mode: str) -> dict:
    import psycopg

    from leads.queue.claim import CLAIM_SQL

    def claimer(user, wait_for_start) -> list[int]:
        mine: list[int] = []
        with psycopg.connect(url) as conn:
            wait_for_start()
            while True:
                with conn.transaction():
                    params = {"user": user.pk, "now": datetime.now(UTC)}
                    row = conn.execute(CLAIM_SQL, params).fetchone()
                if row is None:
                    return mine
                mine.append(row[0])

    seconds, got, errors = _run_claimers(claimer, users, mode=mode)
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
    """Every lead of the pool unassigned, no claim events, the table vacuumed and
    analysed: the same starting state for both passes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_lead SET owner_id = NULL, assigned_at = NULL WHERE team_id = %s",
            [team.pk],
        )
        cursor.execute("DELETE FROM leads_leadevent WHERE kind = 'assignment' AND reason = 'claim'")
    with connection.cursor() as cursor:  # autocommit (VACUUM cannot run in a transaction)
        cursor.execute("VACUUM ANALYZE leads_lead")


if __name__ == "__main__":
    sys.exit(main())
