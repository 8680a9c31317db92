"""PostgreSQL out of connections, with real servers (issue 10 §2): gunicorn (what
docker-compose runs) and ``manage.py runserver`` (what ``make run`` runs) in
subprocesses on the test database.

- A role with CONNECTION LIMIT 0 stands for a PostgreSQL with no connection left for
  the app: every API call answers a JSON 503 with Retry-After, every page the
  friendly 503 page (without the pool, the same error comes straight from the
  connect: tests/test_degrade.py).
- The pool bounds the connections ``make run`` holds: many concurrent clients, at
  most ``DATABASE_POOL_MAX_SIZE`` sessions counted in ``pg_stat_activity``.
- A pool exhausted beyond its timeout answers 503 with Retry-After.
- A connection PostgreSQL closed while it sat in the pool fails no request.

The shared PostgreSQL is never stopped and ``max_connections`` never changed.
"""

from __future__ import annotations

import re
import threading
import uuid
from concurrent import futures

import psycopg
import pytest
import requests
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from smarketing import degrade
from tests import servers
from tests.factories import UserFactory
from tests.helpers import wait_until
from tests.servers import WebServer, connections_of, database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RETRY_AFTER = str(degrade.RETRY_AFTER_SECONDS)


def _start(kind: str, folder, **env: str) -> WebServer:
    return WebServer.start(kind, env=env, log_path=folder / f"{kind}.log", var_dir=folder / "var")


@pytest.fixture(scope="module")
def server_without_connections(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        servers.server_without_connections(tmp_path_factory.mktemp("gunicorn")) as server,
    ):
        yield server


POOL_SIZE = 2


@pytest.fixture(scope="module")
def make_run_server(django_db_setup, tmp_path_factory):
    """``manage.py runserver`` as ``make run`` starts it, its pool at most POOL_SIZE
    connections, waiting at most 3 s for one; its sessions named, to be counted."""
    app = f"smk-pool-{uuid.uuid4().hex[:8]}"
    server = _start(
        "runserver",
        tmp_path_factory.mktemp("runserver"),
        DATABASE_URL=database_url(application_name=app),
        DATABASE_POOL_MAX_SIZE=str(POOL_SIZE),
        # more than the 1 s the pool waits before it looks again after finding a
        # connection dead (psycopg_pool's backoff), as the default 5 s is
        DATABASE_POOL_TIMEOUT="3",
    )
    server.application_name = app
    yield server
    server.stop()


@pytest.fixture
def director_token(migration_rows):
    user = UserFactory(username="dana", roles=["director"])
    return Token.objects.create(user=user).key


def session_cookie(user) -> dict[str, str]:
    """A signed-in browser's cookie, its session stored in the test database."""
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


# --- no connection left: JSON 503 on the API, the page in the browser ---------------


def test_the_api_answers_json_503_with_retry_after_when_postgres_has_no_connection_left(
    server_without_connections, director_token
):
    server = server_without_connections
    auth = {"Authorization": f"Token {director_token}"}

    listed = requests.get(f"{server.url}/api/v1/leads/", headers=auth, timeout=30)
    created = requests.post(
        f"{server.url}/api/v1/leads/",
        json={"email": "li@example.cn", "source_system": "crm", "external_id": "1"},
        headers=auth,
        timeout=30,
    )

    for response in (listed, created):
        assert response.status_code == 503, server.log()
        assert response.headers["Retry-After"] == RETRY_AFTER
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {"detail": degrade.api_message(degrade.DATABASE)}


