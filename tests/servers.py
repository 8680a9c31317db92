"""Real web servers in subprocesses, on the test database, for the tests of what happens
when PostgreSQL runs out of connections (tests/test_degrade_servers.py, the browser's
look at the 503 page).

``WebServer.start(kind, ...)`` runs ``manage.py runserver`` (what ``make run`` runs) or
gunicorn (what docker-compose runs) with the environment a test gives it: the
database user (a role with a CONNECTION LIMIT), the pool's size and timeout, and an
``application_name`` by which ``pg_stat_activity`` counts the server's connections.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(*, user: str | None = None, application_name: str) -> str:
    """The test database's URL, as ``user`` (default: the tests' own)."""
    db = connection.settings_dict
    user = user or db["USER"]
    password = db["PASSWORD"] if user == db["USER"] else ""
    return (
        f"postgres://{quote(user)}:{quote(password or '')}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}?application_name={quote(application_name)}"
    )


def connections_of(application_name: str) -> int:
    """The server's sessions on PostgreSQL right now (counted from the tests' own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [application_name],
        )
        return cursor.fetchone()[0]


class WebServer:
    def __init__(self, proc: subprocess.Popen, url: str, log_path: Path, kind: str = ""):
        self.kind = kind
        self.proc = proc
        self.url = url
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @classmethod
    def start(cls, kind: str, *, env: dict[str, str], log_path: Path, var_dir: Path) -> WebServer:
        port = free_port()
        full_env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
        full_env.update(
            {
                "SMARKETING_VAR_DIR": str(var_dir),
                "REDIS_URL": settings.REDIS_URL,
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "SMARKETING_BROKER_DIR": str(settings.CELERY_BROKER_FOLDER),
                "DJANGO_SETTINGS_MODULE": "smarketing.settings",
            }
        )
        full_env.update(env)
        bin_dir = Path(sys.executable).parent
        if kind == "runserver":
            command = [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--skip-checks",
            ]
        elif kind == "gunicorn":
            gunicorn = shutil.which("gunicorn", path=str(bin_dir)) or "gunicorn"
            command = [
                gunicorn,
                "smarketing.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
            ]
        else:
            raise ValueError(kind)
        log_file = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=log_file, stderr=subprocess.STDOUT
        )
        log_file.close()
        server = cls(proc, f"http://127.0.0.1:{port}", log_path, kind)

        def answering() -> bool:
            if proc.poll() is not None:
                return True
            try:
                requests.get(server.url + "/accounts/login/", timeout=10)
            except requests.RequestException:
                return False
            return True

        with contextlib.suppress(AssertionError):
            wait_until(answering, timeout=60, interval=0.1, what=f"the {kind} server")
        if proc.poll() is not None:
            raise RuntimeError(f"the {kind} server did not start:\n{server.log()}")
        return server

    def stop(self) -> None:
        # gunicorn: SIGINT is its quick shutdown; runserver: SIGTERM ends it at once (on
        # Ctrl-C it would wait for its pool to close)
        self.proc.send_signal(signal.SIGINT if self.kind == "gunicorn" else signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def server_without_connections(folder: Path) -> Iterator[WebServer]:
    """gunicorn (with the pool, as docker-compose runs it) as a role that may log in
    with CONNECTION LIMIT 0: a PostgreSQL with no connection left for the app. The role
    is made and dropped by the tests' own connection (outside any test transaction)."""
    role = f"smk_no_conn_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
    try:
        server = WebServer.start(
            "gunicorn",
            env={
                "DATABASE_URL": database_url(user=role, application_name="smk-no-connection"),
                "DATABASE_POOL_TIMEOUT": "1",
            },
            log_path=folder / "gunicorn.log",
            var_dir=folder / "var",
        )
        try:
            yield server
        finally:
            server.stop()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
