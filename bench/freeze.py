"""``python -m bench.freeze``: freezing a month's SLA compliance report
(``sla.compliance.reports.freeze``) vs a hand-written SQL aggregation of the same figures.

1. Fresh tables on PostgreSQL (``BENCH_DATABASE_URL``): 40 SDRs in 4 teams, 1,000,000
   leads (``--leads``; ``--smoke`` 10,000) received evenly over the 12 months ending with
   the frozen month (the last closed month in the default calendar's zone, so it holds
   about 1/12 of them), and about 5 lead events each — intake's ``created``, the MQL
   stage change with its ``{"grade": …}`` (ungraded for 1 lead in 50: the lead's grade
   counts), the assignment, then by the lead's number: mql→sal (95 %), a return with a
   reason (5 %; 1 in 10 without) and the lead re-sent as an MQL 0–4 days later (counted
   once, in the month it first became an MQL), 2–7 touches then a give-up by the SDR
   (sal→disqualified or nurture, 10 %), one touch (45 %) or none yet (40 %). The clocks
   match those shapes — acceptance (assignment → sal or return, 4 h), first touch
   (sal → first touch, 4 h), status update (sal → a touch, 5 days), SQL handoff (1 in 9
   touched leads, 24 h), return fix (return → re-sent, 72 h), dispute settle (1 in 5
   returns, 72 h) — each stopped ("met" or "breached": ``breached_at`` its due time,
   ``elapsed`` stop − start) or still running (breached once its due time passed). Every
   event was recorded a minute after it happened and before the watermark; ``LeadSync``
   rows match the events and the catch-up cursor is current, so ``sync.catch_up()`` (the
   first step of a freeze, measured with it) finds nothing to recompute. Plain
   ``INSERT … SELECT generate_series`` from a per-lead plan, then ``VACUUM ANALYZE``.
   ``--reuse`` keeps the data of an earlier run of the same size.
2. Freeze pass: ``freeze(month, reason=on_demand, now=…, watermark=…)`` — the whole real
   path: the catch-up pass, the month's figures (queries, Python aggregation), the
   report's row. Its reports are deleted between passes.
3. Baseline pass: in one transaction, one hand-written SQL statement puts every fact of
   every term in a temporary table (the first-MQL-in-month rule, the clocks' stored
   ``elapsed``, the leads' stored ``delivery_seconds``), then one ``GROUPING SETS``
   aggregation gives count / kept / p50 / p90 (``percentile_disc``) by total, team,
   person, source, campaign and source system, and one more the lead and clock ids
   behind each missed number.
4. Both sides run with PostgreSQL's JIT off (``--jit``: the server's setting): compiling
   the baseline's one large statement costs it seconds that say nothing of the work
   (with jit on, the baseline was 4 s slower at full size, the freeze's smaller
   statements less so), so the default compares the work itself.
5. One untimed pass of each side first; then ``--rounds`` (default 3) of freeze,
   baseline, baseline, freeze …; each side's figure is its median (the verdict), its
   best run printed too (the machine is shared). Goal: freeze ≤ 2 × baseline.

Every pass is checked: the baseline's figures (every term's count / of / p50 / p90 /
leads / clocks and every breakdown row) must equal the frozen report's, else exit 1.
Prints the data sizes, the frozen month's facts per term, the baseline's SQL, medians,
best runs, the ratio and PASS or MISS; a miss (or ``--profile``) prints where the freeze
spends its time: one pass with its steps timed (wall clock), then one under cProfile with
its slowest SQL statements and the top 15 functions.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict

from bench.__main__ import DEFAULT_URL, _ensure_database, _safe

GOAL = 2.0
SDRS, TEAMS = 40, 4
MARKER = "bench.freeze"  # a SyncCursor row: when the reusable data was generated
RELEVANT = "('stage_change', 'assignment', 'touch', 'note', 'qualification', 'return', 'dispute')"

PLAN_SQL = """
CREATE UNLOGGED TABLE bench_freeze_plan AS
SELECT n, b, owner, team, rcv, t, rf,
    rcv + interval '10 minutes' AS mql1,
    rcv + interval '20 minutes' AS asg,
    rcv + interval '20 minutes' + acc AS sal,
    rcv + interval '20 minutes' + acc + ft AS touch1
