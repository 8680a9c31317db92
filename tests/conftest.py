"""The cast, the API clients, and the rules for tests that need real services.

Markers: ``postgres`` (needs PostgreSQL), ``redis``, ``celery_worker``,
``browser``. Outside CI a test whose service is missing is skipped and listed
at the end of the run with the command that runs it; with ``CI=true`` it fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import TeamFactory, UserFactory
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

_SKIPPED_SERVICES: dict[str, str] = {}

HOW_TO_RUN = {
    "postgres": "DATABASE_URL=postgres://postgres@127.0.0.1:5432/smarketing make test",
    "redis": "REDIS_URL=redis://127.0.0.1:6379/0 make test",
    "browser": "apt-get install -y chromium fonts-noto-cjk, then make test",
}


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _redis_up() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _need(service: str, available: bool, why: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {why}: this test must run in CI.", pytrace=False)
    _SKIPPED_SERVICES[service] = why
    pytest.skip(f"{why} (run: {HOW_TO_RUN[service]})")


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        _need("postgres", _is_postgres(), "DATABASE_URL is not PostgreSQL")
    if item.get_closest_marker("redis"):
        _need("redis", _redis_up(), "no Redis at REDIS_URL")
    if item.get_closest_marker("browser"):
        _need("browser", Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Read from the skip reports, not from _SKIPPED_SERVICES alone: under pytest-xdist
    # the skips happen in the worker processes and only their reports come back here.
    found: dict[str, tuple[int, str]] = {}
    for service, how in HOW_TO_RUN.items():
        reasons = [
            str(rep.longrepr)
            for rep in terminalreporter.stats.get("skipped", [])
            if how in str(rep.longrepr)
        ]
        if reasons:
            why = _SKIPPED_SERVICES.get(service) or _skip_reason(reasons[0], how)
            found[service] = (len(reasons), why)
    if not found:
        return
    terminalreporter.section("skipped: services missing on this machine")
    for service, (count, why) in found.items():
        terminalreporter.write_line(
            f"{count} {service} test(s) skipped — {why}. Run them with: {HOW_TO_RUN[service]}"
        )


def _skip_reason(longrepr: str, how: str) -> str:
    """The ``why`` of ``_need``'s skip message ``"{why} (run: {how})"``."""
    match = re.search(r"Skipped: (.*) \(run: " + re.escape(how), longrepr)
    return match.group(1) if match else "service missing"


# --- one fast password hasher for the whole suite ------------------------------


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Every test user is made with a password; Django's default PBKDF2 (1,000,000
    rounds) took 85 % of the suite's CPU. The live server (browser tests) runs in
    this process, so logging in through the browser checks against the same hasher."""
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()


@pytest.fixture(autouse=True)
def _language_reset():
    """A request through the test client activates the language it asked for
    (``LocaleMiddleware``) and nothing deactivates it: each test starts and ends in
    the default language, whatever the one before it requested last."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- rows of the data migrations ------------------------------------------------


@pytest.fixture
def migration_rows(transactional_db):
    """The data migration's role groups and free-mail domains, back after a flush.

    A transactional test (live server, Celery worker) empties every table when it
    ends, data-migration rows included; ``serialized_rollback`` cannot restore them
    once Playwright's event loop runs. Tests that need a transactional database
    request this fixture.
    """
    from django.contrib.auth.models import Group

    from leads.intake.normalize import DEFAULT_FREE_MAIL_DOMAINS
    from leads.models import DomainListEntry
    from leads.people import roles

    for name in roles.ROLES:
        Group.objects.get_or_create(name=name)
    DomainListEntry.objects.bulk_create(
        [DomainListEntry(domain=d, kind="free_mail") for d in sorted(DEFAULT_FREE_MAIL_DOMAINS)],
        ignore_conflicts=True,
    )


# --- the cast ---------------------------------------------------------------


@pytest.fixture
def marketing_team(db):
    return TeamFactory(name="Marketing", kind="marketing")


@pytest.fixture
def marketer(db, marketing_team):
    user = UserFactory(username="mia", first_name="Mia", last_name="Marketing", roles=["marketing"])
    marketing_team.members.add(user)
    return user


@pytest.fixture
def sdr_team_east(db):
    return TeamFactory(name="SDR East", kind="sdr")


@pytest.fixture
def sdr_team_west(db):
    return TeamFactory(name="SDR West", kind="sdr")


@pytest.fixture
def sdr(db, sdr_team_east):
    user = UserFactory(username="sam", first_name="Sam", last_name="East", roles=["sdr"])
    sdr_team_east.members.add(user)
    return user


@pytest.fixture
def other_sdr(db, sdr_team_west):
    user = UserFactory(username="wendy", first_name="Wendy", last_name="West", roles=["sdr"])
    sdr_team_west.members.add(user)
    return user


@pytest.fixture
def ae(db):
    return UserFactory(username="alex", first_name="Alex", last_name="Closer", roles=["ae"])


@pytest.fixture
def sales_manager(db, sdr_team_east):
    user = UserFactory(
        username="max", first_name="Max", last_name="Manager", roles=["sales_manager"]
    )
    sdr_team_east.manager = user
    sdr_team_east.save()
    return user


