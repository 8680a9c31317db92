"""Long jobs (``leads.models.Job``): start, claim, progress, finish, fail — and who
may see one. Every runner (the spreadsheet import, the re-score, the evaluation,
the predictive refresh) goes through here; a new kind (an SLA sweep, a monthly
report) registers its Celery task's name and uses the same calls.

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
    re-delivered task finds nothing to do.

Starting
    ``start(kind, …)`` creates the ``pending`` row and, unless ``enqueue=False``
    (the caller runs it inline), sends the task when the caller's transaction
    commits: the worker never looks for a row that is not there yet.
    ``enqueue(job)`` sends the task for a row that exists already.
    ``start_once(kind, period=…)`` is ``start`` for a periodic job: at most one job
    of ``kind`` per ``period`` (``leads.periods``; a unique constraint on the row),
    so a second send in the same period — a second beat, a re-delivered message,
    a person — gets the first job back (``created`` False) and sends nothing.

Claiming
    A runner claims the job before doing any work: ``with claimed(job_id,
    kind=…) as job``. The claim turns ``pending`` (or ``running``, see Resuming)
    into ``running`` under the row's lock, sets ``started_at`` the first time,
    and gives None — do nothing — when the job is gone, of another kind, a
    draft, finished, or held by another worker. On PostgreSQL it holds a
    session-level advisory lock on the job for the length of the ``with``
    block, so two workers (a task that Redis delivered again while the first
    worker is still on it) never run the same job at once; elsewhere (SQLite,
    one process) a claim excludes other threads of the same process only. The
    lock lives on the worker's database session: it needs a session of its own
    (no connection pooler in transaction mode).

Resuming
    The Celery tasks acknowledge late: a worker that dies mid-job (and with it its
    database session, hence its claim) leaves the message to be delivered again,
    and the job ``running``. Claiming such a job again is how it resumes: the
    runner reads its resume point from the job and carries on from there. Each
    runner records that point with its progress after every chunk (``progress``):
    the number of items done when items have an order of their own (an import's
    rows: ``done``), else the last id done (the re-score's ``params["after_id"]``,
    written in the same transaction as the chunk's scores; the predictive
    refresh's ``result["last_id"]``). A kind that cannot resume claims with
    ``restart=True`` and starts again from zero (``done`` = 0, a new
    ``started_at``): the evaluation.

Progress, finish, fail
    ``progress(job, done=…, total=…, result=…, params=…, errors=…)`` writes the
    given fields (and ``updated_at``: a job that has not moved for long is
    stalled) in one UPDATE, in the caller's transaction if there is one.
    ``finish(job, result=…)`` marks it ``done`` with ``finished_at``.
    ``fail(job, error)`` marks it ``failed``: the message (500 characters at
    most) goes to ``result["message"]`` and to ``errors`` (the job page lists
    them) unless the runner says otherwise — an import's ``errors`` are its
    rejected rows, so its message goes to the result only; the predictive
    refresh's page reads the result only; the re-score's "model version is gone"
    is in its errors only.

Who may see a job
    ``visible_to(viewer=…)``: an admin every job; anyone else the jobs they
    started and the scoring jobs (``SHARED_KINDS``: re-score, evaluation,
    predictive refresh), which everyone who reads scores may follow. Outside it
    a job does not exist for them (404), on the pages and in the API.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import current_app
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from leads.models import Job
from leads.people import roles

logger = logging.getLogger(__name__)

RUNNABLE = (Job.State.PENDING, Job.State.RUNNING)
FINISHED = (Job.State.DONE, Job.State.FAILED)
# Jobs whose progress any signed-in user may follow (scoring is read by everyone);
# an import job shows the importer's file, so only its creator and admins see it.
SHARED_KINDS = (Job.Kind.RESCORE, Job.Kind.EVALUATION, Job.Kind.PREDICTIVE)
MESSAGE_MAX = 500

_tasks: dict[str, str] = {}


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
    name, job_id = task_name(job.kind), job.pk
    transaction.on_commit(lambda: current_app.send_task(name, args=[job_id]))


def enqueue(job: Job) -> None:
    """Send ``job``'s task (by its registered name) when the transaction commits."""
    _send_on_commit(job)


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
            if job is not None and job.state in RUNNABLE:
                now = timezone.now()
                job.state = Job.State.RUNNING
                if restart:
                    job.done = 0
                    job.started_at = now
                else:
                    job.started_at = job.started_at or now
                job.save(update_fields=["state", "done", "started_at", "updated_at"])
            else:
                job = None
    finally:
        if job is None:
            _unlock(job_id)
    return job


def release(job: Job) -> None:
    """Give up the claim on ``job`` (whatever its state)."""
    _unlock(job.pk)


@contextmanager
def claimed(job_id: int, *, kind: str, restart: bool = False) -> Iterator[Job | None]:
    """``claim`` for the length of the ``with`` block, then ``release``."""
    job = claim(job_id, kind=kind, restart=restart)
    try:
        yield job
    finally:
        if job is not None:
            release(job)


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
    """Record the given fields (and ``updated_at``) on ``job`` and in its row."""
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
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    Job.objects.filter(pk=job.pk).update(**fields)
    return job


def finish(job: Job, *, result: dict[str, Any] | None = None) -> Job:
    """Mark ``job`` done (with ``result`` when given) and save it whole."""
    if result is not None:
        job.result = result
    job.state = Job.State.DONE
    job.finished_at = timezone.now()
    job.save()
    logger.info("%s job %s done", job.kind, job.pk)
    return job


def fail(
    job: Job, error: BaseException | str, *, in_result: bool = True, in_errors: bool = True
) -> Job:
    """Mark ``job`` failed with ``error``'s message, read afresh from its row
    (its progress so far is kept). ``in_result``: the message goes to
    ``result["message"]``; ``in_errors``: it is added to ``errors``."""
    message = str(error)[:MESSAGE_MAX]
    if isinstance(error, BaseException):
        logger.error("%s job %s failed", job.kind, job.pk, exc_info=error)
    else:
        logger.warning("%s job %s failed: %s", job.kind, job.pk, message)
    job.refresh_from_db()
    if in_result:
        job.result = {**(job.result or {}), "message": message}
    if in_errors:
        job.errors = [*(job.errors or []), message]
    job.state = Job.State.FAILED
    job.finished_at = timezone.now()
    job.save()
    return job


# --------------------------------------------------------------- who sees


def visible_to(*, viewer: AbstractBaseUser) -> QuerySet[Job]:
    """The jobs ``viewer`` may follow (see the module docs); outside it, 404."""
    jobs = Job.objects.select_related("created_by")
    if roles.has_role(viewer, roles.ADMIN):
        return jobs
    return jobs.filter(Q(created_by=viewer) | Q(kind__in=SHARED_KINDS))


def is_finished(job: Job) -> bool:
    return job.state in FINISHED
