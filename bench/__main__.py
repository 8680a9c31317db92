"""``python -m bench``: lead intake through the REST API vs a raw COPY, on PostgreSQL.

1. Generate N intake rows (bench.generate; default 100,000; ``--smoke`` 2,000 in
   1,000-row batches, CI's proof that the benchmark runs).
2. On fresh tables, POST them to ``/api/v1/leads/bulk/`` in 5,000-row batches
   through Django's test client with a token: the full request path —
   authentication, throttling, JSON parsing, whole validation, matching,
   accounts, leads and the event log, the JSON answer. Nothing is skipped.
3. Same database, same run: truncate, then one raw ``COPY`` of the same rows
   (already in column form) into ``leads_lead`` — the baseline.
4. Print both rates, their ratio against the goal (0.15; stretch 0.25), the
   baseline's SQL and the row counts. A miss says MISS and prints a cProfile
   top-15 of the API pass (not in ``--smoke``, unless ``--profile``: a busy CI machine
   misses often, and the profile is a second API pass).

Database: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/smarketing_bench), created and migrated
when missing.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import sys
import time

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/smarketing_bench"
GOAL, STRETCH = 0.15, 0.25
BATCH = 5000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="rows to ingest")
    parser.add_argument(
        "--smoke", action="store_true", help="a quick run of 2,000 rows in batches of 1,000"
    )
    parser.add_argument(
        "--batch", type=int, help=f"rows per API request (default {BATCH:,}; --smoke 1,000)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print the API profile even on a pass"
    )
    args = parser.parse_args(argv)
    count = 2_000 if args.smoke else args.leads
    if args.batch is None:
        args.batch = 1_000 if args.smoke else BATCH

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    version = _published_model()

    from bench.generate import lead_rows

    print(f"smarketing bench — {count:,} leads, batches of {args.batch:,}, database {_safe(url)}")
    print(f"scoring model v{version.number} published: intake scores every lead it stores")
    started = time.perf_counter()
    rows = lead_rows(count)
    print(f"generated {count:,} rows in {time.perf_counter() - started:.1f} s")

    api = _api_pass(rows, batch=args.batch)
    baseline = _copy_pass(rows)

    ratio = api["rate"] / baseline["rate"]
    print()
    print(f"API bulk ingestion : {api['rate']:>10,.0f} leads/s  ({api['seconds']:.2f} s)")
    print(f"   rows after      : {api['counts']}")
    print(f"raw COPY baseline  : {baseline['rate']:>10,.0f} leads/s  ({baseline['seconds']:.2f} s)")
    print(f"   rows after      : {baseline['counts']}")
    print(f"   baseline SQL    : {baseline['sql']}")
    verdict = "MISS" if ratio < GOAL else ("PASS (stretch met)" if ratio >= STRETCH else "PASS")
    print(f"ratio API / COPY   : {ratio:.3f}  (goal {GOAL}, stretch {STRETCH}) — {verdict}")
    problems = api["problems"] + baseline["problems"]
    for problem in problems:
        print(f"ERROR: {problem}")
    if (ratio < GOAL and not args.smoke) or args.profile:
        label = "MISS — profile" if ratio < GOAL else "Profile"
        print(f"\n{label} of the API pass (cProfile, top 15 by internal time):")
        print(_profile_api(rows, batch=args.batch))
    return 1 if problems else 0


def _published_model():
    """The published scoring model (the default one when there is none): the real
    intake path scores what it stores, so the benchmark runs with a model."""
    from leads.scoring.rescore import rescore_job_run
    from leads.scoring.selectors import scoring_model_published
    from leads.scoring.services import ensure_default_model

    version = scoring_model_published()
    if version is None:
        created = ensure_default_model(enqueue=False)
        if created is None:
            raise SystemExit("scoring model versions exist but none is published: publish one")
        version, job = created
        rescore_job_run(job_id=job.pk)
    return version


def _safe(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def _ensure_database(url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_activity, leads_leadevent, leads_lead, leads_account "
            "RESTART IDENTITY CASCADE"
        )


def _counts() -> dict[str, int]:
    from leads.models import Account, Lead, LeadEvent

    return {
        "leads": Lead.objects.count(),
        "scored": Lead.objects.filter(scored_at__isnull=False).count(),
        "accounts": Account.objects.count(),
        "events": LeadEvent.objects.count(),
    }


def _client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user, _ = get_user_model().objects.get_or_create(username="bench-integration")
    user.groups.add(Group.objects.get(name="integration"))
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _post_all(client, bodies: list[bytes]) -> list:
    """POST every body; the answers are read afterwards (that is the client's work)."""
    return [
        client.post("/api/v1/leads/bulk/", data=body, content_type="application/json")
        for body in bodies
    ]


def _check_answers(responses) -> tuple[int, list[str]]:
    saved, problems = 0, []
    for number, response in enumerate(responses):
        if response.status_code != 200:
            problems.append(
                f"batch {number}: HTTP {response.status_code} {response.content[:300]!r}"
            )
            continue
        answer = json.loads(response.content)
        saved += answer["created"] + answer["updated"]
        if answer["rejected"]:
            problems.append(
                f"batch {number}: {answer['rejected']} rows rejected: {answer['errors'][:2]}"
            )
    return saved, problems


def _warm_up(client) -> None:
    """One empty batch first: URL conf, translations and lazy imports load outside the timer."""
    client.post("/api/v1/leads/bulk/", data=b"[]", content_type="application/json")
    from leads.intake.normalize import normalize_phone

    normalize_phone("+1 415 555 0123")  # phonenumbers loads its metadata lazily


def _bodies(rows: list[dict], batch: int) -> list[bytes]:
    return [
        json.dumps(rows[i : i + batch], ensure_ascii=False).encode()
        for i in range(0, len(rows), batch)
    ]


def _api_pass(rows: list[dict], *, batch: int) -> dict:
    _truncate()
    client = _client()
    bodies = _bodies(rows, batch)  # the client's encoding is not the server's work
    _warm_up(client)
    started = time.perf_counter()
    responses = _post_all(client, bodies)
    seconds = time.perf_counter() - started
    saved, problems = _check_answers(responses)
    counts = _counts()
    if counts["leads"] != len(rows):
        problems.append(f"API pass: {counts['leads']} leads stored, expected {len(rows)}")
    if saved != len(rows):
        problems.append(f"API pass: {saved} rows saved, expected {len(rows)}")
    return {"seconds": seconds, "rate": len(rows) / seconds, "counts": counts, "problems": problems}


def _copy_columns() -> tuple[str, ...]:
    """The columns intake inserts a new lead with (``leads.intake.services.LEAD_INSERT_COLUMNS``)
    but the account link and the score: the baseline matches no account, scores nothing."""
    from leads.intake.services import LEAD_INSERT_COLUMNS
    from leads.models import SCORE_COLUMNS

    left_out = {"account_id", *SCORE_COLUMNS}
    return tuple(column for column in LEAD_INSERT_COLUMNS if column not in left_out)


def _copy_rows(rows: list[dict], columns: tuple[str, ...]) -> list[tuple]:
    """The same rows in column form — no validation, no normalisation, no matching."""
    now = dt.datetime.now(dt.UTC)
    out = []
    for row in rows:
        email = row.get("email")
        values = {
            "name": row.get("name", ""),
            "email": email or "",
            "email_normalised": email,
            "phone": row.get("phone"),
            "title": row.get("title", ""),
            "seniority": row.get("seniority", "unknown"),
            "wechat_id": row.get("wechat_id", ""),
            "language": "",
            "company_name": row.get("company", ""),
            "source_channel": row["source_channel"],
            "campaign": row.get("campaign", ""),
            "source_system": "bench-integration",
            "external_id": row.get("external_id"),
            "created_at_source": row.get("created_at_source"),
            "delivery_seconds": None,  # computed by intake, not by the raw baseline
            "received_at": now,
            "stage": "inquiry",
            "stage_changed_at": now,
            "do_not_contact": bool(row.get("do_not_contact", False)),
            "consent_source": row.get("consent_source", ""),
            "consent_at": row.get("consent_at"),
            "created_at": now,
            "updated_at": now,
        }
        out.append(tuple(values[column] for column in columns))
    return out


def _copy_pass(rows: list[dict]) -> dict:
    from django.db import connection, transaction

    _truncate()
    columns = _copy_columns()
    prepared = _copy_rows(rows, columns)
    sql = f"COPY leads_lead ({', '.join(columns)}) FROM STDIN"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for record in prepared:
            copy.write_row(record)
    seconds = time.perf_counter() - started
    counts = _counts()
    problems = []
    if counts["leads"] != len(rows):
        problems.append(f"COPY pass: {counts['leads']} leads stored, expected {len(rows)}")
    return {
        "seconds": seconds,
        "rate": len(rows) / seconds,
        "counts": counts,
        "sql": sql,
        "problems": problems,
    }


def _profile_api(rows: list[dict], *, batch: int, sort: str = "tottime") -> str:
    _truncate()
    client = _client()
    bodies = _bodies(rows, batch)
    _warm_up(client)
    profile = cProfile.Profile()
    profile.enable()
    _post_all(client, bodies)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(sort)
    stats.print_stats(int(os.environ.get("NSTATS", 15)))
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
