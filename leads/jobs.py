"""Long jobs (``leads.models.Job``): start, claim, progress, finish, fail, the lease
that proves a worker is still on a job, the sweeper that hands a dead worker's job
to another — and who may see one. Every runner (the spreadsheet import, the re-score,
the evaluation, the predictive refresh) goes through here; a new kind (an SLA sweep,
a monthly report) registers its Celery task's name and uses the same calls.

This is a core module: it imports ``leads.models``, ``leads.people.roles`` and Django /
Celery only, never a capability module. Capabilities call it; it never calls them.

Kinds and tasks
    ``register(kind, task="leads.tasks.…")`` names the Celery task that runs a
    job of ``kind``; ``start`` / ``enqueue`` send it by that name
    (``send_task``), so no runner imports a tasks module. The call sits at the top
    of the module that starts such jobs (it is imported wherever one is started:
    a page, the API, the worker), not in the tasks module (only the worker
    imports that). The task itself is thin — it takes the job's id and calls the
    runner — and lives in its package's ``tasks.py``, which the worker finds
    through ``smarketing/celery.py``. A new kind (an SLA sweep, a monthly report):
    a ``Job.Kind`` choice, ``register``, a task, and a runner that claims, records
    progress and finishes or fails through this module.

States
    ``draft`` (an import waiting for its column mapping; not runnable) →
    ``pending`` (queued) → ``running`` → ``done`` or ``failed``. ``done`` and
    ``failed`` are final (``FINISHED``): such a job is never run again — a
    re-delivered task finds nothing to do. A ``running`` job whose worker died goes
    back to ``pending`` (the sweeper, below), so a page never says "running" about
    a job nobody runs for longer than a lease and a sweep.

Starting: the row first, then the message (an outbox)
    ``start(kind, …)`` creates the ``pending`` row and, unless ``enqueue=False``
    (the caller runs it inline), sends the task when the caller's transaction
    commits: the worker never looks for a row that is not there yet.
    ``enqueue(job)`` sends the task for a row that exists already. Sending records
    ``sent_at``; a broker that cannot be reached (Redis down) is logged and does not
    fail the caller — the page or the API answers as usual with the job
    ``pending`` — and the row, with ``sent_at`` empty, is the outbox entry the
    sweeper sends once the broker is back.
    ``start_once(kind, period=…)`` is ``start`` for a periodic job: at most one job
    of ``kind`` per ``period`` (``leads.periods``; a unique constraint on the row),
    so a second send in the same period — a second beat, a re-delivered message,
    a person — gets the first job back (``created`` False) and sends nothing.

Claiming
    A runner claims the job before doing any work: ``with claimed(job_id,
    kind=…) as job``. The claim turns ``pending`` (or ``running``, see Resuming)
    into ``running`` under the row's lock, sets ``started_at`` the first time,
    counts the attempt (``attempts``), names this worker (``worker``: host, process
    and a random part, the claim's token) and gives it a lease
    (``lease_expires_at`` = now + ``JOB_LEASE_SECONDS``). It gives None — do
    nothing — when the job is gone, of another kind, a draft, finished, or held by
    another worker. On PostgreSQL it holds a session-level advisory lock on the job
    for the length of the ``with`` block, so two workers (a task that Redis
    delivered again while the first worker is still on it) never run the same job
    at once: the lock, not the lease, decides who may claim there, and a dead
    worker's lock goes with its session. Elsewhere (SQLite, ``make run``'s worker
    processes) a running job is claimed only once its lease has expired. The lock
    lives on the worker's database session: it needs a session of its own (no
    connection pooler in transaction mode). A job already claimed
    ``JOB_MAX_ATTEMPTS`` times is not claimed again: it fails, "given up"
    (``GAVE_UP``).

The lease
    The worker renews its lease with every ``progress`` and, for steps longer than
    that (a spreadsheet being read, a model being trained), on a timer: a thread of
    ``claimed`` renews it every third of ``JOB_LEASE_SECONDS``. ``progress``,
    ``finish`` and ``fail`` check that the row still names this claim's worker; when
    it does not (the sweeper gave the job to another worker while this one stood
    still), ``progress`` and ``finish`` raise ``LeaseLost`` — a chunk written in the
    same transaction is rolled back — and ``fail`` leaves the row to its new owner.
    ``release`` (the end of ``claimed``) ends the lease of a job left unfinished (a
    runner that raised), which the sweeper then hands on like a dead worker's.

The sweeper (``sweep``, beat's ``leads.tasks.jobs_sweep`` every 30 s)
    1. a ``running`` job whose lease expired (or that has none and has not moved for
       a lease) and whose run lock nobody holds (PostgreSQL) lost its worker (killed,
       out of memory, the machine restarted): it goes back to ``pending`` and its task
       is sent again; after ``JOB_MAX_ATTEMPTS`` claims it fails instead (``GAVE_UP``,
       shown on its page). A job whose lock is held is alive, however late its lease.
    2. a ``pending`` job whose task was never sent (``sent_at`` empty for more than
       ``UNSENT_GRACE``: jobs run inline are ``pending`` for an instant) or was sent
       more than ``JOB_RESEND_AFTER_SECONDS`` ago (a message lost with a worker that
       took it off the filesystem broker and died before claiming) is sent again.
    A message sent twice is harmless: the second finds the job running (refused) or
    finished (nothing to do). Hence the broker's own redelivery (Redis' visibility
    timeout, an hour) is left alone: it must stay longer than the longest job (a
    100,000-lead re-score runs about 90 s), or a live job would be delivered again
    to a second worker; the lease and the sweeper resume a dead worker's job within
    ``JOB_LEASE_SECONDS`` and a sweep (90 s by default). ``task_reject_on_worker_lost``
    stays off: a job that kills its worker would otherwise be redelivered at once,
    again and again; the sweeper counts attempts instead. The filesystem broker of
    ``make run`` forgets a message once a worker has taken it, dead or alive; the
    sweeper works the same there.

Resuming
    Claiming a job again is how it resumes: the runner reads its resume point from
    the job and carries on from there. Each runner records that point with its
    progress after every chunk (``progress``), in the chunk's own transaction where
    the chunk is not idempotent: the number of items done when items have an order
    of their own (an import's rows: ``done``, written with the chunk's leads, so no
    row is imported twice and none is skipped), else the last id done (the
    re-score's ``params["after_id"]``, written in the same transaction as the
    chunk's scores; the predictive refresh's ``result["last_id"]``, whose chunks
    only overwrite each lead's prediction with the same snapshot's, so a chunk done
    twice changes nothing). A kind that cannot resume claims with ``restart=True``
    and starts again from zero (``done`` = 0, a new ``started_at``): the evaluation.

Progress, finish, fail
    ``progress(job, done=…, total=…, result=…, params=…, errors=…)`` writes the
    given fields (and ``updated_at``: a job that has not moved for long is
    stalled; and the lease) in one UPDATE, in the caller's transaction if there is
    one. ``finish(job, result=…)`` marks it ``done`` with ``finished_at``.
    ``fail(job, error, reason=…)`` marks it ``failed``: the message — ``reason``
    when given (what a person can act on; ``error`` then goes to the log with its
    traceback), else ``error``'s text, 500 characters at most — goes to
    ``result["message"]`` and to ``errors`` unless the runner says otherwise — an
    import's ``errors`` are its rejected rows, so its message goes to the result
    only; the predictive refresh's message is in the result only; the re-score's
    "model version is gone" is in its errors only. Reasons written by this code
    are stored as their English msgid (``gettext_noop``) and translated when shown
    (``Job.failure_reasons``).

Who may see a job
    ``visible_to(viewer=…)``: an admin every job; anyone else the jobs they
    started and the scoring jobs (``SHARED_KINDS``: re-score, evaluation,
    predictive refresh), which everyone who reads scores may follow. Outside it
    a job does not exist for them (404), on the pages and in the API.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from leads.models import Job
from leads.people import roles

logger = logging.getLogger(__name__)

RUNNABLE = (Job.State.PENDING, Job.State.RUNNING)
FINISHED = (Job.State.DONE, Job.State.FAILED)
# Jobs whose progress any signed-in user may follow (scoring is read by everyone);
# an import job shows the importer's file, so only its creator and admins see it.
SHARED_KINDS = (Job.Kind.RESCORE, Job.Kind.EVALUATION, Job.Kind.PREDICTIVE)
MESSAGE_MAX = 500
# A job run inline (``start(enqueue=False)``) is pending, unsent, for the instant
# before its runner claims it: the sweeper leaves unsent jobs this young alone.
UNSENT_GRACE = Job.UNSENT_GRACE

# Stored untranslated, shown translated (``Job.failure_reasons``).
GAVE_UP = gettext_noop(
    "Given up: the worker running this job stopped before finishing it, attempt after"
    " attempt. Rows and scores it saved are kept; the details are in the workers' log."
)

_tasks: dict[str, str] = {}


class LeaseLost(Exception):
    """This worker's claim on a job is gone: its lease expired and the sweeper handed
    the job to another worker. The work in hand is dropped (its transaction rolls
    back); the job goes on with its new worker."""


# ------------------------------------------------------------------ kinds


def register(kind: str, *, task: str) -> None:
    """Jobs of ``kind`` are run by the Celery task registered as ``task``."""
    known = _tasks.setdefault(kind, task)
    if known != task:
        raise ValueError(f"job kind {str(kind)!r} is run by {known!r} already, not {task!r}")


def task_name(kind: str) -> str:
    """The name of the Celery task that runs jobs of ``kind``."""
    try:
        return _tasks[kind]
    except KeyError:
        raise LookupError(f"no task is registered for jobs of kind {str(kind)!r}") from None


def registered() -> dict[str, str]:
    """Every registered kind and the name of its task."""
    return dict(_tasks)


# ---------------------------------------------------------------- starting


def start(
    kind: str,
    *,
    created_by: Any = None,
    params: dict[str, Any] | None = None,
    total: int = 0,
    enqueue: bool = True,
    period: str | None = None,
) -> Job:
    """A new ``pending`` job of ``kind``; its task is sent when the caller's
    transaction commits (``enqueue=False``: the caller runs it itself)."""
    if enqueue:
        task_name(kind)  # an unregistered kind fails here, before its row exists
    job = Job.objects.create(
        kind=kind,
        state=Job.State.PENDING,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        params=params or {},
        total=total,
        period=period,
    )
    if enqueue:
        _send_on_commit(job)
    return job


def start_once(
    kind: str,
    *,
    period: str,
    params: dict[str, Any] | None = None,
    enqueue: bool = True,
) -> tuple[Job, bool]:
    """The job of ``kind`` for ``period``, and whether this call created it (see the
    module docs); only a created job's task is sent."""
    existing = Job.objects.filter(kind=kind, period=period).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return start(kind, params=params, enqueue=enqueue, period=period), True
    except IntegrityError:  # another sender created it since: theirs is the one
        return Job.objects.get(kind=kind, period=period), False


