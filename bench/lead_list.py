"""``python -m bench.lead_list``: ``GET /api/v1/leads/`` over HTTP vs a plain
``JsonResponse`` view over the same rows and fields with ``values()``, on PostgreSQL.

1. Fresh tables; N leads (default 3,000, ``--smoke`` 1,000), each with an account and
   an owner (one of 20 SDRs), as the demo company has them.
2. One real HTTP server in this process (Django's threaded WSGI server, ``DEBUG`` off,
   the project's settings and middleware) serves both sides on one port:
   - the API: ``GET /api/v1/leads/?page_size=P`` with a director's token — the full
     path: middleware, token authentication, throttling, the user's roles and what
     they may see, the filters, the count, the page, the JSON (``leads.web.api_rows``);
   - the baseline: ``GET /bench/raw-leads/?page_size=P``, a plain view reading the same
     fields of the same first P leads in the same order with ``values()`` and answering
     ``JsonResponse`` — no authentication, no count.
3. Requests alternate (API, baseline, API, …) over one keep-alive ``requests`` session,
   ``--requests`` of each (default 300, ``--smoke`` 50) after a warm-up; each side's
   figure is its median latency. Ratio = baseline median / API median (goal 0.6).
4. Queries: the API is asked for 1, 50 and 200 leads under Django's query capture;
   the count must be the same for each (a fixed number of queries whatever the page
   size): a difference is a hard failure (exit 1), as is an API answer that differs
   from the baseline's rows.

Prints the baseline's SQL, the row counts, both medians, the ratio against the goal and
PASS or MISS. Database: ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/smarketing_bench), created and migrated when missing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from bench.__main__ import DEFAULT_URL, _ensure_database, _safe

GOAL = 0.6
OWNERS = 20
PAGE_SIZES = (1, 50, 200)


def raw_leads(request):
    """The baseline: the same rows and fields, ``values()``, ``JsonResponse``."""
    from django.http import JsonResponse

    from leads.models import Lead
    from leads.web import api_rows

    size = int(request.GET.get("page_size", 50))
    rows = list(Lead.objects.order_by("-received_at", "-id").values(*api_rows.COLUMNS)[:size])
    return JsonResponse({"results": rows})


def _urls():
    from django.urls import include, path

    return [path("bench/raw-leads/", raw_leads), path("", include("smarketing.urls"))]


def __getattr__(name):  # this module is the server's URL configuration
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lead_list", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--leads", type=int, default=3_000, help="leads in the table")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per side")
    parser.add_argument("--page-size", type=int, default=50, help="leads per request")
    parser.add_argument("--smoke", action="store_true", help="1,000 leads, 50 requests")
    args = parser.parse_args(argv)
    count = 1_000 if args.smoke else args.leads
    requests_per_side = 50 if args.smoke else args.requests
    if min(count, requests_per_side, args.page_size) < 1 or args.page_size > 200:
        parser.error("--leads and --requests must be at least 1, --page-size 1 to 200")

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["API_THROTTLE_USER"] = "1000000/min"
    os.environ.setdefault("SMARKETING_VAR_DIR", "/tmp/smarketing-bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ROOT_URLCONF = "bench.lead_list"
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    call_command("migrate", verbosity=0)
    token = _setup(count)
    print(
        f"smarketing lead list bench — {count:,} leads, {args.page_size} per request, "
        f"{requests_per_side} requests per side, DEBUG {'on' if settings.DEBUG else 'off'}, "
        f"database {_safe(url)}"
    )

    problems: list[str] = []
    queries = _query_counts(token)
    if len(set(queries.values())) != 1:
        problems.append(f"the API's queries change with the page size: {queries}")

    server, base = _serve()
    try:
        result = _timed(base, token, args.page_size, requests_per_side, problems)
    finally:
        server.shutdown()
        server.server_close()

    from leads.models import Account, Lead
    from leads.web import api_rows

    ratio = result["baseline"] / result["api"] if result["api"] else 0.0
    sql = str(
        Lead.objects.order_by("-received_at", "-id")
        .values(*api_rows.COLUMNS)[: args.page_size]
        .query
    )
    print()
    print(f"GET /api/v1/leads/     : median {result['api'] * 1000:7.2f} ms")
    print(f"plain JsonResponse     : median {result['baseline'] * 1000:7.2f} ms")
    print(f"   rows                : {Lead.objects.count():,} leads, "
          f"{Account.objects.count():,} accounts, {args.page_size} per answer")  # fmt: skip
    print(f"   API queries         : {queries} (page size → queries)")
    print(f"   baseline SQL        : {sql}")
    verdict = "PASS" if ratio >= GOAL else "MISS"
    print(f"ratio baseline / API   : {ratio:.3f}  (goal {GOAL}) — {verdict}")
    for problem in problems:
        print(f"ERROR: {problem}")
    return 1 if problems else 0


def _setup(count: int) -> str:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from leads.models import Account, Lead

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_activity, leads_leadevent, leads_lead, leads_account "
            "RESTART IDENTITY CASCADE"
        )
    users = get_user_model().objects
    director, _ = users.get_or_create(username="bench-director")
    director.groups.add(Group.objects.get_or_create(name="director")[0])
    sdr_group = Group.objects.get_or_create(name="sdr")[0]
    owners = []
    for i in range(OWNERS):
        owner, _ = users.get_or_create(
            username=f"bench-sdr-{i:02d}", defaults={"first_name": "Sam", "last_name": f"{i}"}
        )
        owner.groups.add(sdr_group)
        owners.append(owner)
    accounts = Account.objects.bulk_create(
        [
            Account(
                name=f"Company {i}",
                name_normalised=f"company {i}",
                domain=f"company{i}.bench.example",
                employees=10 + i,
                industry="Software",
                country="CN",
            )
            for i in range(count // 2)
        ]
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Lead.objects.bulk_create(
        [
            Lead(
                name=f"Lead {i}",
                email=f"lead{i}@company{i // 2}.bench.example",
                email_normalised=f"lead{i}@company{i // 2}.bench.example",
                phone=f"+86138{i:08d}",
                title="Engineer",
                company_name=f"Company {i // 2}",
                account=accounts[i // 2 % len(accounts)],
                source_channel="website",
                campaign="Bench",
                source_system="bench-list",
                received_at=start + timedelta(minutes=i),
                stage="mql",
                owner=owners[i % OWNERS],
                score_grade="B",
                score_quadrant="hot",
                score_fit=50.0,
                score_interest=40.0,
                score_total=45.0,
                mql_at=start + timedelta(minutes=i, seconds=30),
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead")
    return Token.objects.get_or_create(user=director)[0].key


def _query_counts(token: str) -> dict[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    counts = {}
    for size in PAGE_SIZES:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/leads/", {"page_size": size}, HTTP_HOST="localhost")
        assert response.status_code == 200, response.content[:300]
        counts[size] = len(captured)
    return counts


def _serve():
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        # without it, an answer written in two sends waits for the client's delayed ACK
        # (~40 ms on Linux) and both sides measure the TCP stack instead of the server
        disable_nagle_algorithm = True

        def log_message(self, format, *args):  # noqa: A002
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _timed(base: str, token: str, size: int, count: int, problems: list[str]) -> dict:
    import requests

    session = requests.Session()
    api_url = f"{base}/api/v1/leads/?page_size={size}"
    raw_url = f"{base}/bench/raw-leads/?page_size={size}"
    headers = {"Authorization": f"Token {token}"}

    def get(url, **kw):
        started = time.perf_counter()
        response = session.get(url, **kw)
        body = response.content
        took = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {body[:300]!r}")
        return took, response

    for _ in range(20):  # warm-up: connections, prepared statements, caches
        get(api_url, headers=headers)
        get(raw_url)
    api_ids = [row["id"] for row in get(api_url, headers=headers)[1].json()["results"]]
    raw_ids = [row["id"] for row in get(raw_url)[1].json()["results"]]
    if api_ids != raw_ids:
        problems.append("the API and the baseline answer different rows")
    api, raw = [], []
    for _ in range(count):
        api.append(get(api_url, headers=headers)[0])
        raw.append(get(raw_url)[0])
    return {"api": statistics.median(api), "baseline": statistics.median(raw)}


if __name__ == "__main__":
    sys.exit(main())