FROM (
    SELECT n, n %% 20 AS b,
        (%(users)s::int[])[1 + (n * 7 + n / 20) %% %(sdrs)s] AS owner,
        (%(teams)s::bigint[])[1 + (n * 7 + n / 20) %% %(sdrs)s / %(per_team)s] AS team,
        %(start)s::timestamptz
            + %(span)s::interval * (((n::bigint * 7919) %% %(leads)s)::float8 / %(leads)s) AS rcv,
        ((n * 7) %% 300) * interval '1 minute' AS acc,
        ((n * 13) %% 360) * interval '1 minute' AS ft,
        ((n * 11) %% 96) * interval '1 hour' AS rf,
        2 + (n / 20) %% 6 AS t
    FROM generate_series(1, %(leads)s) AS n
) AS s
"""

LEADS_SQL = """
INSERT INTO leads_lead (id, created_at, updated_at, name, email, email_normalised, phone,
    title, seniority, wechat_id, language, company_name, source_channel, campaign,
    source_system, created_at_source, received_at, stage, stage_changed_at,
    do_not_contact, consent_source, owner_id, mql_at, score_breakdown, score_grade,
    score_quadrant, already_customer, assigned_at, team_id, delivery_seconds)
SELECT n, rcv, rcv, 'Lead ' || n,
    CASE WHEN n %% 17 = 0 THEN '' ELSE 'l' || n || '@bench.example' END,
    CASE WHEN n %% 17 = 0 THEN NULL ELSE 'l' || n || '@bench.example' END,
    CASE WHEN n %% 3 = 0 AND n %% 17 <> 0 THEN NULL ELSE '+8613' || lpad(n::text, 9, '0') END,
    CASE WHEN n %% 13 = 0 THEN '' ELSE 'IT manager' END, 'unknown', '', '',
    CASE WHEN n %% 11 = 0 THEN '' ELSE 'Company ' || n %% 5000 END,
    (ARRAY['website', 'content', 'event', 'wechat', 'referral', 'outbound', 'paid',
           'partner', 'other'])[1 + n %% 9],
    CASE WHEN n %% 7 = 0 THEN '' ELSE 'campaign-' || n %% 24 END,
    (ARRAY['crm', 'webform', 'events-app', 'import'])[1 + n %% 4],
    rcv - make_interval(secs => delivery), rcv,
    CASE WHEN b = 0 THEN 'mql' WHEN b <= 2 THEN 'disqualified' ELSE 'sal' END, rcv,
    false, '', owner, mql1, '{}', (ARRAY['A', 'B', 'C', 'D'])[1 + (n / 7) %% 4], '', false,
    asg, team, CASE WHEN n %% 10 = 9 THEN NULL ELSE delivery END
FROM (
    SELECT p.*, (((n * 37) %% 1000) ^ 2 / 1000000.0 * 14400)::int AS delivery
    FROM bench_freeze_plan AS p
) AS s
"""

# k numbers a lead's events; its bucket b (its number modulo 20) says which follow.
EVENTS_SQL = """
INSERT INTO leads_leadevent (lead_id, kind, from_stage, to_stage, actor_system,
    actor_user_id, reason, data, at, recorded_at)
SELECT n,
    CASE step WHEN 'created' THEN 'created' WHEN 'assign' THEN 'assignment'
        WHEN 'return' THEN 'return' WHEN 'touch' THEN 'touch' ELSE 'stage_change' END,
    CASE step WHEN 'mql' THEN 'inquiry' WHEN 'sal' THEN 'mql' WHEN 'return' THEN 'mql'
        WHEN 'resend' THEN 'returned' WHEN 'giveup' THEN 'sal' END,
    CASE step WHEN 'mql' THEN 'mql' WHEN 'sal' THEN 'sal' WHEN 'return' THEN 'returned'
        WHEN 'resend' THEN 'mql'
        WHEN 'giveup' THEN CASE WHEN n %% 3 = 0 THEN 'nurture' ELSE 'disqualified' END END,
    CASE step WHEN 'created' THEN 'intake' WHEN 'mql' THEN 'scoring' WHEN 'resend' THEN 'intake'
        WHEN 'assign' THEN 'routing' ELSE '' END,
    CASE WHEN step IN ('sal', 'return', 'touch', 'giveup') THEN owner END,
    CASE WHEN step = 'return' AND n %% 200 <> 0 THEN 'not_icp' ELSE '' END,
    CASE WHEN step IN ('mql', 'resend') AND n %% 50 <> 7
            THEN jsonb_build_object('grade', (ARRAY['A', 'B', 'B', 'C', 'D'])[1 + n %% 5])
        WHEN step = 'assign' THEN jsonb_build_object('owner', owner, 'team', team)
        WHEN step = 'touch' THEN '{"channel": "call"}'::jsonb
        ELSE '{}'::jsonb END,
    LEAST(at, %(cap)s), LEAST(at, %(cap)s) + interval '1 minute'