def _send_on_commit(job: Job) -> None:
    name = task_name(job.kind)

    def deliver() -> None:
        job.sent_at = send(job.pk, task=name) or job.sent_at  # the caller's copy too

    transaction.on_commit(deliver)


def enqueue(job: Job) -> None:
    """Send ``job``'s task (by its registered name) when the transaction commits."""
    _send_on_commit(job)


def send(job_id: int, *, task: str) -> datetime | None:
    """Hand job ``job_id``'s task to the broker now and record when (``sent_at``,
    returned). None when the broker cannot be reached: logged, never raised — the
    row waits for the sweeper (see the module docs)."""
    try:
        current_app.send_task(task, args=[job_id])
    except Exception:  # noqa: BLE001 (whatever the transport raises: the row is the outbox)
        logger.warning(
            "could not send job %s to the broker (%s); the sweeper will send it",
            job_id,
            task,
            exc_info=True,
        )
        return None
    sent_at = timezone.now()
    Job.objects.filter(pk=job_id).update(sent_at=sent_at)
    return sent_at


# ---------------------------------------------------------------- claiming

_LOCK_CLASS = 0x4A4F42  # "JOB": the first int of the two-int advisory lock key
_held_here: set[tuple[str, int]] = set()  # without PostgreSQL: claims of this process
_held_here_lock = threading.Lock()


