"""Helpers for tests: waiting on a condition (never for a fixed time), and data made
once for several tests.

``wait_until`` polls a condition with a short interval until it holds or a
deadline passes; ``wait_for_job`` waits for a ``leads.models.Job`` to finish;
``rolled_back`` holds data that a class or module of read-only tests shares.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")

POLL = 0.05  # seconds between two looks: a wait ends at most this long after its condition


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float = 30,
    what: str = "the condition",
    interval: float = POLL,
    sleep: Callable[[float], object] = time.sleep,
) -> T:
    """``condition()``'s first truthy value; ``AssertionError`` after ``timeout`` seconds.

    Deadlines use ``time.monotonic``, which time-machine leaves running, so this works
    under frozen time too. ``sleep`` lets a browser test wait through Playwright.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        sleep(interval)


def wait_for_job(job, timeout: float = 90):
    """``job`` refreshed from the database until it is DONE or FAILED, or ``timeout``
    seconds passed; returned in whatever state it is then, so the test's own assertion
    on ``job.state`` fails with its message (e.g. the Celery worker's log)."""
    from leads.models import Job

    def finished() -> bool:
        job.refresh_from_db()
        return job.state in (Job.State.DONE, Job.State.FAILED)

    with contextlib.suppress(AssertionError):
        wait_until(finished, timeout=timeout, what=f"job {job.pk} to finish")
    return job


@contextlib.contextmanager
def rolled_back(using: str = "default"):
    """A transaction that is always rolled back, for data that several read-only tests
    share: a class- or module-scoped fixture makes its rows inside (with
    ``django_db_blocker.unblock()``), and each test's own atomic block (pytest-django's
    ``db``) nests in it as a savepoint. Works on SQLite and PostgreSQL; not for
    ``transactional_db`` tests, which need committed rows."""
    with transaction.atomic(using=using):
        yield
        transaction.set_rollback(True, using=using)
