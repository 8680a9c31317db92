"""The cast, the API clients, and the rules for tests that need real services.

Markers: ``postgres`` (needs PostgreSQL), ``redis``, ``celery_worker``,
``browser``. Outside CI a test whose service is missing is skipped and listed
at the end of the run with the command that runs it; with ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import TeamFactory, UserFactory

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
    if not _SKIPPED_SERVICES:
        return
    terminalreporter.section("skipped: services missing on this machine")
    for service, why in _SKIPPED_SERVICES.items():
        count = sum(
            1
            for rep in terminalreporter.stats.get("skipped", [])
            if HOW_TO_RUN[service] in str(rep.longrepr)
        )
        terminalreporter.write_line(
            f"{count} {service} test(s) skipped — {why}. Run them with: {HOW_TO_RUN[service]}"
        )


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


class RunningWorker:
    def __init__(self, proc, log_path: Path):
        self.proc = proc
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for_log(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.1)
        return False


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real ``celery worker`` subprocess on the test database and the test broker.

    Uses Redis when REDIS_URL is set, else kombu's filesystem transport in a
    temporary folder. Tests using it must be ``transactional_db`` so the worker
    sees their rows.
    """
    env = dict(os.environ)
    db = connection.settings_dict
    if _is_postgres():
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env["SMARKETING_VAR_DIR"] = str(settings.VAR_DIR)
    env["SMARKETING_BROKER_DIR"] = str(settings.CELERY_BROKER_FOLDER)
    from smarketing.celery import app

    app.control.purge()  # nothing left over from an earlier run is delivered
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
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
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "ready." in (tmp_path / "worker.log").read_text():
            break
        if proc.poll() is not None:
            raise RuntimeError("celery worker died:\n" + (tmp_path / "worker.log").read_text())
        time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("celery worker did not start:\n" + (tmp_path / "worker.log").read_text())
    yield RunningWorker(proc=proc, log_path=tmp_path / "worker.log")
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