FROM (
    SELECT p.n, p.owner, p.team, k,
        CASE WHEN k = 0 THEN 'created' WHEN k = 1 THEN 'mql' WHEN k = 2 THEN 'assign'
            WHEN k = 3 AND p.b = 0 THEN 'return' WHEN k = 3 THEN 'sal'
            WHEN p.b = 0 THEN 'resend' WHEN p.b <= 2 AND k = 4 + p.t THEN 'giveup'
            ELSE 'touch' END AS step,
        CASE WHEN k = 0 THEN p.rcv WHEN k = 1 THEN p.mql1 WHEN k = 2 THEN p.asg
            WHEN k = 3 THEN p.sal WHEN p.b = 0 THEN p.sal + p.rf
            ELSE p.touch1 + (k - 4) * interval '2 hours' END AS at
    FROM bench_freeze_plan AS p
    CROSS JOIN LATERAL generate_series(0, CASE WHEN p.b = 0 THEN 4 WHEN p.b <= 2 THEN 4 + p.t
        WHEN p.b <= 10 THEN 3 ELSE 4 END) AS k
) AS e
"""

CLOCKS_SQL = """
INSERT INTO sla_clock (lead_id, term, seq, side, state, outcome, owner_id, team_id,
    started_at, warn_at, due_at, stopped_at, breached_at, elapsed, target, unit, policy,
    calendar_id, calendar_revision, terms_id, computed_at, breach_sent_at)
SELECT n, term, 1, side,
    CASE WHEN stopped THEN 'stopped' ELSE 'running' END,
    CASE WHEN NOT stopped THEN '' WHEN late THEN 'breached' ELSE 'met' END,
    owner, team, start, start + (due - start) * 0.75, due,
    CASE WHEN stopped THEN stop END, CASE WHEN late THEN due END,
    CASE WHEN stopped THEN stop - start END, due - start, 'plain_minutes', '',
    %(calendar)s, 0, %(terms)s, %(now)s, CASE WHEN late AND NOT stopped THEN due END
FROM (
    SELECT c.*, (stop IS NOT NULL AND stop <= %(now)s) AS stopped,
        due < LEAST(COALESCE(stop, 'infinity'), %(now)s) AS late
    FROM (
        SELECT n, owner, team, 'acceptance' AS term, 'sales' AS side, asg AS start,
            asg + interval '4 hours' AS due, sal AS stop
        FROM bench_freeze_plan
        UNION ALL
        SELECT n, owner, team, 'first_touch', 'sales', sal, sal + interval '4 hours',
            CASE WHEN b <= 2 OR b >= 11 THEN touch1 END
        FROM bench_freeze_plan WHERE b >= 1
        UNION ALL
        SELECT n, owner, team, 'status_update', 'sales', sal, sal + interval '5 days',
            CASE WHEN b <= 2 OR b >= 11 THEN touch1 END
        FROM bench_freeze_plan WHERE b >= 1
        UNION ALL
        SELECT n, owner, team, 'sql_handoff', 'sales', touch1, touch1 + interval '24 hours',
            touch1 + ((n * 17) %% 36) * interval '1 hour'
        FROM bench_freeze_plan WHERE b >= 11 AND (n / 20) %% 9 = 0
        UNION ALL
        SELECT n, owner, team, 'return_fix', 'marketing', sal, sal + interval '72 hours',
            sal + rf
        FROM bench_freeze_plan WHERE b = 0
        UNION ALL
        SELECT n, owner, team, 'dispute_settle', 'director', sal + interval '1 hour',
            sal + interval '73 hours',
            sal + interval '1 hour' + ((n * 3) %% 120) * interval '1 hour'
        FROM bench_freeze_plan WHERE b = 0 AND (n / 20) %% 5 = 0
    ) AS c
    WHERE c.start <= %(now)s
) AS x
"""

SYNC_SQL = f"""
INSERT INTO sla_leadsync (lead_id, events_seen, last_event_id, synced_at)
SELECT lead_id, count(*), max(id), %(now)s FROM leads_leadevent
WHERE kind IN {RELEVANT} GROUP BY lead_id
"""

# ------------------------------------------------------------------ the baseline's SQL

FIRST_TEAM = """LEFT JOIN LATERAL (SELECT c.team_id FROM sla_clock c
        WHERE c.lead_id = {lead} AND c.term = 'acceptance' ORDER BY c.seq LIMIT 1) ft ON true"""
COMPLETE = {
    "company": "(l.company_name <> '' OR l.account_id IS NOT NULL)",
    "title": "l.title <> ''",
    "phone": "(l.phone IS NOT NULL AND l.phone <> '')",
    "email": "l.email <> ''",
}
COMPLETE["contact"] = f"({COMPLETE['phone']} OR {COMPLETE['email']})"
CLOCK_TERMS = {
    "return_fix": "returns_fixed_in_time",
    "acceptance": "accepted_in_time",
    "first_touch": "first_touch_in_time",
    "status_update": "status_updates_kept",
    "sql_handoff": "sql_handoff_in_time",
    "dispute_settle": "feedback_delivered",
}
IN_MONTH = "{0} >= %(start)s AND {0} < %(end)s"


def facts_sql(complete_fields: list[str]) -> str:
    complete = " AND ".join(COMPLETE[field] for field in complete_fields) or "true"
    terms = ", ".join(f"'{term}'" for term in CLOCK_TERMS)
    names = " ".join(f"WHEN '{term}' THEN '{name}'" for term, name in CLOCK_TERMS.items())
    return f"""CREATE TEMP TABLE bench_facts ON COMMIT DROP AS