def _lock_key(job_id: int) -> int:
    return job_id % 2**31  # the second int of the key (ids stay far below 2**31)


def _lock(job_id: int) -> bool:
    """Take the job's run lock; False when someone — this session included — has it."""
    if connection.vendor == "postgresql":
        key = _lock_key(job_id)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN EXISTS ("
                " SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                " AND pid = pg_backend_pid() AND classid = %s AND objid = %s"
                ") THEN false ELSE pg_try_advisory_lock(%s, %s) END",
                [_LOCK_CLASS, key, _LOCK_CLASS, key],
            )
            return bool(cursor.fetchone()[0])
    with _held_here_lock:
        if (connection.alias, job_id) in _held_here:
            return False
        _held_here.add((connection.alias, job_id))
        return True


def _unlock(job_id: int) -> None:
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, _lock_key(job_id)]
                )
        except DatabaseError:  # the session is gone, and the lock with it
            logger.warning("could not release the run lock of job %s", job_id, exc_info=True)
        return
    with _held_here_lock:
        _held_here.discard((connection.alias, job_id))


def _locked_elsewhere() -> set[int]:
    """Lock keys of the jobs whose run lock a live session of this database holds
    (PostgreSQL; elsewhere nothing is known, and the lease alone decides)."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
            " AND granted AND classid = %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [_LOCK_CLASS],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def lease() -> timedelta:
    """How long a claim holds without being renewed (``JOB_LEASE_SECONDS``)."""
    return timedelta(seconds=max(1, settings.JOB_LEASE_SECONDS))


def _token(job: Job) -> str:
    """The worker name this process's claim wrote on ``job`` (empty: not claimed
    here). Kept beside the fields: ``refresh_from_db`` must not change whose it is."""
    return getattr(job, "_lease_token", "")


def _new_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:200]


def _held_by_lease(job: Job, now: datetime) -> bool:
    """A running job whose lease another worker holds (renewed, not expired)."""
    return (
        job.state == Job.State.RUNNING
        and bool(job.worker)
        and job.lease_expires_at is not None
        and job.lease_expires_at > now
    )


def claim(job_id: int, *, kind: str, restart: bool = False) -> Job | None:
    """Claim the job for this worker (see the module docs); None: leave it alone.
    The caller must ``release`` a job it got; ``claimed`` does both."""
    if not _lock(job_id):
        logger.info("job %s is being run by another worker", job_id)
        return None
    job = None
    try:
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=job_id, kind=kind).first()
            now = timezone.now()
            if job is None or job.state not in RUNNABLE:
                job = None
            elif connection.vendor != "postgresql" and _held_by_lease(job, now):
                # Without the run lock, the lease says who is on it.
                logger.info(
                    "job %s is held by %s until %s", job_id, job.worker, job.lease_expires_at
                )
                job = None
            elif job.attempts >= settings.JOB_MAX_ATTEMPTS:
                _give_up(job, now=now)
                job = None
            else:
                job.state = Job.State.RUNNING
                if restart:
                    job.done = 0
                    job.started_at = now
                else:
                    job.started_at = job.started_at or now
                job.attempts += 1
                job.worker = _new_token()
                job.lease_expires_at = now + lease()
                job.save(
                    update_fields=[
                        "state",
                        "done",
                        "started_at",
                        "attempts",
                        "worker",
                        "lease_expires_at",
                        "updated_at",
                    ]
                )
                job._lease_token = job.worker  # type: ignore[attr-defined]
    finally:
        if job is None:
            _unlock(job_id)
    return job


def release(job: Job) -> None:
    """Give up the claim on ``job`` (whatever its state): an unfinished job's lease
    ends now, so the sweeper hands it on at its next round."""
    token = _token(job)
    if token:
        try:
            Job.objects.filter(pk=job.pk, worker=token).update(
                worker="", lease_expires_at=timezone.now()
            )
        except DatabaseError:  # the database is gone: the lease expires by itself
            logger.warning("could not clear the lease of job %s", job.pk, exc_info=True)
        job._lease_token = ""  # type: ignore[attr-defined]
    _unlock(job.pk)


class _LeaseTimer:
    """Renews a claim's lease every third of a lease, on a thread (and its own
    database connection) of its own, while the runner is in a long step."""

    def __init__(self, job: Job):
        self.job_id, self.token = job.pk, _token(job)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"job-{job.pk}-lease", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        interval = lease().total_seconds() / 3
        try:
            while not self.stopped.wait(interval):
                try:
                    Job.objects.filter(
                        pk=self.job_id, worker=self.token, state=Job.State.RUNNING
                    ).update(lease_expires_at=timezone.now() + lease())
                except DatabaseError:  # tried again at the next tick; progress renews too
                    logger.warning(
                        "could not renew the lease of job %s", self.job_id, exc_info=True
                    )
        finally:
            connection.close()  # this thread's own

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=lease().total_seconds())


@contextmanager
def claimed(job_id: int, *, kind: str, restart: bool = False) -> Iterator[Job | None]:
    """``claim`` for the length of the ``with`` block, its lease renewed on a timer,
    then ``release``. Inside the caller's transaction (a job run inline by a test or
    the demo seed) there is no timer: the row is the caller's until it commits, no
    sweeper sees it, and the timer's own connection would only wait on its locks."""
    job = claim(job_id, kind=kind, restart=restart)
    timer = _LeaseTimer(job) if job is not None and not connection.in_atomic_block else None
    try:
        yield job
    finally:
        if job is not None:
            if timer is not None:
                timer.stop()
            release(job)


