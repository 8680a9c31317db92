"""A worker killed with SIGKILL mid-job (issue 10 §3): the job resumes on another worker
as soon as its lease expires and the sweeper hands it on, with nothing lost and
nothing done twice — an import and a re-score.

Two real workers on the test database and the session's broker — Redis where
REDIS_URL is set (CI's PostgreSQL pass), else the ``filesystem://`` broker of
``make run``, which forgets a message once a worker has taken it (the SQLite pass):
the session's worker (``celery_worker_process``), which resumes the job, and one of
the test's own with a 2-second lease (``JOB_LEASE_SECONDS``), listening on a queue of
its own so that it is the one that takes the job first, killed by PID once the job's
``done`` passes a threshold. The sweeper runs here, in the test, as beat runs it
every 30 s; its re-sent task goes to the default queue, to the session's worker.
"""

from __future__ import annotations

import os
import signal

import pytest
from celery import current_app
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from leads import jobs
from leads.intake.importing import import_job_create
from leads.intake.services import leads_ingest
from leads.models import Job, Lead, LeadEvent
from leads.scoring.engine import default_model
from leads.scoring.services import scoring_model_create_draft, scoring_model_publish
from tests.conftest import SessionWorker
from tests.helpers import wait_for_job, wait_until

pytestmark = pytest.mark.celery_worker

DOOMED_QUEUE = "doomed"  # the queue only the worker to be killed listens on


@pytest.fixture
def doomed_worker(celery_worker_process, migration_rows, tmp_path):
    """The test's own worker: 2-second lease, its own queue; killed by the test."""
    worker = SessionWorker(
        {**celery_worker_process.worker.env, "JOB_LEASE_SECONDS": "2"},
        tmp_path / "doomed-worker.log",
        args=("-Q", DOOMED_QUEUE),
    )
    worker.ensure_running()
    yield worker
    worker.stop()
    if settings.CELERY_BROKER_URL.startswith("redis"):
        # Its message waits in Redis' "unacked" set for the visibility timeout (an
        # hour), to be delivered again then: not to a worker of a later run.
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")


def run_on(worker: SessionWorker, job: Job) -> None:
    """Send ``job``'s task to ``worker``'s own queue (as ``jobs.enqueue`` does to the
    default queue) and wait until it has claimed the job."""
    current_app.send_task(jobs.task_name(job.kind), args=[job.pk], queue=DOOMED_QUEUE)
    wait_until(
        lambda: f":{worker.proc.pid}:" in Job.objects.get(pk=job.pk).worker,
        timeout=30,
        interval=0.02,
        what=f"job {job.pk} to be claimed",
    )


def kill_when(worker: SessionWorker, job: Job, *, done: int) -> Job:
    """SIGKILL ``worker`` once ``job`` has ``done`` items done; the job as it left it."""
    wait_until(
        lambda: Job.objects.get(pk=job.pk).done >= done,
        timeout=60,
        interval=0.02,
        what=f"job {job.pk} to pass {done}",
    )
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)
    return Job.objects.get(pk=job.pk)


def hand_on(job: Job) -> None:
    """Run the sweeper until it queues ``job`` again (its lease expired, and on
    PostgreSQL the dead worker's session — and run lock — is gone)."""
    wait_until(
        lambda: job.pk in jobs.sweep().requeued, timeout=30, what="the sweeper to hand it on"
    )


def test_an_import_whose_worker_is_killed_resumes_and_saves_every_row_once(
    doomed_worker, celery_worker_process, marketer
):
    rows = 1000
    text = "Email,Source\n" + "".join(f"row{n}@acme.example,website\n" for n in range(rows))
    job = import_job_create(upload=SimpleUploadedFile("big.csv", text.encode()), user=marketer)
    job.params = {**job.params, "chunk_size": 50}
    job.state = Job.State.PENDING
    job.save()
    run_on(doomed_worker, job)

    killed = kill_when(doomed_worker, job, done=200)

    assert killed.state == Job.State.RUNNING
    assert 200 <= killed.done < rows
    # what the dead worker saved is exactly what the job recorded: rows and progress
    # commit together, so the resumed run starts at the first row not saved
    assert Lead.objects.count() == killed.done

    hand_on(job)
    job = wait_for_job(job)

    assert job.state == Job.State.DONE, celery_worker_process.log()
    assert (job.done, job.total, job.attempts) == (rows, rows, 2)
    assert job.result == {"created": rows, "updated": 0, "rejected": 0}
    assert Lead.objects.count() == rows
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.CREATED).count() == rows
    assert "leads.tasks.import_leads[" in celery_worker_process.log()


def test_a_rescore_whose_worker_is_killed_resumes_and_scores_every_lead_once(
    doomed_worker, celery_worker_process, marketer
):
    count = 600
    leads_ingest(
        rows=[
            {"email": f"lead{n}@acme.example", "source_channel": "website"} for n in range(count)
        ],
        source_system="crm",
    )
    draft = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    version, job = scoring_model_publish(version=draft, user=marketer, enqueue=False)
    Job.objects.filter(pk=job.pk).update(params={**job.params, "chunk_size": 20})
    run_on(doomed_worker, job)

    killed = kill_when(doomed_worker, job, done=100)

    assert killed.state == Job.State.RUNNING
    assert 100 <= killed.done < count
    # scores and the resume point commit together
    scored = Lead.objects.filter(score_model=version).values_list("pk", flat=True)
    assert len(scored) == killed.done
    assert killed.params["after_id"] == max(scored)

    hand_on(job)
    job = wait_for_job(job)

    assert job.state == Job.State.DONE, celery_worker_process.log()
    assert (job.done, job.total, job.attempts) == (count, count, 2)
    assert job.result["scored"] == count
    assert Lead.objects.filter(score_model=version).count() == count
    assert "leads.tasks.rescore_leads[" in celery_worker_process.log()