WITH later AS (  -- leads with clock events recorded after the watermark (replayed: none here)
    SELECT DISTINCT lead_id FROM leads_leadevent
    WHERE kind IN {RELEVANT} AND recorded_at > %(watermark)s
), mql AS (  -- a lead's first MQL event ever, when it falls in the month
    SELECT e.lead_id, e.data FROM leads_leadevent e
    WHERE e.kind = 'stage_change' AND e.to_stage = 'mql' AND {IN_MONTH.format("e.at")}
      AND e.recorded_at <= %(watermark)s
      AND NOT EXISTS (SELECT 1 FROM leads_leadevent p
          WHERE p.lead_id = e.lead_id AND p.kind = 'stage_change' AND p.to_stage = 'mql'
            AND p.recorded_at <= %(watermark)s AND (p.at < e.at OR (p.at = e.at AND p.id < e.id)))
), mql_facts AS (
    SELECT m.lead_id, ft.team_id, l.source_channel, l.campaign,
        COALESCE(NULLIF(m.data ->> 'grade', ''), l.score_grade) = ANY(%(grades)s) AS icp,
        {complete} AS complete,
        (l.campaign <> '' AND l.source_channel <> 'other') AS tagged
    FROM mql m JOIN leads_lead l ON l.id = m.lead_id
    {FIRST_TEAM.format(lead="m.lead_id")}
), clocks AS (  -- a clock counts in the month it breached in, else in the month it stopped
    SELECT c.id, c.lead_id, c.term, c.owner_id, c.team_id, c.state, c.stopped_at, c.elapsed,
        COALESCE(c.breached_at, CASE WHEN c.state = 'running' AND c.due_at <= %(as_of)s
            THEN c.due_at END) AS breach
    FROM sla_clock c
    WHERE c.term IN ({terms})
      AND ({IN_MONTH.format("c.breached_at")} OR (c.breached_at IS NULL
           AND ({IN_MONTH.format("c.due_at")} OR {IN_MONTH.format("c.stopped_at")})))
      AND c.lead_id NOT IN (SELECT lead_id FROM later)
)
SELECT 'mql_volume' AS term, lead_id AS lead, NULL::bigint AS clock, true AS ok,
    team_id::text AS team, NULL::text AS person, source_channel::text AS source,
    campaign::text AS campaign, NULL::text AS source_system, NULL::float8 AS seconds
FROM mql_facts
UNION ALL SELECT 'icp_share', lead_id, NULL, icp, team_id::text, NULL, source_channel,
    campaign, NULL, NULL FROM mql_facts
UNION ALL SELECT 'completeness', lead_id, NULL, complete, team_id::text, NULL,
    source_channel, campaign, NULL, NULL FROM mql_facts
UNION ALL SELECT 'campaign_tagged', lead_id, NULL, tagged, team_id::text, NULL,
    source_channel, campaign, NULL, NULL FROM mql_facts
UNION ALL SELECT 'delivery_hours', id, NULL, delivery_seconds <= %(delivery_limit)s, NULL,
    NULL, source_channel, NULL, source_system, delivery_seconds
FROM leads_lead
WHERE {IN_MONTH.format("received_at")} AND received_at <= %(watermark)s
  AND delivery_seconds IS NOT NULL
UNION ALL SELECT CASE c.term {names} END, c.lead_id, c.id, c.breach IS NULL,
    c.team_id::text, c.owner_id::text, l.source_channel, l.campaign, NULL,
    CASE WHEN c.term = 'first_touch' AND c.state = 'stopped'
        THEN extract(epoch FROM c.elapsed)::float8 END
FROM clocks c LEFT JOIN LATERAL (SELECT source_channel, campaign FROM leads_lead
        WHERE c.term = 'return_fix' AND id = c.lead_id LIMIT 1) l ON true
WHERE CASE WHEN c.breach IS NOT NULL THEN {IN_MONTH.format("c.breach")}
    ELSE c.state = 'stopped' AND {IN_MONTH.format("c.stopped_at")} END
UNION ALL SELECT 'attempts_before_giving_up', g.lead_id, NULL,
    (SELECT count(*) FROM leads_leadevent t WHERE t.lead_id = g.lead_id AND t.kind = 'touch'
        AND t.at <= g.at AND t.recorded_at <= %(watermark)s) >= %(min_attempts)s,
    ft.team_id::text, g.actor_user_id::text, NULL, NULL, NULL, NULL