@pytest.fixture
def director(db):
    return UserFactory(username="dana", first_name="Dana", last_name="Director", roles=["director"])


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="ada", first_name="Ada", last_name="Admin", roles=["admin"])
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def integration(db):
    return UserFactory(username="hubspot-sync", roles=["integration"])


@pytest.fixture
def outsider(db):
    return UserFactory(username="olly")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as():
    """``api_as(user)``: an API client authenticated with the user's token."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


# --- a real Celery worker -----------------------------------------------------

_TASK_LINE = re.compile(r"Task [\w.]+\[([0-9a-f-]{36})\] (\w+)")


class SessionWorker:
    """One ``celery worker`` subprocess for the whole test session (per xdist worker).

    Started the first time a test asks for ``celery_worker_process``, on the test
    database and the test broker; restarted if it died or stayed busy past a test.
    """

    def __init__(self, env: dict[str, str], log_path: Path, args: tuple[str, ...] = ()):
        self.env = env
        self.log_path = log_path
        self.args = args  # more ``celery worker`` options (e.g. ``-Q`` a queue of its own)
        self.proc: subprocess.Popen | None = None
        self._log_file = None

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_from(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    def ensure_running(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.stop()
        start = self.log_size()
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        self.proc = subprocess.Popen(
            [
                celery,
                "-A",
                "smarketing",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *self.args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

        def ready_or_dead() -> bool:
            return "ready." in self.log_from(start) or self.proc.poll() is not None

        with contextlib.suppress(AssertionError):
            wait_until(ready_or_dead, timeout=60, interval=0.1, what="the celery worker")
        if self.proc.poll() is not None or "ready." not in self.log_from(start):
            self.stop()
            raise RuntimeError("celery worker did not start:\n" + self.log_from(start))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class RunningWorker:
    """One test's view of the session's worker: its log from the test's start on."""

    def __init__(self, worker: SessionWorker):
        self.worker = worker
        self.proc = worker.proc
        self.offset = worker.log_size()

    def log(self) -> str:
        return self.worker.log_from(self.offset)

    def wait_for_log(self, text: str, timeout: float = 30) -> bool:
        try:
            wait_until(lambda: text in self.log(), timeout=timeout, what=repr(text))
        except AssertionError:
            return False
        return True

    def busy_with(self) -> set[str]:
        """Ids of the tasks this test's worker received and has not finished."""
        pending: set[str] = set()
        for task_id, word in _TASK_LINE.findall(self.log()):
            if word == "received":
                pending.add(task_id)
            else:  # succeeded, raised, retry, failed, ignored, rejected, ...
                pending.discard(task_id)
        return pending

    def wait_until_idle(self, timeout: float = 60) -> bool:
        try:
            wait_until(lambda: not self.busy_with(), timeout=timeout, what="the worker to idle")
        except AssertionError:
            return False
        return True


def _worker_database_url() -> str:
    db = connection.settings_dict  # the test database's, once django_db_setup has run
    if _is_postgres():
        return (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    return f"sqlite:///{db['NAME']}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; before it is dropped, end any session still on it.

    Seen now and then on PostgreSQL under xdist: one idle session of the test process
    itself (last statement ROLLBACK) that no Django connection holds any more outlives
    the tests, and DROP DATABASE then fails ("is being accessed by other users"),
    leaving the database behind. The stopped Celery worker's session, which PostgreSQL
    ends a moment after the process exits, goes the same way (``_celery_session_worker``
    is torn down before this)."""
    yield
    if not _is_postgres():
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session")
def _celery_session_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """The session's ``celery worker`` on the test database (created by django_db_setup,
    so its name is read after it); stopped before the test database is dropped."""
    env = dict(os.environ)
    # This process's own folders and Redis database as settings made them (per xdist
    # worker), passed as they are: the worker must not derive them a second time.
    env.pop("PYTEST_XDIST_WORKER", None)
    env["DATABASE_URL"] = _worker_database_url()
    env["SMARKETING_VAR_DIR"] = str(settings.VAR_DIR)
    env["SMARKETING_BROKER_DIR"] = str(settings.CELERY_BROKER_FOLDER)
    env["REDIS_URL"] = settings.REDIS_URL
    env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
    env["DATABASE_POOL_MAX_SIZE"] = "0"  # as the worker runs everywhere (settings.py)
    worker = SessionWorker(env, tmp_path_factory.mktemp("celery-worker") / "worker.log")
    yield worker
    if worker.proc is not None:
        worker.stop()


@pytest.fixture
def celery_worker_process(transactional_db, _celery_session_worker):
    """A real ``celery worker`` process on the test database and the test broker.

    One process serves the whole session (started by the first test that asks); each
    test gets the broker's queue purged at its start, a ``log()`` of what the worker
    wrote since, and the worker idle again before its database is flushed. Uses
    Redis when REDIS_URL is set, else kombu's filesystem transport. Tests using it
    are ``transactional_db`` so the worker sees their rows.
    """
    from smarketing.celery import app

    _celery_session_worker.ensure_running()
    app.control.purge()  # nothing left over from an earlier test or run is delivered
    running = RunningWorker(_celery_session_worker)
    yield running
    # The test's tasks finish before transactional_db empties the tables under them;
    # a worker still busy after that is replaced for the next test.
    if not running.wait_until_idle(timeout=60):
        _celery_session_worker.stop()