def lock_held(job: Job) -> Job | None:
    """``job``'s row, locked FOR UPDATE in the caller's transaction, while this claim
    still holds it (running, this worker's); None when it does not — stop there.
    For a runner that re-reads its job at every chunk (the re-score)."""
    row = Job.objects.select_for_update().filter(pk=job.pk).first()
    token = _token(job)
    if row is None or row.state != Job.State.RUNNING or (token and row.worker != token):
        return None
    row._lease_token = token  # type: ignore[attr-defined]
    return row


# ---------------------------------------------------- progress, finish, fail


def progress(
    job: Job,
    *,
    done: int | None = None,
    total: int | None = None,
    result: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    errors: list[Any] | None = None,
) -> Job:
    """Record the given fields (and ``updated_at``, and the lease) on ``job`` and in
    its row; ``LeaseLost`` when another worker has the job now."""
    now = timezone.now()
    fields = {
        name: value
        for name, value in (
            ("done", done),
            ("total", total),
            ("result", result),
            ("params", params),
            ("errors", errors),
        )
        if value is not None
    }
    fields["updated_at"] = now
    rows = Job.objects.filter(pk=job.pk)
    token = _token(job)
    if token:
        fields["lease_expires_at"] = now + lease()
        rows = rows.filter(worker=token)
    if not rows.update(**fields) and token:
        raise LeaseLost(f"job {job.pk} is no longer held by {token}")
    for name, value in fields.items():
        setattr(job, name, value)
    return job


