"""Exactly once (issue 12 §4): one notification per clock, step and recipient whatever
happens — two sweeps at once (threads on their own PostgreSQL connections), the row
locks alone, a sweep rolled back; the sweep task sent twice to a real Celery worker on
Redis; a worker SIGKILLed in the middle of the sweep's transaction, then the next
sweep on a live worker."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from sla.models import Clock, Notification, TeamSla, WebhookDelivery
from sla.notify.sweep import sweep
from sla.tasks import sweep as sweep_task
from tests.conftest import SessionWorker
from tests.helpers import wait_until
from tests.sla.notify.conftest import T0, make_clock

H = timedelta(hours=1)


def _cast(sdr, sdr_team_east, sales_manager, director, *, clocks=10, start=T0):
    TeamSla.objects.get_or_create(
        team=sdr_team_east, defaults={"webhook_url": "http://127.0.0.1:9/"}
    )
    return [make_clock(owner=sdr, team=sdr_team_east, start=start) for _ in range(clocks)]


def _each_once(expected: int) -> None:
    keys = Counter(Notification.objects.values_list("clock", "step", "recipient"))
    assert len(keys) == expected
    assert set(keys.values()) == {1}
    hooks = Counter(WebhookDelivery.objects.values_list("team", "clock", "step"))
    assert set(hooks.values()) <= {1}


def _in_thread(work, results, index):
    try:
        results[index] = work()
    except BaseException as exc:  # noqa: BLE001 — reported by the test
        results[index] = exc
    finally:
        connection.close()


@pytest.mark.postgres
def test_four_sweeps_at_once_make_each_row_once(
    transactional_db, migration_rows, sdr, sdr_team_east, sales_manager, director
):
    _cast(sdr, sdr_team_east, sales_manager, director, clocks=20)
    start = threading.Barrier(4)
    results: list = [None] * 4

    def work():
        start.wait()
        return sweep(now=T0 + 9 * H)

    threads = [threading.Thread(target=_in_thread, args=(work, results, i)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [r for r in results if isinstance(r, BaseException)], results
    # breach → sam, manager → max, director → dana: 60 rows, made by one of the sweeps
    assert sum(r.get("notifications", 0) for r in results) == 60
    _each_once(60)
    assert WebhookDelivery.objects.count() == 60


@pytest.mark.postgres
@pytest.mark.parametrize("first_ends", ["commit", "rollback"])
def test_the_row_locks_alone_keep_it_once(
    transactional_db, migration_rows, sdr, sdr_team_east, sales_manager, director, first_ends
):
    """Without the advisory lock: the second sweep's UPDATE waits on the first's row
    locks; after a commit it re-checks its WHERE and skips every row; after a rollback
    (a killed worker) it takes them all."""
    _cast(sdr, sdr_team_east, sales_manager, director, clocks=5)
    now = T0 + 9 * H
    claimed = threading.Event()
    results: list = [None, None]
    second_pid: list[int] = []

    def first():
        with transaction.atomic():
            counts = sweep(now=now, exclusive=False)
            claimed.set()
            # hold the row locks until the second sweep waits on them
            wait_until(
                lambda: second_pid and _waiting_on_a_lock(second_pid[0]),
                timeout=30,
                what="the second sweep to wait on the row locks",
            )
            if first_ends == "rollback":
                transaction.set_rollback(True)
        return counts

    def second():
        claimed.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            second_pid.append(cursor.fetchone()[0])
        return sweep(now=now, exclusive=False)

    threads = [
        threading.Thread(target=_in_thread, args=(work, results, i))
        for i, work in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [r for r in results if isinstance(r, BaseException)], results
    one, two = results
    assert one["notifications"] == 15
    if first_ends == "commit":
        assert (two["breach"], two["manager"], two["director"], two["notifications"]) == (
            0,
            0,
            0,
            0,
        )
    else:
        assert two["notifications"] == 15
    _each_once(15)


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row and row[0] == "Lock")


# --- a real worker ---------------------------------------------------------------------


def _due_now(sdr, sdr_team_east, sales_manager, director, clocks=5):
    """Clocks whose breach, manager and director points passed an hour ago (real time)."""
    return _cast(
        sdr, sdr_team_east, sales_manager, director, clocks=clocks, start=timezone.now() - 9 * H
    )


@pytest.mark.redis
@pytest.mark.celery_worker
def test_the_sweep_task_sent_twice_makes_each_row_once_and_mails_each(
    celery_worker_process, migration_rows, sdr, sdr_team_east, sales_manager, director
):
    _due_now(sdr, sdr_team_east, sales_manager, director)
    sweep_task.delay()
    sweep_task.delay()

    def both_done():
        return (
            celery_worker_process.log().count("Task sla.tasks.sweep[") >= 4
        )  # 2 × received, succeeded

    wait_until(both_done, timeout=60, what="two sweeps")
    assert celery_worker_process.wait_until_idle()
    _each_once(15)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    log = celery_worker_process.log()
    for row in Notification.objects.all():  # the console backend writes the email to the log
        assert str(row.delivery_id) in log
    assert "raised" not in log


DOOMED_QUEUE = "doomed-sla"


@pytest.fixture
def pause_key():
    import redis

    key = f"smarketing:test-sla-pause:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield key, client
    client.delete(key, f"{key}:reached")


@pytest.fixture
def doomed_worker(celery_worker_process, migration_rows, tmp_path, pause_key):
    """A worker of the test's own, on its own queue, whose sweep waits mid-transaction
    (``SLA_SWEEP_PAUSE_KEY``): SIGKILLed by the test."""
    worker = SessionWorker(
        {**celery_worker_process.worker.env, "SLA_SWEEP_PAUSE_KEY": pause_key[0]},
        tmp_path / "doomed-worker.log",
        args=("-Q", DOOMED_QUEUE),
    )
    worker.ensure_running()
    yield worker
    worker.stop()
    if settings.CELERY_BROKER_URL.startswith("redis"):
        import redis

        # its message would be delivered again after the visibility timeout (an hour)
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")


@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.postgres
def test_a_worker_killed_mid_sweep_leaves_nothing_and_the_next_sweep_makes_each_row_once(
    doomed_worker, celery_worker_process, pause_key, sdr, sdr_team_east, sales_manager, director
):
    key, redis_client = pause_key
    clocks = _due_now(sdr, sdr_team_east, sales_manager, director)
    current_app.send_task("sla.tasks.sweep", queue=DOOMED_QUEUE)
    wait_until(lambda: redis_client.exists(f"{key}:reached"), timeout=30, what="the sweep to pause")
    # mid-transaction: its first claims are made, not committed
    assert not Notification.objects.exists()
    assert not Clock.objects.filter(warned_sent_at__isnull=False).exists()

    os.kill(doomed_worker.proc.pid, signal.SIGKILL)
    doomed_worker.proc.wait(timeout=10)
    # PostgreSQL sees the connection gone and rolls the transaction back
    wait_until(lambda: not _open_transactions(), timeout=30, what="the rollback")
    assert not Notification.objects.exists()
    assert not WebhookDelivery.objects.exists()

    sweep_task.delay()  # the next minute's sweep, on a live worker
    wait_until(lambda: Notification.objects.count() == 15, timeout=60, what="the next sweep's rows")
    assert celery_worker_process.wait_until_idle()
    _each_once(15)
    assert WebhookDelivery.objects.count() == 15
    assert (
        Clock.objects.filter(pk__in=[c.pk for c in clocks], breach_sent_at__isnull=True).count()
        == 0
    )


def _open_transactions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
        )
        return cursor.fetchone()[0]