FROM leads_leadevent g {FIRST_TEAM.format(lead="g.lead_id")}
WHERE g.kind = 'stage_change' AND g.from_stage IN ('mql', 'sal')
  AND g.to_stage IN ('disqualified', 'nurture') AND g.actor_user_id IS NOT NULL
  AND {IN_MONTH.format("g.at")} AND g.recorded_at <= %(watermark)s
UNION ALL SELECT 'feedback_delivered', r.lead_id, NULL, r.reason <> '', ft.team_id::text,
    r.actor_user_id::text, NULL, NULL, NULL, NULL
FROM leads_leadevent r {FIRST_TEAM.format(lead="r.lead_id")}
WHERE r.kind = 'return' AND {IN_MONTH.format("r.at")} AND r.recorded_at <= %(watermark)s"""


AGGREGATE_SQL = """SELECT term, GROUPING(team, person, source, campaign, source_system),
    team, person, source, campaign, source_system, count(*), count(*) FILTER (WHERE ok),
    percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds),
    percentile_disc(0.9) WITHIN GROUP (ORDER BY seconds)
FROM bench_facts
GROUP BY GROUPING SETS ((term), (term, team), (term, person), (term, source),
    (term, campaign), (term, source_system))"""

MISSED_SQL = """SELECT term, array_agg(DISTINCT lead ORDER BY lead) FILTER (WHERE NOT ok),
    array_agg(DISTINCT clock ORDER BY clock) FILTER (WHERE NOT ok AND clock IS NOT NULL)
