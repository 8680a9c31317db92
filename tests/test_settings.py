"""Settings: typed env helpers fail loudly; production settings pass check --deploy;
every variable settings reads is listed in .env.example; compose file is valid."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from smarketing.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def test_env_bool_reads_words_and_rejects_junk(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG", default=False) is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG", default=True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", default=False)


def test_env_int_rejects_junk(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert env_int("X_NUM", 3) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        env_int("X_NUM", 3)


def test_env_list_and_required_str(monkeypatch):
    monkeypatch.setenv("X_LIST", " a.com, b.com ,,")
    assert env_list("X_LIST", []) == ["a.com", "b.com"]
    monkeypatch.delenv("X_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_MISSING"):
        env_str("X_MISSING")


def _manage(*args, env_overrides, tmp_path):
    # Only what a deployer sets: not the test run's own switches (the browser
    # tests' DJANGO_ALLOW_ASYNC_UNSAFE would make check --deploy report async.E001).
    dropped = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    env["SMARKETING_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "smarketing.example.com",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/smarketing",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_secret_key_fails_loudly(tmp_path):
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "x.example.com"}
    os_env_secret = os.environ.get("SECRET_KEY")
    if os_env_secret:
        pytest.skip("SECRET_KEY is set in this environment")
    result = _manage("check", env_overrides=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_warns_about_sqlite_and_filesystem_broker(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        env_overrides={
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "smarketing.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
        },
        tmp_path=tmp_path,
    )
    assert "smarketing.W001" in result.stderr
    assert "smarketing.W002" in result.stderr


def test_env_example_lists_every_variable_settings_reads():
    sources = (ROOT / "smarketing" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list|path)\(\s*"([A-Z_]+)"', sources))
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no variables found in settings.py"
    assert read - listed == set()


@pytest.mark.parametrize(("value", "threshold"), [(None, "5"), ("true", "5"), ("false", "None")])
def test_prepared_statements_on_postgresql_follow_the_environment(
    monkeypatch, tmp_path, value, threshold
):
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused"}
    if value is not None:
        env["DATABASE_PREPARED_STATEMENTS"] = value
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])",
        env_overrides=env,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == threshold


def test_docker_compose_file_is_valid(tmp_path):
    compose = shutil.which("docker-compose")
    if compose is None:
        if IN_CI:
            pytest.fail("CI=true but docker-compose is missing (.ci/run installs it)")
        pytest.skip("docker-compose not installed (apt-get install docker-compose)")
    env = dict(os.environ, SECRET_KEY="validation-only")
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config", "--services"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
