"""``python -m bench.sweep``: the SLA sweep (``sla.notify.sweep.sweep``) vs a raw
``UPDATE … RETURNING`` of the same due clocks, on PostgreSQL.

1. Fresh clocks: R running clocks (default 1,000,000 then 100,000; ``--smoke`` 20,000)
   of which D are due (default 1,000; ``--smoke`` 100): their warning was sent, their
   deadline passed a minute ago; every other clock is due tomorrow or later. One
   ``INSERT … SELECT generate_series`` writes them (1,000 leads, ``seq`` numbering a
   lead's clocks), then ``VACUUM ANALYZE``.
2. Sweep pass: ``sweep(now)`` — the real path beat's task runs: its transaction, the
   advisory lock, the return windows, the four steps' claims (each an UPDATE on its
   partial index), the recipients' lookups and the notifications' INSERT (D rows),
   the commit.
3. Baseline pass: in one transaction, the breach step's claim alone as raw SQL —
   ``UPDATE sla_clock SET breach_sent_at = now, breached_at = COALESCE(…) WHERE
   state = 'running' AND breach_sent_at IS NULL AND due_at IS NOT NULL AND due_at <=
   now RETURNING id, owner_id`` — and the commit.
4. One untimed pass of each side warms the caches. Before each pass the due clocks are
   reset (sent marks cleared, notifications deleted, vacuumed): ``--rounds`` (default
   5) of sweep, baseline, baseline, sweep …; each side's figure is its median (the
   verdict) and its best run (printed too: on a busy shared machine the best runs say
   more about the work itself). Goal: sweep ≤ 2 × baseline.
5. Nothing due: the median of 50 sweeps when no clock is due; goal under 5 ms.

Every pass is checked: D notifications, D clocks marked breached, none twice; a
difference is a hard failure (exit 1). Prints the baseline's SQL, the row counts, the
medians, the ratios and PASS or MISS. Database: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/smarketing_bench), created and migrated when missing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.__main__ import DEFAULT_URL, _ensure_database, _safe

GOAL = 2.0
IDLE_GOAL_MS = 5.0
LEADS = 1000

BASELINE_SQL = (
    "UPDATE sla_clock SET breach_sent_at = %(now)s, breached_at = COALESCE(breached_at, due_at)"
    " WHERE state = 'running' AND breach_sent_at IS NULL AND due_at IS NOT NULL"
    " AND due_at <= %(now)s RETURNING id, owner_id"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--running", type=int, nargs="+", default=[1_000_000, 100_000], help="running clocks"
    )
    parser.add_argument("--due", type=int, default=1_000, help="clocks due at the sweep")
    parser.add_argument("--rounds", type=int, default=5, help="passes of each side")
    parser.add_argument("--smoke", action="store_true", help="20,000 running, 100 due")
    args = parser.parse_args(argv)
    sizes = [20_000] if args.smoke else args.running
    due = 100 if args.smoke else args.due
    if min(*sizes, due, args.rounds) < 1 or due > min(sizes):
        parser.error("--running, --due and --rounds must be at least 1, --due ≤ --running")

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    problems: list[str] = []
    verdicts: list[bool] = []
    for running in sizes:
        print(
            f"\nsmarketing SLA sweep bench — {running:,} running clocks, {due:,} due,"
            f" {args.rounds} round(s), database {_safe(url)}"
        )
        ok, found = _one_size(running, due, args.rounds)
        verdicts.append(ok)
        problems += found
    for problem in problems:
        print(f"ERROR: {problem}")
    print(f"\noverall: {'PASS' if all(verdicts) else 'MISS'}")
    return 1 if problems else 0


def _one_size(running: int, due: int, rounds: int) -> tuple[bool, list[str]]:
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    owner = _setup(running, due, now)
    print(f"data: {_counts()} ({time.perf_counter() - started:.1f} s)")

    results: dict[str, list[dict]] = {"sweep": [], "baseline": []}
    for warm_up in (_sweep_pass, _baseline_pass):  # untimed: caches, plans, first writes
        _reset(now)
        warm_up(now, due)
    for round_ in range(rounds):
        for side in ("sweep", "baseline") if round_ % 2 == 0 else ("baseline", "sweep"):
            _reset(now)
            results[side].append(
                _sweep_pass(now, due) if side == "sweep" else _baseline_pass(now, due)
            )
    idle = _idle_pass(now)

    medians = {
        side: statistics.median(r["seconds"] for r in runs) for side, runs in results.items()
    }
    ratio = medians["sweep"] / medians["baseline"]
    best = {side: min(r["seconds"] for r in runs) for side, runs in results.items()}
    for side, label in (("sweep", "sweep(now)          "), ("baseline", "raw UPDATE RETURNING")):
        runs = ", ".join(f"{r['seconds'] * 1000:.1f}" for r in results[side])
        print(f"{label}: median {medians[side] * 1000:8.2f} ms  (runs: {runs} ms)")
        print(f"   rows after pass  : {results[side][-1]['counts']}")
    print("   baseline SQL     : BEGIN;")
    print(f"                      {BASELINE_SQL};")
    print("                      COMMIT;")
    print(f"   owner of the due clocks: user {owner}; now = {now.isoformat()}")
    verdict = ratio <= GOAL
    print(f"ratio sweep / raw   : {ratio:.2f}  (goal ≤ {GOAL}) — {'PASS' if verdict else 'MISS'}")
    print(
        f"   best runs        : {best['sweep'] * 1000:.1f} vs {best['baseline'] * 1000:.1f} ms"
        f" → {best['sweep'] / best['baseline']:.2f}"
    )
    idle_ok = idle * 1000 < IDLE_GOAL_MS
    print(
        f"nothing due         : median {idle * 1000:.2f} ms per sweep (goal < {IDLE_GOAL_MS} ms)"
        f" — {'PASS' if idle_ok else 'MISS'}"
    )
    problems = [p for runs in results.values() for run in runs for p in run["problems"]]
    return verdict and idle_ok, problems


def _setup(running: int, due: int, now: datetime) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from leads.models import Lead
    from leads.people.models import Team

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE sla_notification, sla_webhookdelivery, sla_clock, leads_activity,"
            " leads_leadevent, leads_lead, leads_account RESTART IDENTITY CASCADE"
        )
    team, _ = Team.objects.get_or_create(name="Bench SLA team", defaults={"kind": Team.Kind.SDR})
    owner, _ = get_user_model().objects.get_or_create(
        username="bench-sla-owner", defaults={"email": "bench-sla-owner@example.com"}
    )
    Lead.objects.bulk_create(
        [
            Lead(
                email=f"sla{i}@bench.example",
                email_normalised=f"sla{i}@bench.example",
                source_channel="website",
                source_system="bench-sla",
                owner=owner,
                team=team,
            )
            for i in range(LEADS)
        ]
    )
    first_lead = Lead.objects.order_by("pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        # n < due: warned, past due a minute ago; the others: due tomorrow and later
        cursor.execute(
            """
            INSERT INTO sla_clock (lead_id, term, seq, side, state, outcome, owner_id, team_id,
                started_at, warn_at, due_at, manager_at, director_at, target, unit, policy,
                calendar_revision, computed_at, warned_sent_at)
            SELECT %(lead)s + n %% %(leads)s, 'first_touch', n / %(leads)s + 1, 'sales',
                'running', '', %(owner)s, %(team)s,
                %(now)s - interval '4 hours' + CASE WHEN n < %(due)s THEN interval '0'
                    ELSE interval '1 day' + n * interval '1 second' END,
                %(now)s - interval '1 hour' + CASE WHEN n < %(due)s THEN interval '0'
                    ELSE interval '1 day' + n * interval '1 second' END,
                %(now)s - interval '1 minute' + CASE WHEN n < %(due)s THEN interval '0'
                    ELSE interval '1 day' + n * interval '1 second' END,
                %(now)s + interval '2 hours' + n * interval '1 second',
                %(now)s + interval '4 hours' + n * interval '1 second',
                interval '4 hours', 'working_hours', '', 0, %(now)s,
                CASE WHEN n < %(due)s THEN %(now)s - interval '1 hour' END
            FROM generate_series(0, %(running)s - 1) AS n
            """,
            {
                "lead": first_lead,
                "leads": LEADS,
                "owner": owner.pk,
                "team": team.pk,
                "now": now,
                "due": due,
                "running": running,
            },
        )
    _vacuum()
    return owner.pk


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE sla_clock")
        cursor.execute("VACUUM ANALYZE sla_notification")


def _reset(now: datetime) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sla_notification")
        cursor.execute(
            "UPDATE sla_clock SET breach_sent_at = NULL, breached_at = NULL"
            " WHERE breach_sent_at IS NOT NULL"
        )
    _vacuum()


def _counts() -> dict[str, int]:
    from sla.models import Clock, Notification

    return {
        "running": Clock.objects.filter(state="running").count(),
        "breached": Clock.objects.filter(breach_sent_at__isnull=False).count(),
        "notifications": Notification.objects.count(),
    }


def _check(side: str, due: int, claimed: int) -> tuple[dict, list[str]]:
    counts = _counts()
    problems = []
    if claimed != due or counts["breached"] != due:
        problems.append(f"{side}: {claimed} claimed, {counts['breached']} marked, expected {due}")
    if side == "sweep" and counts["notifications"] != due:
        problems.append(f"sweep: {counts['notifications']} notifications, expected {due}")
    return counts, problems


def _sweep_pass(now: datetime, due: int) -> dict:
    from sla.notify.sweep import sweep

    started = time.perf_counter()
    result = sweep(now=now)
    seconds = time.perf_counter() - started
    counts, problems = _check("sweep", due, result.get("breach", 0))
    return {"seconds": seconds, "counts": counts, "problems": problems}


def _baseline_pass(now: datetime, due: int) -> dict:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, {"now": now})
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    counts, problems = _check("baseline", due, len(rows))
    return {"seconds": seconds, "counts": counts, "problems": problems}


def _idle_pass(now: datetime) -> float:
    """Median seconds of a sweep with nothing due (after the last pass: all sent)."""
    from sla.notify.sweep import sweep

    sweep(now=now)  # whatever the last pass left is claimed now
    times = []
    for _ in range(50):
        started = time.perf_counter()
        result = sweep(now=now + timedelta(seconds=1))
        times.append(time.perf_counter() - started)
        assert result.get("notifications", 0) == 0, result
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