def finish(job: Job, *, result: dict[str, Any] | None = None) -> Job:
    """Mark ``job`` done (with ``result`` when given) and save it whole;
    ``LeaseLost`` when another worker has the job now."""
    token = _token(job)
    with transaction.atomic():
        if token and not Job.objects.select_for_update().filter(pk=job.pk, worker=token).exists():
            raise LeaseLost(f"job {job.pk} is no longer held by {token}")
        if result is not None:
            job.result = result
        job.state = Job.State.DONE
        job.finished_at = timezone.now()
        job.worker, job.lease_expires_at = "", None
        job.save()
    logger.info("%s job %s done", job.kind, job.pk)
    return job


def fail(
    job: Job,
    error: BaseException | str,
    *,
    reason: str | None = None,
    in_result: bool = True,
    in_errors: bool = True,
) -> Job:
    """Mark ``job`` failed with ``reason`` (else ``error``'s message), read afresh
    from its row (its progress so far is kept). ``in_result``: the message goes to
    ``result["message"]``; ``in_errors``: it is added to ``errors``. A job another
    worker holds now is left to it."""
    token = _token(job)
    if isinstance(error, LeaseLost):
        logger.warning("%s job %s: %s; its new worker goes on", job.kind, job.pk, error)
        job.refresh_from_db()
        return job
    message = str(reason if reason is not None else error)[:MESSAGE_MAX]
    if isinstance(error, BaseException):
        logger.error("%s job %s failed", job.kind, job.pk, exc_info=error)
    else:
        logger.warning("%s job %s failed: %s", job.kind, job.pk, error)
    with transaction.atomic():
        row = Job.objects.select_for_update().filter(pk=job.pk).first()
        if row is None:
            return job
        job.refresh_from_db()
        if token and row.worker != token:
            logger.warning("%s job %s is held by %s now; left to it", job.kind, job.pk, row.worker)
            return job
        _mark_failed(job, message, in_result=in_result, in_errors=in_errors)
    return job


