"""``python -m bench.rescore``: re-scoring every open lead after a publish, vs a raw baseline.

1. Fresh tables on PostgreSQL (``BENCH_DATABASE_URL``, default the ``smarketing_bench``
   database): 20,000 accounts, 100,000 open leads (``--leads``; ``--smoke`` 1,000),
   about 10 activities each over the last 120 days, all written with COPY; the
   default model is published and every lead scored with it first.
2. Baseline (raw psycopg, the same database, the same run): one read of the open
   leads with their account's fields, one read of their activities, the same engine
   calls with the new model (and the same JSON breakdown), one set-based write —
   COPY into a temporary table and one ``UPDATE … FROM``.
3. Measured: the real path — ``scoring_model_publish`` of a new version (interest
   weights changed, so most scores move) and the re-score job it starts
   (``rescore_job_run``: chunks of 2,000 in their own transactions, job progress,
   ``score_change`` events, MQL promotions and their events, and the routing of
   each new MQL through the MQL hook — a round-robin team for Chinese leads, a pool
   team for the rest). Nothing is skipped.
4. Prints both times, the ratio (goal: at most 3x the baseline), the baseline's SQL
   and the row counts. A miss says MISS and prints a cProfile top 15.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta

GOAL = 3.0
NOW = datetime.now(UTC).replace(microsecond=0)

READ_LEADS_SQL = (
    "SELECT l.id, l.stage, a.employees, a.annual_revenue, a.industry, a.region, a.country,"
    " COALESCE(NULLIF(a.name, ''), l.company_name), a.domain, l.seniority, l.title,"
    " l.source_channel, l.campaign, l.source_system, l.language, l.do_not_contact"
    " FROM leads_lead l LEFT JOIN leads_account a ON a.id = l.account_id"
    " WHERE l.stage = ANY(%s)"
)
READ_ACTIVITIES_SQL = (
    "SELECT t.lead_id, t.type, t.occurred_at FROM leads_activity t"
    " JOIN leads_lead l ON l.id = t.lead_id WHERE l.stage = ANY(%s)"
)
STAGE_SQL = (
    "CREATE TEMP TABLE bench_scores (id bigint, score_fit double precision,"
    " score_grade varchar(1), score_interest double precision, score_total double precision,"
    " score_quadrant varchar(16), score_breakdown jsonb, score_model_id bigint,"
    " scored_at timestamptz) ON COMMIT DROP"
)
COPY_SQL = "COPY bench_scores FROM STDIN"
UPDATE_SQL = (
    "UPDATE leads_lead AS l SET score_fit = s.score_fit, score_grade = s.score_grade,"
    " score_interest = s.score_interest, score_total = s.score_total,"
    " score_quadrant = s.score_quadrant, score_breakdown = s.score_breakdown,"
    " score_model_id = s.score_model_id, scored_at = s.scored_at, updated_at = s.scored_at"
    " FROM bench_scores AS s WHERE l.id = s.id"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rescore", description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="a quick run of 1,000 leads")
    parser.add_argument("--profile", action="store_true", help="profile even on a pass")
    args = parser.parse_args(argv)
    count = 1_000 if args.smoke else args.leads

    from bench.__main__ import DEFAULT_URL, _ensure_database, _safe

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"smarketing re-score bench — {count:,} open leads, database {_safe(url)}")
    started = time.perf_counter()
    counts = _fresh_data(count)
    print(
        f"data: {counts['leads']:,} leads, {counts['accounts']:,} accounts,"
        f" {counts['activities']:,} activities ({time.perf_counter() - started:.1f} s)"
    )
    draft = _new_draft()

    baseline = _baseline(draft)
    _vacuum()  # the baseline's rolled-back update leaves dead rows behind
    measured = _measured(draft, profile=args.profile)
    ratio = measured["seconds"] / baseline["seconds"]
    print()
    print(
        f"baseline (raw)   : {baseline['seconds']:.2f} s  "
        f"({baseline['rows']:,} leads, {baseline['activities']:,} activities read;"
        f" engine {baseline['engine']:.2f} s)"
    )
    print("   baseline SQL  :")
    for sql in (READ_LEADS_SQL, READ_ACTIVITIES_SQL, STAGE_SQL, COPY_SQL, UPDATE_SQL):
        print(f"     {sql};")
    print(f"   rows updated  : {baseline['updated']:,}")
    print(
        f"publish + job    : {measured['seconds']:.2f} s  "
        f"(job #{measured['job']}: {measured['result']})"
    )
    print(f"   rows after    : {measured['counts']}")
    verdict = "PASS" if ratio <= GOAL else "MISS"
    print(f"ratio job / raw  : {ratio:.2f}x  (goal at most {GOAL:.0f}x) — {verdict}")
    problems = []
    if measured["result"].get("scored") != baseline["rows"]:
        problems.append(
            f"the job scored {measured['result'].get('scored')} leads, the baseline "
            f"{baseline['rows']}"
        )
    if measured.get("profile"):
        print("\nProfile of the measured path (cProfile, top 15 by internal time):")
        print(measured["profile"])
    for problem in problems:
        print(f"ERROR: {problem}")
    return 1 if problems else 0


# ---------------------------------------------------------------------------- data


def _fresh_data(count: int) -> dict[str, int]:
    from django.db import connection, transaction

    from leads.models import ScoringModelVersion
    from leads.scoring.engine import ACTIVITY_TYPES, SERVICEABLE_COUNTRIES, TARGET_INDUSTRIES
    from leads.scoring.rescore import leads_rescore
    from leads.scoring.services import ensure_default_model

    rng = random.Random(42)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_activity, leads_leadevent, leads_lead, leads_account, leads_job"
            " RESTART IDENTITY CASCADE"
        )
    ScoringModelVersion.objects.all().delete()
    accounts = max(1, count // 5)
    countries = (*SERVICEABLE_COUNTRIES, "JP", "AU", "BR")
    industries = (*TARGET_INDUSTRIES, "Retail", "Energy", "Logistics")
    seniorities = ("executive", "vp", "director", "manager", "individual", "unknown")
    stages = ("inquiry",) * 6 + ("nurture",) * 2 + ("mql", "sal", "sql", "opportunity")
    now = NOW
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY leads_account (id, name, name_normalised, domain, employees, annual_revenue,"
            " industry, region, country, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(1, accounts + 1):
                copy.write_row(
                    (
                        n,
                        f"Company {n}",
                        f"company {n}",
                        f"company{n}.example",
                        int(rng.lognormvariate(5.0, 1.5)),
                        rng.randrange(100_000, 50_000_000),
                        rng.choice(industries),
                        "",
                        rng.choice(countries),
                        now,
                        now,
                    )
                )
        with raw.copy(
            "COPY leads_lead (id, name, email, email_normalised, title, seniority, wechat_id,"
            " language, company_name, account_id, source_channel, campaign, source_system,"
            " received_at, stage, stage_changed_at, do_not_contact, consent_source,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                email = f"lead{n}@company{1 + n % accounts}.example"
                copy.write_row(
                    (
                        n,
                        f"Lead {n}",
                        email,
                        email,
                        "Manager",
                        rng.choice(seniorities),
                        "",
                        "zh",
                        "",
                        1 + n % accounts,
                        "website",
                        "",
                        "bench",
                        now,
                        rng.choice(stages),
                        now,
                        rng.random() < 0.02,
                        "",
                        now,
                        now,
                    )
                )
        activities = 0
        with raw.copy(
            "COPY leads_activity (lead_id, type, occurred_at, properties, source, created_at)"
            " FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                for _ in range(rng.randint(8, 12)):
                    age = timedelta(seconds=rng.uniform(0, 120 * 86400))
                    copy.write_row((n, rng.choice(ACTIVITY_TYPES), now - age, "{}", "bench", now))
                    activities += 1
        for table in ("leads_account", "leads_lead", "leads_activity"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT MAX(id) FROM {table}))"
            )
    _routing_setup()
    version, job = ensure_default_model(enqueue=False)
    from leads.scoring.rescore import rescore_job_run

    rescore_job_run(job_id=job.pk, now=NOW)
    leads_rescore(lead_ids=[])  # import warm-up
    _vacuum()
    return {"leads": count, "accounts": accounts, "activities": activities}


def _routing_setup() -> None:
    """Teams and rules as a company would have them, so every new MQL is really
    routed (the MQL hook): Chinese leads to a weighted round-robin team of 8 SDRs
    (one with a daily cap), the rest to a pool team (the default)."""
    from django.contrib.auth import get_user_model

    from leads.models import RepSettings, RoutingRule
    from leads.people.models import Team

    RoutingRule.objects.all().delete()
    Team.objects.all().delete()
    user_model = get_user_model()
    china = Team.objects.create(name="Bench China SDR", kind=Team.Kind.SDR, mode="round_robin")
    Team.objects.create(name="Bench pool SDR", kind=Team.Kind.SDR, mode="pool")
    for n in range(8):
        rep, _ = user_model.objects.get_or_create(username=f"bench-sdr-{n}")
        china.members.add(rep)
        RepSettings.objects.update_or_create(
            user=rep, defaults={"weight": 2 if n < 2 else 1, "daily_cap": 400 if n == 7 else None}
        )
    RoutingRule.objects.create(
        name="China", order=1, applies_to="mql", conditions={"country": ["CN"]}, team=china
    )


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead, leads_activity, leads_leadevent")


def _new_draft():
    """Version 2: the default model with heavier demo-request and pricing-page points."""
    from leads.scoring.engine import default_model
    from leads.scoring.services import scoring_model_create_draft

    data = default_model(2).to_dict()
    for rule in data["interest_rules"]:
        if rule["activity_type"] in ("demo_request", "pricing_page"):
            rule["points"] = rule["points"] * 1.4
    return scoring_model_create_draft(definition=data, user=None, name="bench v2")


# ------------------------------------------------------------------------ baseline


def _baseline(draft) -> dict:
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import connection, transaction

    from leads.scoring.definitions import compiled_model
    from leads.scoring.engine import ActivityFact, score_lead
    from leads.scoring.rescore import OPEN_STAGES

    model = compiled_model(draft)
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    names = (
        "employees",
        "annual_revenue",
        "industry",
        "region",
        "country",
        "company",
        "domain",
        "seniority",
        "title",
        "source_channel",
        "campaign",
        "source_system",
        "language",
        "do_not_contact",
    )
    open_stages = [str(s) for s in OPEN_STAGES]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(READ_LEADS_SQL, [open_stages])
        leads = cursor.fetchall()
        cursor.execute(READ_ACTIVITIES_SQL, [open_stages])
        activities: dict[int, list] = {}
        read = 0
        for lead_id, kind, at in cursor:
            activities.setdefault(lead_id, []).append(ActivityFact(kind, at))
            read += 1
        engine_started = time.perf_counter()
        rows = []
        for lead_id, _stage, *values in leads:
            result = score_lead(
                lead=dict(zip(names, values, strict=True)),
                activities=activities.get(lead_id, ()),
                model=model,
                now=NOW,
            )
            rows.append(
                (
                    lead_id,
                    result.fit_points,
                    result.grade,
                    result.interest_points,
                    result.total,
                    result.quadrant,
                    encoder.encode(result.to_dict()),
                    draft.pk,
                    NOW,
                )
            )
        engine = time.perf_counter() - engine_started
        cursor.execute(STAGE_SQL)
        with cursor.copy(COPY_SQL) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(UPDATE_SQL)
        updated = cursor.rowcount
        transaction.set_rollback(True)  # leave the leads as the measured path finds them
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": len(leads),
        "activities": read,
        "engine": engine,
        "updated": updated,
    }


# ------------------------------------------------------------------------ measured


def _measured(draft, *, profile: bool) -> dict:
    from leads.models import Lead, LeadEvent
    from leads.scoring.rescore import rescore_job_run
    from leads.scoring.services import scoring_model_publish

    def counts() -> dict[str, int]:
        return {
            "score_change events": LeadEvent.objects.filter(kind="score_change").count(),
            "MQL events": LeadEvent.objects.filter(kind="stage_change", to_stage="mql").count(),
            "assignment events": LeadEvent.objects.filter(kind="assignment").count(),
        }

    before = counts()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    version, job = scoring_model_publish(version=draft, user=None, enqueue=False)
    job = rescore_job_run(job_id=job.pk, now=NOW)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    out = {
        "seconds": seconds,
        "job": job.pk,
        "result": job.result,
        "counts": {
            "leads scored with the new version": Lead.objects.filter(score_model=version).count(),
            **{f"new {k}": v - before[k] for k, v in counts().items()},
        },
    }
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(15)
        out["profile"] = buf.getvalue()
    return out


if __name__ == "__main__":
    sys.exit(main())