FROM bench_facts GROUP BY term"""

# GROUPING(team, person, source, campaign, source_system): the bit left clear says which
DIMENSIONS = {0b01111: "team", 0b10111: "person", 0b11011: "source", 0b11101: "campaign",
              0b11110: "source_system", 0b11111: ""}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.freeze", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads (≈5 events each)")
    parser.add_argument("--rounds", type=int, default=3, help="passes of each side")
    parser.add_argument("--smoke", action="store_true", help="10,000 leads, ≈50,000 events")
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's data")
    parser.add_argument("--profile", action="store_true", help="profile the freeze even on a pass")
    parser.add_argument(
        "--jit",
        action="store_true",
        help="keep the server's jit setting (default: SET jit = off for both sides)",
    )
    args = parser.parse_args(argv)
    leads = 10_000 if args.smoke else args.leads
    if min(leads, args.rounds) < 1 or leads < SDRS:
        parser.error(f"--leads must be at least {SDRS}, --rounds at least 1")

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    from sla.compliance import figures
    from sla.scorecard import add_months

    with connection.cursor() as cursor:
        if not args.jit:
            cursor.execute("SET jit = off")
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    source = "the server's setting" if args.jit else "SET jit = off; --jit keeps the server's"
    print(
        f"smarketing freeze bench — {leads:,} leads, {args.rounds} round(s), database {_safe(url)},"
        f" PostgreSQL jit {jit} for both sides ({source})"
    )
    started = time.perf_counter()
    generated = _reused(leads) if args.reuse else None
    if generated is None:
        generated = _generate(leads)
        print(f"data generated in {time.perf_counter() - started:.1f} s")
    else:
        print(f"data of {generated:%Y-%m-%d %H:%M} UTC reused")
    month = add_months(figures.month_of_now(generated), -1)
    print(f"data: {_sizes()}")
    params = _parameters(month, generated)
    print(
        f"frozen month {month:%Y-%m} ({figures.zone()}: {params['start']:%Y-%m-%d %H:%M} →"
        f" {params['end']:%Y-%m-%d %H:%M} UTC), watermark {generated:%Y-%m-%d %H:%M:%S} UTC"
    )

    problems: list[str] = []
    results: dict[str, list[float]] = {"freeze": [], "baseline": []}
    data = _freeze_pass(month, generated, problems)[1]  # untimed: caches, plans
    expected = _baseline_pass(params)[1]
    problems += _compare(data, expected, "warm-up")
    for round_ in range(args.rounds):
        for side in ("freeze", "baseline") if round_ % 2 == 0 else ("baseline", "freeze"):
            if side == "freeze":
                seconds, data = _freeze_pass(month, generated, problems)
                problems += _compare(data, expected, f"freeze round {round_ + 1}")
            else:
                seconds, again = _baseline_pass(params)
                problems += _compare(again, expected, f"baseline round {round_ + 1}")
            results[side].append(seconds)

    _print_month(expected)
    print("baseline SQL (one transaction):")
    for sql in (facts_sql(params["complete_fields"]), AGGREGATE_SQL, MISSED_SQL):
        print("    " + sql.replace("\n", "\n    ") + ";")
    printable = {k: v for k, v in params.items() if k not in ("start", "end")}
    print(f"    -- with {printable}")
    medians = {side: statistics.median(runs) for side, runs in results.items()}
    best = {side: min(runs) for side, runs in results.items()}
    for side, label in (("freeze", "freeze(month)       "), ("baseline", "hand-written SQL    ")):
        runs = ", ".join(f"{s:.2f}" for s in results[side])
        print(f"{label}: median {medians[side]:7.2f} s  (runs: {runs} s)")
    total, facts, groups, missed = min(BASELINE_PARTS)
    print(
        f"   baseline's best run: {total:.2f} s = facts into the temporary table {facts:.2f} s"
        f" + GROUPING SETS {groups:.2f} s + missed ids {missed:.2f} s (and the commit)"
    )
    ratio = medians["freeze"] / medians["baseline"]
    verdict = ratio <= GOAL
    print(f"ratio freeze / SQL  : {ratio:.2f}  (goal ≤ {GOAL}) — {'PASS' if verdict else 'MISS'}")
    print(
        f"   best runs        : {best['freeze']:.2f} vs {best['baseline']:.2f} s"
        f" → {best['freeze'] / best['baseline']:.2f}"
    )
    if (not verdict and not args.smoke) or args.profile:
        print(f"\n{'MISS — profile' if not verdict else 'Profile'} of one freeze:")
        print(_profile(month, generated))
    for problem in problems[:20]:
        print(f"ERROR: {problem}")
    if len(problems) > 20:
        print(f"ERROR: … and {len(problems) - 20} more differences")
    return 1 if problems else 0


# ---------------------------------------------------------------------------- data


def _reused(leads: int) -> dt.datetime | None:
    from leads.models import Lead
    from sla.models import SyncCursor

    marker = SyncCursor.objects.filter(name=MARKER).first()
    if marker is None or marker.recorded_at is None or Lead.objects.count() != leads:
        return None
    return marker.recorded_at


def _generate(leads: int) -> dt.datetime:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from leads.people.models import Team
    from sla.calendars.services import default_calendar
    from sla.compliance import figures
    from sla.models import SyncCursor
    from sla.policies.services import terms_in_force
    from sla.scorecard import add_months, month_bounds

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE sla_compliancereport, sla_notification, sla_webhookdelivery, sla_clock,"
            " sla_leadsync, leads_activity, leads_leadevent, leads_lead, leads_account"
            " RESTART IDENTITY CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_freeze_plan")
    now = timezone.now().replace(microsecond=0)
    month = add_months(figures.month_of_now(now), -1)
    zone = figures.zone()
    start = month_bounds(add_months(month, -11), zone)[0]
    end = month_bounds(month, zone)[1]
    teams = [
        Team.objects.get_or_create(name=f"Bench SDR team {i}", defaults={"kind": Team.Kind.SDR})[0]
        for i in range(1, TEAMS + 1)
    ]
    users = [
        get_user_model().objects.get_or_create(
            username=f"bench-sdr-{i:02}", defaults={"email": f"bench-sdr-{i:02}@example.com"}
        )[0]
        for i in range(1, SDRS + 1)
    ]
    version = terms_in_force(end)
    params = {
        "users": [u.pk for u in users],
        "teams": [t.pk for t in teams],
        "sdrs": SDRS,
        "per_team": SDRS // TEAMS,
        "start": start,
        "span": end - start,
        "leads": leads,
        "cap": now - dt.timedelta(minutes=10),
        "now": now,
        "calendar": default_calendar().pk,
        "terms": version.pk if version else None,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # consistent by construction: the foreign keys' triggers are skipped while loading
        cursor.execute("SET LOCAL session_replication_role = replica")
        for label, sql in (
            ("plan", PLAN_SQL),
            ("leads", LEADS_SQL),
            ("events", EVENTS_SQL),
            ("clocks", CLOCKS_SQL),
            ("sync", SYNC_SQL),
        ):
            begun = time.perf_counter()
            cursor.execute(sql, params)
            print(
                f"   {label:<7}: {cursor.rowcount:>10,} rows in {time.perf_counter() - begun:.1f} s"
            )
        cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), %s)", [leads])
        cursor.execute("DROP TABLE bench_freeze_plan")
    SyncCursor.objects.update_or_create(name="events", defaults={"recorded_at": now})
    SyncCursor.objects.update_or_create(name=MARKER, defaults={"recorded_at": now})
    begun = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("leads_lead", "leads_leadevent", "sla_clock", "sla_leadsync"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"   vacuum : {time.perf_counter() - begun:.1f} s")
    return now


def _sizes() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_lead")
        leads = cursor.fetchone()[0]
        cursor.execute("SELECT kind, count(*) FROM leads_leadevent GROUP BY kind ORDER BY 2 DESC")
        events = cursor.fetchall()
        cursor.execute("SELECT term, count(*) FROM sla_clock GROUP BY term ORDER BY 2 DESC")
        clocks = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM sla_leadsync")
        synced = cursor.fetchone()[0]
    return (
        f"{leads:,} leads; {sum(n for _, n in events):,} events"
        f" ({', '.join(f'{k} {n:,}' for k, n in events)});"
        f" {sum(n for _, n in clocks):,} clocks ({', '.join(f'{k} {n:,}' for k, n in clocks)});"
        f" {synced:,} LeadSync rows; {SDRS} SDRs in {TEAMS} teams"
    )


def _parameters(month: dt.date, watermark: dt.datetime) -> dict:
    """What the baseline's SQL is given: the month's bounds, the watermark, and the terms
    version's period settings and delivery target (looked up once, outside the timer)."""
    from sla import terms as T
    from sla.compliance import figures
    from sla.policies.services import terms_in_force
    from sla.scorecard import month_bounds

    start, end = month_bounds(month, figures.zone())
    version = terms_in_force(end)
    period = T.period(version.definition if version else None)
    target = figures.targets_for(month)["delivery_hours"][0]
    return {
        "start": start,
        "end": end,
        "watermark": watermark,
        "as_of": watermark,  # min(watermark, now): the watermark is in the past
        "grades": list(T.GRADES[: T.GRADES.index(period["icp_grade"]) + 1]),
        "min_attempts": int(period["min_attempts"]),
        "delivery_limit": float(target) * 3600,
        "complete_fields": list(period["complete_fields"]),
    }


