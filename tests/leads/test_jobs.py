"""leads.jobs: start, claim, progress, finish, fail — on the real database, with the
import runner (leads.intake.importing.import_job_run) as the worker where one is needed."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from leads import jobs
from leads.intake.importing import import_job_create, import_job_run
from leads.models import Job, Lead
from leads.scoring import predictive_services  # noqa: F401 (registers the predictive kind)
from tests.helpers import wait_until

COUNTS = {"created": 0, "updated": 0, "rejected": 0}


def import_job(user, *, rows: int = 5, chunk_size: int = 2, **fields) -> Job:
    """An import job of ``rows`` new leads (spreadsheet rows 2…), read ``chunk_size`` at a time."""
    text = "Email,Source\n" + "".join(f"l{n}@acme.example,website\n" for n in range(1, rows + 1))
    job = import_job_create(upload=SimpleUploadedFile("leads.csv", text.encode()), user=user)
    job.params = {**job.params, "chunk_size": chunk_size}
    for name, value in {"state": Job.State.PENDING, **fields}.items():
        setattr(job, name, value)
    job.save()
    return job


def emails() -> list[str]:
    return sorted(Lead.objects.values_list("email_normalised", flat=True))


# ------------------------------------------------------------------ claiming


@pytest.mark.django_db
def test_a_job_is_claimed_once_a_second_claim_is_refused(marketer):
    job = import_job(marketer)

    with jobs.claimed(job.pk, kind=Job.Kind.IMPORT) as first:
        assert first.state == Job.State.RUNNING
        assert first.started_at is not None
        # a second claim (a task delivered again) while the first is held: refused
        assert jobs.claim(job.pk, kind=Job.Kind.IMPORT) is None
        assert import_job_run(job_id=job.pk) is None
        assert Lead.objects.count() == 0

    # released (the first worker gave it up unfinished): the job runs to the end
    assert import_job_run(job_id=job.pk).state == Job.State.DONE
    assert emails() == [f"l{n}@acme.example" for n in range(1, 6)]


@pytest.mark.django_db
def test_a_claim_is_released_when_the_run_raises(marketer):
    job = import_job(marketer)

    with pytest.raises(ZeroDivisionError), jobs.claimed(job.pk, kind=Job.Kind.IMPORT):
        1 / 0  # noqa: B018

    with jobs.claimed(job.pk, kind=Job.Kind.IMPORT) as again:
        assert again is not None


@pytest.mark.django_db
def test_a_finished_draft_missing_or_other_kind_of_job_is_not_run(marketer):
    done = import_job(marketer, state=Job.State.DONE, result=dict(COUNTS))
    failed = import_job(marketer, state=Job.State.FAILED)
    draft = import_job(marketer, state=Job.State.DRAFT)
    rescore = Job.objects.create(kind=Job.Kind.RESCORE, state=Job.State.PENDING)

    for job in (done, failed, draft):
        assert jobs.claim(job.pk, kind=Job.Kind.IMPORT) is None
        assert import_job_run(job_id=job.pk) is None
    assert jobs.claim(rescore.pk, kind=Job.Kind.IMPORT) is None
    assert jobs.claim(987_654, kind=Job.Kind.IMPORT) is None

    assert Lead.objects.count() == 0
    assert dict(Job.objects.values_list("pk", "state")) == {
        done.pk: "done",
        failed.pk: "failed",
        draft.pk: "draft",
        rescore.pk: "pending",
    }
    # a refused claim holds nothing: the re-score job is claimed by its own kind
    with jobs.claimed(rescore.pk, kind=Job.Kind.RESCORE) as claimed:
        assert claimed.state == Job.State.RUNNING


@pytest.mark.django_db
def test_a_running_job_is_claimed_again_with_its_progress_or_restarted_from_zero():
    started = timezone.now() - timedelta(hours=1)
    job = Job.objects.create(
        kind=Job.Kind.RESCORE,
        state=Job.State.RUNNING,  # its worker died: nobody holds it
        done=40,
        total=100,
        started_at=started,
        params={"after_id": 40},
        result={"scored": 40},
    )

    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE) as resumed:
        assert (resumed.state, resumed.done, resumed.started_at) == ("running", 40, started)
        assert (resumed.params, resumed.result) == ({"after_id": 40}, {"scored": 40})

    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE, restart=True) as restarted:
        assert restarted.done == 0
        assert restarted.started_at > started
    job.refresh_from_db()
    assert (job.done, job.started_at) == (0, restarted.started_at)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_live_workers_job_is_refused_a_dead_workers_job_resumes_where_it_stopped(marketer):
    job = import_job(marketer)
    holding, die = threading.Event(), threading.Event()
    backend: list[int] = []
    failures: list[Exception] = []

    def first_worker() -> None:
        try:
            claimed = jobs.claim(job.pk, kind=Job.Kind.IMPORT)
            # it records its first chunk (spreadsheet rows 2-3) …
            jobs.progress(claimed, done=2, result={**COUNTS, "created": 2})
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend.append(cursor.fetchone()[0])
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            holding.set()
        die.wait(30)
        # … and dies without a word: its session, and claim, are gone (the socket is
        # closed, as a dead process's is; a pool would keep a connection given back)
        connection.connection.close()
        connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    assert holding.wait(30)
    assert failures == []

    # the task delivered again while the first worker lives: refused, nothing imported
    assert import_job_run(job_id=job.pk) is None
    assert Lead.objects.count() == 0

    die.set()
    worker.join(30)
    with connection.cursor() as cursor:  # the server ends the dead session

        def session_gone() -> bool:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", backend)
            return not cursor.fetchone()[0]

        wait_until(session_gone, timeout=10, what="the dead worker's session to end")

    # delivered again: resumed after the recorded chunk, the counts add up
    finished = import_job_run(job_id=job.pk)
    assert (finished.state, finished.done, finished.total) == ("done", 5, 5)
    assert finished.result == {**COUNTS, "created": 5}
    assert emails() == ["l3@acme.example", "l4@acme.example", "l5@acme.example"]


# ------------------------------------------------------- progress, finish, fail


@pytest.mark.django_db
def test_progress_writes_the_given_fields_and_moves_updated_at():
    job = Job.objects.create(kind=Job.Kind.RESCORE, params={"after_id": 0, "number": 3})
    before = job.updated_at

    jobs.progress(job, done=10, params={**job.params, "after_id": 77})

    stored = Job.objects.get(pk=job.pk)
    assert (stored.done, stored.total, stored.params) == (10, 0, {"after_id": 77, "number": 3})
    assert stored.updated_at > before
    assert (job.done, job.updated_at) == (10, stored.updated_at)


@pytest.mark.django_db
def test_finish_marks_it_done_and_it_is_not_run_again():
    job = jobs.start(Job.Kind.RESCORE, enqueue=False)
    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE) as claimed:
        jobs.finish(claimed, result={"scored": 3})

    job.refresh_from_db()
    assert (job.state, job.result) == ("done", {"scored": 3})
    assert job.finished_at is not None
    assert jobs.is_finished(job)
    assert jobs.claim(job.pk, kind=Job.Kind.RESCORE) is None


@pytest.mark.django_db
def test_fail_records_the_error_keeps_the_progress_and_the_job_is_not_run_again():
    job = jobs.start(Job.Kind.EVALUATION, total=9, enqueue=False)
    with jobs.claimed(job.pk, kind=Job.Kind.EVALUATION) as claimed:
        jobs.progress(claimed, done=4, result={"partial": True})
        jobs.fail(claimed, ValueError("the model vanished " + "x" * 600))

    job.refresh_from_db()
    message = ("the model vanished " + "x" * 600)[:500]
    assert (job.state, job.done, job.total) == ("failed", 4, 9)
    assert job.result == {"partial": True, "message": message}
    assert job.errors == [message]
    assert job.finished_at is not None
    assert jobs.claim(job.pk, kind=Job.Kind.EVALUATION) is None


@pytest.mark.django_db
def test_a_failed_import_keeps_its_rejected_rows_as_its_errors(marketer):
    rows = [{"row": 3, "errors": {"email": ["Enter a valid email address."]}}]
    job = import_job(marketer, state=Job.State.RUNNING, errors=rows)

    jobs.fail(job, "The file is empty.", in_errors=False)

    job.refresh_from_db()
    assert (job.state, job.result["message"], job.errors) == ("failed", "The file is empty.", rows)


# ------------------------------------------------------------ start, kinds


@pytest.mark.django_db
def test_start_queues_the_kinds_task_when_the_transaction_commits(
    marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = jobs.start(Job.Kind.PREDICTIVE, created_by=marketer, params={"min_count": 3})
        inline = jobs.start(Job.Kind.RESCORE, created_by=AnonymousUser(), enqueue=False)

    assert len(queued) == 1
    assert (job.kind, job.state, job.created_by, job.params) == (
        "predictive",
        "pending",
        marketer,
        {"min_count": 3},
    )
    assert (inline.state, inline.created_by) == ("pending", None)


def test_every_kind_is_run_by_a_task_the_worker_finds():
    from smarketing.celery import app

    app.loader.import_default_modules()  # as a starting worker does: the tasks modules

    assert jobs.registered() == {
        "import": "leads.tasks.import_leads",
        "rescore": "leads.tasks.rescore_leads",
        "evaluation": "leads.tasks.scoring_evaluation",
        "predictive": "leads.tasks.predictive_refresh",
    }
    assert set(jobs.registered()) == set(Job.Kind.values)
    assert set(jobs.registered().values()) <= set(app.tasks)


def test_a_kind_has_one_task():
    jobs.register(Job.Kind.RESCORE, task="leads.tasks.rescore_leads")  # again: fine
    with pytest.raises(ValueError, match="rescore_leads"):
        jobs.register(Job.Kind.RESCORE, task="leads.tasks.something_else")
    with pytest.raises(LookupError, match="sla_sweep"):
        jobs.task_name("sla_sweep")