def test_pages_answer_the_friendly_503_page_when_postgres_has_no_connection_left(
    server_without_connections, migration_rows
):
    server = server_without_connections
    director = UserFactory(username="dana", roles=["director"])
    cookie = session_cookie(director)

    signed_in = requests.get(f"{server.url}/leads/", cookies=cookie, timeout=30)
    browser = requests.Session()
    login_page = browser.get(f"{server.url}/accounts/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    login = browser.post(
        f"{server.url}/accounts/login/",
        data={"csrfmiddlewaretoken": csrf, "username": "dana", "password": "pw-for-tests-1"},
        headers={"Referer": f"{server.url}/accounts/login/"},
        timeout=30,
    )

    assert login_page.status_code == 200  # the login form itself needs no database
    for response in (signed_in, login):
        assert response.status_code == 503, server.log()
        assert response.headers["Retry-After"] == RETRY_AFTER
        assert response.headers["Content-Type"].startswith("text/html")
        assert "<h1>Briefly unavailable</h1>" in response.text
    assert 'href="/leads/"' in signed_in.text  # try again: the same page
    assert "Traceback" not in signed_in.text + login.text


# --- make run: a bounded number of connections --------------------------------------


def test_make_runs_server_holds_at_most_its_pools_size_of_connections(
    make_run_server, director_token
):
    server = make_run_server
    auth = {"Authorization": f"Token {director_token}"}

    def client(_: int) -> list[int]:
        with requests.Session() as session:
            return [
                session.get(f"{server.url}/api/v1/leads/", headers=auth, timeout=60).status_code
                for _ in range(3)
            ]

    peak = 0
    with futures.ThreadPoolExecutor(max_workers=16) as clients:
        running = [clients.submit(client, n) for n in range(16)]
        while not all(f.done() for f in running):
            peak = max(peak, connections_of(server.application_name))
            futures.wait(running, timeout=0.02)
        codes = [code for f in running for code in f.result()]

    # 16 clients at once, and no more than POOL_SIZE sessions; a request that waited
    # longer than the pool's 3 s for a connection answered 503, the others 200
    assert set(codes) <= {200, 503}, server.log()
    assert codes.count(200) >= 16
    assert 1 <= peak <= POOL_SIZE
    assert connections_of(server.application_name) <= POOL_SIZE  # and so when idle


def test_a_pool_exhausted_beyond_its_timeout_answers_503_with_retry_after(
    make_run_server, director_token
):
    server = make_run_server
    auth = {"Authorization": f"Token {director_token}"}
    url = f"{server.url}/api/v1/leads/"
    settings_dict = connection.settings_dict
    # Another session locks the tokens' table: the first POOL_SIZE requests block on it,
    # each holding one of the pool's connections.
    blocker = psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
    )
    held: list[requests.Response] = []
    holders = [
        threading.Thread(target=lambda: held.append(requests.get(url, headers=auth, timeout=60)))
        for _ in range(POOL_SIZE)
    ]
    try:
        blocker.execute("LOCK TABLE authtoken_token IN ACCESS EXCLUSIVE MODE")
        for holder in holders:
            holder.start()

        def requests_wait_on_the_lock() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = %s AND wait_event_type = 'Lock'",
                    [server.application_name],
                )
                return cursor.fetchone()[0] == POOL_SIZE

        wait_until(requests_wait_on_the_lock, timeout=30, what="the pool's connections held")

        one_more = requests.get(url, headers=auth, timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    for holder in holders:
        holder.join(60)

    assert one_more.status_code == 503, server.log()
    assert one_more.headers["Retry-After"] == RETRY_AFTER
    assert one_more.json() == {"detail": degrade.api_message(degrade.DATABASE)}
    assert [r.status_code for r in held] == [200] * POOL_SIZE  # the lock gone, they end well


def test_connections_postgres_closed_meanwhile_fail_no_request(make_run_server, director_token):
    # the pool holds a connection; the server ends it (a restart, a failover, an admin)
    server = make_run_server
    auth = {"Authorization": f"Token {director_token}"}
    url = f"{server.url}/api/v1/leads/"
    assert requests.get(url, headers=auth, timeout=30).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            [server.application_name],
        )
        assert cursor.fetchone()[0] >= 1

    after = requests.get(url, headers=auth, timeout=30)

    # the pool checked the connection, found it dead, made a new one (within about 1 s)
    assert after.status_code == 200, server.log()