# ---------------------------------------------------------------------------- passes


def _delete_reports() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sla_compliancereport")


def _freeze_pass(month: dt.date, watermark: dt.datetime, problems: list[str]):
    from django.utils import timezone

    from sla.compliance.reports import freeze
    from sla.models import ComplianceReport

    _delete_reports()
    now = timezone.now()
    started = time.perf_counter()
    report = freeze(month, reason=ComplianceReport.Reason.ON_DEMAND, now=now, watermark=watermark)
    seconds = time.perf_counter() - started
    if report is None or report.version != 1:
        problems.append(f"freeze made {report!r}, expected version 1 of {month:%Y-%m}")
    return seconds, _from_report(report.data if report else {})


def _from_report(data: dict) -> dict:
    """The report's figures keyed as the baseline's: (term, dimension, key)."""
    figures = {}
    for line in data.get("terms", []):
        figures[(line["term"], "", "")] = {
            "count": line["count"],
            "of": line["of"],
            "p50": line["p50"],
            "p90": line["p90"],
            "leads": line["leads"],
            "clocks": line["clocks"],
        }
    for row in data.get("rows", []):
        figures[(row["term"], row["dimension"], row["key"])] = {
            "count": row["count"],
            "of": row["of"],
            "p50": row["p50"],
            "p90": row["p90"],
        }
    return figures


BASELINE_PARTS: list[tuple[float, float, float, float]] = []  # total, facts, groups, missed


def _baseline_pass(params: dict) -> tuple[float, dict]:
    from django.db import connection, transaction

    sql = facts_sql(params["complete_fields"])
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        facts = time.perf_counter()
        cursor.execute(AGGREGATE_SQL)
        groups = cursor.fetchall()
        aggregated = time.perf_counter()
        cursor.execute(MISSED_SQL)
        missed = cursor.fetchall()
    seconds = time.perf_counter() - started
    BASELINE_PARTS.append(
        (seconds, facts - started, aggregated - facts, started + seconds - aggregated)
    )
    return seconds, _from_baseline(groups, missed)


def _from_baseline(groups, missed) -> dict:
    from sla import period_terms as P
    from sla import scorecard as S

    figures: dict[tuple[str, str, str], dict] = {}
    for term, grouping, *keys, count, kept, p50, p90 in groups:
        dimension = DIMENSIONS[grouping]
        key = next((k for k in keys if k is not None), None)
        if dimension and key is None:
            continue  # the facts without this dimension
        kind = P.PERIOD_TERMS[term].kind
        durations = term in ("delivery_hours", "first_touch_in_time")
        figures[(term, dimension, key or "")] = {
            "count": count if kind == "count" else kept,
            "of": None if kind == "count" else count,
            "p50": S._hours(p50) if durations else None,
            "p90": S._hours(p90) if durations else None,
        }
    for term, leads, clocks in missed:
        figures[(term, "", "")].update(leads=list(leads or []), clocks=list(clocks or []))
    for term in P.PERIOD_TERMS:  # a term without facts: zero of zero, nothing missed
        empty = {"count": 0, "of": None if P.PERIOD_TERMS[term].kind == "count" else 0}
        figures.setdefault((term, "", ""), {**empty, "p50": None, "p90": None})
        figures[(term, "", "")].setdefault("leads", [])
        figures[(term, "", "")].setdefault("clocks", [])
    return figures


