"""One beat schedules at a time (smarketing/beat.py), and every periodic job runs once
per period whoever sends it (issue 10 §3: two ``celery beat`` processes ran the
heartbeat twice and the nightly re-score as two full jobs).

The locks on their own (real Redis, a real file lock), then two real ``celery beat``
processes and the session's real worker on Redis, every entry sent each second.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from leads.models import Job, Lead
from leads.scoring.services import ensure_default_model
from leads.scoring.tasks import rescore_open_leads_nightly
from smarketing.beat import FileBeatLock, RedisBeatLock, beat_lock
from tests.factories import AccountFactory, LeadFactory
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
CELERY = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
SENDS = "Scheduler: Sending due task"


# How each entry of beat's schedule runs at most once per period (README, "Beat: one
# scheduler, once per period"). A new entry is made idempotent per period, then listed.
ONCE_PER_PERIOD = {
    "leads.tasks.heartbeat": "PeriodicRun 'heartbeat': one run per HEARTBEAT_SECONDS slot",
    "leads.tasks.rescore_open_leads_nightly": "Job.period: one re-score job per night",
    "leads.tasks.predictive_refresh": "Job.period: one refresh job per night",
    "leads.tasks.jobs_sweep": "by nature: conditional UPDATEs of expired leases and unsent jobs",
    "sla.tasks.sweep": "by nature: each clock step is claimed by one conditional UPDATE",
    "sla.tasks.catch_up": "by nature: a lead's clocks are recomputed from its events",
    "sla.tasks.freeze_reports": "by nature: a month's first report version is unique",
}


def test_every_beat_entry_runs_once_per_period_and_expires(settings):
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in ONCE_PER_PERIOD, f"{name}: idempotent per period? list it"
        assert entry["options"]["expires"] > 0, f"{name}: missed sends must not pile up"


# --- the locks ---------------------------------------------------------------------


@pytest.fixture
def redis_key():
    return f"smarketing:test-beat-lock:{uuid.uuid4().hex}"


@pytest.mark.redis
def test_one_redis_lock_holder_the_others_stand_by_until_it_goes(redis_key):
    active = RedisBeatLock(settings.CELERY_BROKER_URL, ttl=5, key=redis_key)
    standby = RedisBeatLock(settings.CELERY_BROKER_URL, ttl=5, key=redis_key)

    assert active.hold() is True
    assert standby.hold() is False
    assert active.hold() is True  # renewed
    assert standby.holder() == active.token

    active.release()  # a clean stop: the standby takes over at once
    assert standby.hold() is True
    assert active.hold() is False


@pytest.mark.redis
def test_a_dead_holders_redis_lock_expires_and_a_standby_takes_over(redis_key):
    dead = RedisBeatLock(settings.CELERY_BROKER_URL, ttl=1, key=redis_key)
    standby = RedisBeatLock(settings.CELERY_BROKER_URL, ttl=1, key=redis_key)
    assert dead.hold() is True
    assert standby.hold() is False

    # the holder stops renewing (killed, frozen): the key lives one TTL more
    wait_until(standby.hold, timeout=5, what="the standby to take the lock")
    # a holder that comes back from a freeze finds it taken and stands by
    assert dead.hold() is False
    assert standby.hold() is True


def test_without_redis_a_beat_sends_nothing_and_does_not_crash():
    lock = RedisBeatLock("redis://127.0.0.1:1/0", ttl=1)  # nothing listens there
    assert lock.hold() is False


def test_one_file_lock_holder_the_others_stand_by(tmp_path):
    path = tmp_path / "celerybeat.lock"
    active, standby = FileBeatLock(path), FileBeatLock(path)

    assert active.hold() is True
    assert standby.hold() is False
    assert active.hold() is True
    assert standby.holder() == f"{os.uname().nodename}:{os.getpid()}"

    active.release()
    assert standby.hold() is True
    standby.release()


def test_a_killed_processs_file_lock_is_free_at_once(tmp_path):
    path = tmp_path / "celerybeat.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
            " fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        standby = FileBeatLock(path)
        assert standby.hold() is False
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert standby.hold() is True  # the kernel let it go with the process
        standby.release()
    finally:
        if holder.poll() is None:
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait()


def test_the_lock_follows_the_broker(tmp_path, settings):
    settings.BEAT_LOCK_FILE = tmp_path / "beat.lock"
    assert isinstance(beat_lock("redis://127.0.0.1:6379/9"), RedisBeatLock)
    lock = beat_lock("filesystem://")
    assert isinstance(lock, FileBeatLock)
    assert lock.path == tmp_path / "beat.lock"
    assert settings.CELERY_BEAT_SCHEDULER == "smarketing.beat:LockedScheduler"


# --- two real beats, a real worker ------------------------------------------------------


class Beat:
    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self.proc, self.log_path = proc, log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def beats(celery_worker_process, _celery_session_worker, tmp_path, redis_key):
    """Start ``celery beat`` processes on the test broker, each with its own schedule
    file, every entry sent each second, a 2 s lock; killed by PID at the end (before
    the worker is waited for)."""
    started: list[Beat] = []

    def start(name: str) -> Beat:
        env = dict(_celery_session_worker.env, BEAT_EVERY_SECONDS="1", BEAT_LOCK_TTL="2")
        log = tmp_path / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [CELERY, "-A", "smarketing", "beat", "-l", "INFO"]
                + ["--schedule", str(tmp_path / f"{name}-schedule"), "--pidfile="],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        beat = Beat(proc, log)
        started.append(beat)
        return beat

    yield start
    for beat in started:
        if beat.proc.poll() is None:
            os.kill(beat.proc.pid, signal.SIGKILL)
        beat.proc.wait()


def succeeded(worker, task: str) -> int:
    return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", worker.log()))


def heartbeat_periods(worker) -> list[str]:
    return re.findall(r"smarketing heartbeat of (\S+)$", worker.log(), re.MULTILINE)


@pytest.mark.redis
@pytest.mark.celery_worker
def test_two_beats_one_schedules_and_each_periodic_job_runs_once_per_period(
    beats, celery_worker_process, migration_rows
):
    ensure_default_model(enqueue=False)
    for _ in range(4):
        LeadFactory(account=AccountFactory(employees=500, industry="Software", country="US"))
    open_leads = Lead.objects.count()
    worker = celery_worker_process

    started = (beats("one"), beats("two"))  # at once: either may win the lock

    def active_and_standby():
        active = [beat for beat in started if "holds the beat lock" in beat.log()]
        standby = [beat for beat in started if "standing by" in beat.log()]
        return len(active) == len(standby) == 1 and (active[0], standby[0])

    first, second = wait_until(active_and_standby, timeout=60, what="one active, one standby")

    # every entry is sent each second: wait for several sends of each to be worked
    def worked(task: str, times: int):
        return lambda: succeeded(worker, task) >= times

    for task in ("heartbeat", "rescore_open_leads_nightly", "predictive_refresh"):
        wait_until(worked(f"leads.tasks.{task}", 3), timeout=30, what=f"3 runs of {task}")

    assert SENDS not in second.log()  # the standby sent nothing
    nightly = Job.objects.filter(kind=Job.Kind.RESCORE, params__reason="nightly")
    assert nightly.count() == 1, worker.log()
    assert (nightly.get().state, nightly.get().done) == (Job.State.DONE, open_leads)
    assert Job.objects.filter(kind=Job.Kind.PREDICTIVE).count() == 1
    periods = heartbeat_periods(worker)  # 300 s periods: sent 3+ times, ran once each
    assert periods
    assert set(collections.Counter(periods).values()) == {1}, worker.log()

    # the active beat dies without a word: the standby takes over within the TTL
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait()
    wait_until(lambda: SENDS in second.log(), timeout=15, what="beat 2 to take over")
    assert "holds the beat lock" in second.log()
    runs = succeeded(worker, "leads.tasks.rescore_open_leads_nightly")
    wait_until(worked("leads.tasks.rescore_open_leads_nightly", runs + 2), timeout=30)

    assert nightly.count() == 1
    assert Job.objects.filter(kind=Job.Kind.PREDICTIVE).count() == 1
    assert set(collections.Counter(heartbeat_periods(worker)).values()) == {1}


def test_on_the_filesystem_broker_of_make_run_one_beat_holds_the_file_lock(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_XDIST_WORKER", "REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL")
    }
    env.update(SMARKETING_VAR_DIR=str(tmp_path), BEAT_EVERY_SECONDS="1")
    started = []
    try:
        for name in ("one", "two"):
            log = tmp_path / f"{name}.log"
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    [CELERY, "-A", "smarketing", "beat", "-l", "INFO", "--pidfile="]
                    + ["--schedule", str(tmp_path / f"{name}-schedule")],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append(Beat(proc, log))

        def sending_and_standing_by():
            logs = sorted((beat.log() for beat in started), key=lambda log: SENDS in log)
            return "standing by" in logs[0] and SENDS in logs[1]

        wait_until(sending_and_standing_by, timeout=60, what="one beat sending, one standing by")
        active = next(beat for beat in started if SENDS in beat.log())
        assert f"file lock {tmp_path / 'celerybeat.lock'}" in active.log()
        # The messages it sent (beat logs "Sending" before the broker writes the file).
        broker = tmp_path / "broker"
        wait_until(
            lambda: broker.is_dir() and any(broker.iterdir()),
            timeout=30,
            what="the sent messages in the broker folder",
        )
    finally:
        for beat in started:
            if beat.proc.poll() is None:
                os.kill(beat.proc.pid, signal.SIGKILL)
            beat.proc.wait()
    assert sum(SENDS in beat.log() for beat in started) == 1


@pytest.mark.redis
@pytest.mark.celery_worker
def test_the_nightly_rescore_sent_twice_the_same_night_makes_one_job(
    celery_worker_process, migration_rows
):
    ensure_default_model(enqueue=False)
    for _ in range(3):
        LeadFactory(account=AccountFactory(employees=500, industry="Software", country="US"))

    rescore_open_leads_nightly.delay()
    rescore_open_leads_nightly.delay()

    task = "leads.tasks.rescore_open_leads_nightly"
    wait_until(lambda: succeeded(celery_worker_process, task) == 2, timeout=60, what="two runs")
    job = Job.objects.get(kind=Job.Kind.RESCORE, params__reason="nightly")
    assert (job.state, job.done, job.result["scored"]) == (Job.State.DONE, 3, 3)
    assert f"is job {job.pk} already" in celery_worker_process.log()