def _mark_failed(job: Job, message: str, *, in_result: bool, in_errors: bool) -> None:
    if in_result:
        job.result = {**(job.result or {}), "message": message}
    if in_errors:
        job.errors = [*(job.errors or []), message]
    job.state = Job.State.FAILED
    job.finished_at = timezone.now()
    job.worker, job.lease_expires_at = "", None
    job.save()


def _give_up(job: Job, *, now: datetime) -> None:
    """``job`` (locked by the caller) was claimed ``JOB_MAX_ATTEMPTS`` times and its
    worker died each time: it fails, saying so."""
    logger.error(
        "%s job %s given up after %s attempts (last worker %s)",
        job.kind,
        job.pk,
        job.attempts,
        job.worker or "unknown",
    )
    _mark_failed(job, GAVE_UP, in_result=True, in_errors=False)


# ---------------------------------------------------------------- the sweeper


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)  # running, their worker dead
    given_up: list[int] = field(default_factory=list)  # … for the last allowed time
    sent: list[int] = field(default_factory=list)  # tasks handed to the broker
    unsent: list[int] = field(default_factory=list)  # … that it would not take

    def to_dict(self) -> dict[str, int]:
        return {
            "requeued": len(self.requeued),
            "given_up": len(self.given_up),
            "sent": len(self.sent),
            "unsent": len(self.unsent),
        }


def sweep(*, now: datetime | None = None) -> SweepResult:
    """Hand the jobs of dead workers to live ones and send the tasks the broker
    never got (see the module docs). Safe to run twice at once: every change is a
    conditional UPDATE under the row's lock, and a task sent twice runs once."""
    now = now or timezone.now()
    outcome = SweepResult()
    expired = Q(lease_expires_at__lt=now) | Q(lease_expires_at=None, updated_at__lt=now - lease())
    stale = list(
        Job.objects.filter(expired, state=Job.State.RUNNING)
        .order_by("pk")
        .values_list("pk", "worker")
    )
    alive = _locked_elsewhere() if stale else set()
    for job_id, worker in stale:
        if _lock_key(job_id) in alive:
            logger.warning("job %s: lease expired, but its worker holds the run lock", job_id)
            continue
        with transaction.atomic():
            job = (
                Job.objects.select_for_update()
                .filter(expired, pk=job_id, state=Job.State.RUNNING, worker=worker)
                .first()
            )
            if job is None:  # claimed or finished meanwhile
                continue
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                _give_up(job, now=now)
                outcome.given_up.append(job_id)
                continue
            logger.warning(
                "%s job %s: its worker %s stopped (lease expired %s); queued again",
                job.kind,
                job_id,
                worker or "unknown",
                job.lease_expires_at,
            )
            job.state = Job.State.PENDING
            job.worker, job.lease_expires_at, job.sent_at = "", None, None
            job.save(update_fields=["state", "worker", "lease_expires_at", "sent_at", "updated_at"])
            outcome.requeued.append(job_id)
    resend = timedelta(seconds=settings.JOB_RESEND_AFTER_SECONDS)
    waiting = Job.objects.filter(state=Job.State.PENDING).filter(
        Q(pk__in=outcome.requeued)
        | Q(sent_at=None, updated_at__lt=now - UNSENT_GRACE)
        | Q(sent_at__lt=now - resend)
    )
    for job_id, kind in waiting.order_by("pk").values_list("pk", "kind"):
        try:
            name = task_name(kind)
        except LookupError:
            logger.error("job %s: no task is registered for its kind %r", job_id, kind)
            continue
        if send(job_id, task=name) is None:
            outcome.unsent.append(job_id)
            break  # the broker is down: the others wait for the next round
        outcome.sent.append(job_id)
    return outcome


# --------------------------------------------------------------- who sees


def visible_to(*, viewer: AbstractBaseUser) -> QuerySet[Job]:
    """The jobs ``viewer`` may follow (see the module docs); outside it, 404."""
    jobs = Job.objects.select_related("created_by")
    if roles.has_role(viewer, roles.ADMIN):
        return jobs
    return jobs.filter(Q(created_by=viewer) | Q(kind__in=SHARED_KINDS))


def is_finished(job: Job) -> bool:
    return job.state in FINISHED