def _compare(got: dict, expected: dict, label: str) -> list[str]:
    problems = []
    for where in sorted(got.keys() | expected.keys()):
        a, b = got.get(where), expected.get(where)
        if a != b:
            problems.append(f"{label}: {'/'.join(where)}: freeze {_short(a)}, SQL {_short(b)}")
    return problems


def _short(figure: dict | None) -> dict | None:
    if figure is None:
        return None
    return {k: (f"{len(v)} ids" if isinstance(v, list) else v) for k, v in figure.items()}


def _print_month(expected: dict) -> None:
    from sla import period_terms as P

    print("the frozen month's facts per term (count kept / of, missed leads, p50 / p90 hours):")
    for term in P.PERIOD_TERMS:
        line = expected[(term, "", "")]
        groups = defaultdict(int)
        for t, dimension, _key in expected:
            if t == term and dimension:
                groups[dimension] += 1
        extra = f", p50 {line['p50']} / p90 {line['p90']} h" if line["p50"] else ""
        of = f" of {line['of']:,}" if line["of"] is not None else ""
        print(
            f"   {term:<26} {line['count']:>8,}{of:<12} {len(line['leads']):>7,} missed{extra};"
            f" groups {dict(groups)}"
        )


def _phases(month: dt.date, watermark: dt.datetime) -> str:
    """One freeze with its steps timed (wall clock, no profiler): each step is wrapped
    for this pass only, the code itself is unchanged."""
    from django.utils import timezone

    from sla import scorecard as S
    from sla.clocks import sync
    from sla.compliance import figures
    from sla.compliance.reports import freeze
    from sla.models import ComplianceReport

    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)

    def wrap(owner, name: str, label: str):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            begun = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = label
                if name == "clocks":
                    key = f"{label}({args[1]})"
                spent[key] += time.perf_counter() - begun
                calls[key] += 1

        setattr(owner, name, timed)
        return owner, name, original

    wrapped = [
        wrap(sync, "catch_up", "sync.catch_up()"),
        wrap(figures.Month, "__init__", "Month() (terms, the later events)"),
        wrap(figures.Month, "mqls", "Month.mqls() (4 MQL terms)"),
        wrap(figures.Month, "deliveries", "Month.deliveries()"),
        wrap(figures.Month, "clocks", "Month.clocks"),
        wrap(figures.Month, "give_ups", "Month.give_ups()"),
        wrap(figures.Month, "feedback", "Month.feedback() (with its dispute clocks)"),
        wrap(S, "table", "scorecard.table() (Python grouping, percentiles)"),
        wrap(ComplianceReport.objects, "create", "ComplianceReport.objects.create()"),
    ]
    _delete_reports()
    begun = time.perf_counter()
    try:
        freeze(
            month, reason=ComplianceReport.Reason.ON_DEMAND, now=timezone.now(), watermark=watermark
        )
    finally:
        for owner, name, original in wrapped:
            setattr(owner, name, original)
    total = time.perf_counter() - begun
    lines = [f"steps of one freeze (wall clock, no profiler): total {total:.2f} s"]
    for key, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        lines.append(f"  {seconds:7.2f} s  {key}" + (f" × {calls[key]}" if calls[key] > 1 else ""))
    return "\n".join(lines) + "\n"


def _profile(month: dt.date, watermark: dt.datetime) -> str:
    """Where one freeze spends its time: its SQL statements (wall time each, the slowest
    first) and a cProfile top 15 by internal time."""
    from django.db import connection
    from django.utils import timezone

    from sla.compliance.reports import freeze
    from sla.models import ComplianceReport

    queries: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        begun = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - begun, sql))

    phases = _phases(month, watermark)
    _delete_reports()
    profile = cProfile.Profile()
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        profile.enable()
        freeze(
            month, reason=ComplianceReport.Reason.ON_DEMAND, now=timezone.now(), watermark=watermark
        )
        profile.disable()
    total = time.perf_counter() - started
    in_sql = sum(seconds for seconds, _ in queries)
    out = io.StringIO()
    out.write(phases)
    out.write(
        f"total {total:.2f} s (profiled); {len(queries)} SQL statements take {in_sql:.2f} s"
        f" (server time and transfer), the rest {total - in_sql:.2f} s\n"
        "slowest statements:\n"
    )
    for seconds, sql in sorted(queries, reverse=True)[:8]:
        out.write(f"  {seconds:7.3f} s  {' '.join(sql.split())[:400]}\n")
    stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime")
    stats.print_stats(int(os.environ.get("NSTATS", 15)))
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
