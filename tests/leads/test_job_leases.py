"""leads.jobs' leases and sweeper on the real database (issue 10 §3): a claim names its
worker and holds a lease that progress renews; the sweeper hands a dead worker's job
on, gives up after JOB_MAX_ATTEMPTS, and sends the tasks the broker never got; a
worker that lost its lease writes nothing more; a re-score that hits an unexpected
error and a predictive refresh that fails say why on the job's page.

The kill -9 runs with real workers are in test_job_crash.py, the broker-down publish
with a real worker in test_job_outbox.py. Messages are read back from a
``filesystem://`` broker folder (``tests.leads.brokers``)."""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from leads import jobs
from leads.intake.importing import import_job_create, import_rows, job_table
from leads.models import Job, Lead
from leads.scoring.engine import default_model
from leads.scoring.predictive_services import predictive_refresh_run
from leads.scoring.rescore import RESCORE_FAILED, rescore_job_run
from leads.scoring.services import scoring_model_create_draft, scoring_model_publish
from leads.tasks import jobs_sweep
from tests.factories import LeadFactory
from tests.helpers import wait_until
from tests.leads.brokers import DEAD_BROKER, celery_app_on, filesystem_options

pytestmark = pytest.mark.django_db

ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def running_job(**fields) -> Job:
    """A re-score job some worker (named ``worker``) is on, 40 leads in."""
    values = {
        "kind": Job.Kind.RESCORE,
        "state": Job.State.RUNNING,
        "done": 40,
        "total": 100,
        "attempts": 1,
        "worker": "host-a:101:dead",
        "params": {"version": 1, "number": 2, "reason": "publish", "after_id": 40},
        "result": {"scored": 40, "changed": 3, "became_mql": 1},
        "started_at": timezone.now() - timedelta(minutes=5),
        **fields,
    }
    return Job.objects.create(**values)


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


@pytest.fixture
def broker(tmp_path):
    """A ``filesystem://`` broker for the test; ``broker.sent()`` lists what was sent."""

    class Broker:
        folder = tmp_path / "broker"
        options = filesystem_options(folder)

        def sent(self) -> list[tuple[str, list]]:
            messages = []
            for path in sorted((self.folder / "in").iterdir()):
                message = json.loads(path.read_text())
                args = json.loads(base64.b64decode(message["body"]))[0]
                messages.append((message["headers"]["task"], args))
            return messages

    with celery_app_on("filesystem://", Broker.options):
        yield Broker()


# ------------------------------------------------------------------ the lease


def test_a_claim_names_its_worker_counts_the_attempt_and_progress_renews_the_lease():
    job = jobs.start(Job.Kind.RESCORE, enqueue=False)
    lease = timedelta(seconds=django_settings.JOB_LEASE_SECONDS)

    before = timezone.now()
    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE) as claimed:
        stored = Job.objects.get(pk=job.pk)
        assert (stored.state, stored.attempts) == ("running", 1)
        assert stored.worker == claimed.worker
        assert f":{os.getpid()}:" in stored.worker
        assert before + lease <= stored.lease_expires_at <= timezone.now() + lease

        Job.objects.filter(pk=job.pk).update(lease_expires_at=ago(1))  # as if time went by
        renewed_from = timezone.now()
        jobs.progress(claimed, done=5)
        stored.refresh_from_db()
        assert stored.done == 5
        assert stored.lease_expires_at >= renewed_from + lease

    # released unfinished (its runner raised, say): the lease ends now, nobody holds it
    stored.refresh_from_db()
    assert (stored.state, stored.worker) == ("running", "")
    assert stored.lease_expires_at <= timezone.now()
    assert stored.stalled


@pytest.mark.django_db(transaction=True)
def test_during_a_long_step_a_timer_renews_the_lease(settings):
    settings.JOB_LEASE_SECONDS = 1  # renewed every third of a second
    job = jobs.start(Job.Kind.RESCORE, enqueue=False)

    def lease():
        return Job.objects.get(pk=job.pk).lease_expires_at

    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE):
        first = lease()
        # no progress is reported: the runner is in one long step
        second = wait_until(lambda: lease() > first and lease(), timeout=10, what="a renewal")
        wait_until(lambda: lease() > second, timeout=10, what="another renewal")

    assert lease() <= timezone.now()  # released: the timer stopped, the lease ended


def test_a_finished_job_holds_no_lease():
    job = jobs.start(Job.Kind.RESCORE, enqueue=False)
    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE) as claimed:
        jobs.finish(claimed, result={"scored": 0})
    job.refresh_from_db()
    assert (job.state, job.worker, job.lease_expires_at, job.attempts) == ("done", "", None, 1)


def test_a_worker_whose_job_was_handed_on_writes_nothing_more():
    job = jobs.start(Job.Kind.EVALUATION, total=9, enqueue=False)
    claimed = jobs.claim(job.pk, kind=Job.Kind.EVALUATION)
    try:
        # it stood still past its lease; the sweeper gave the job to another worker
        Job.objects.filter(pk=job.pk).update(
            worker="host-b:202:alive", lease_expires_at=timezone.now() + timedelta(minutes=1)
        )
        with pytest.raises(jobs.LeaseLost):
            jobs.progress(claimed, done=3, result={"partial": True})
        with pytest.raises(jobs.LeaseLost):
            jobs.finish(claimed, result={"whole": True})
        jobs.fail(claimed, ValueError("late"))
    finally:
        jobs.release(claimed)

    job.refresh_from_db()
    assert (job.state, job.done, job.result, job.errors) == ("running", 0, {}, [])
    assert job.worker == "host-b:202:alive"  # release left the new worker's lease alone
    assert job.lease_expires_at > timezone.now()


def test_an_import_chunk_and_its_progress_are_one_transaction():
    text = "Email,Source\n" + "".join(f"r{n}@acme.example,website\n" for n in range(1, 7))
    job = import_job_create(upload=SimpleUploadedFile("six.csv", text.encode()), user=None)
    seen: list[int] = []

    def record(chunk, total):
        seen.append(total.done)
        if total.done == 4:
            raise RuntimeError("the worker dies while recording its second chunk")

    with pytest.raises(RuntimeError):
        import_rows(
            table=job_table(job=job),
            mapping=job.params["mapping"],
            chunk_size=2,
            on_chunk=record,
        )

    # the second chunk's leads went with its progress: a resumed run starts at row 3
    assert seen == [2, 4]
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "r1@acme.example",
        "r2@acme.example",
    ]


@pytest.mark.skipif(ON_POSTGRES, reason="without PostgreSQL's run lock the lease decides")
def test_without_postgresql_a_live_lease_keeps_other_workers_off():
    job = running_job(lease_expires_at=timezone.now() + timedelta(seconds=30))

    assert jobs.claim(job.pk, kind=Job.Kind.RESCORE) is None

    Job.objects.filter(pk=job.pk).update(lease_expires_at=ago(1))
    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE) as resumed:
        assert (resumed.done, resumed.attempts) == (40, 2)


@pytest.mark.postgres
def test_on_postgresql_the_run_lock_decides_a_dead_workers_lease_does_not_wait():
    job = running_job(lease_expires_at=timezone.now() + timedelta(seconds=30))

    # nobody holds its run lock: the worker that wrote that lease is gone
    with jobs.claimed(job.pk, kind=Job.Kind.RESCORE) as resumed:
        assert (resumed.done, resumed.attempts) == (40, 2)


# ---------------------------------------------------------------- the sweeper


def test_the_sweeper_queues_a_dead_workers_job_again_with_its_progress(broker):
    dead = running_job(lease_expires_at=ago(1))
    unleased = running_job(lease_expires_at=None)  # from before leases; not moved for long
    Job.objects.filter(pk=unleased.pk).update(updated_at=ago(3600))
    alive = running_job(worker="host-b:202:alive", lease_expires_at=ago(-30))

    outcome = jobs.sweep()

    assert (outcome.requeued, outcome.given_up) == ([dead.pk, unleased.pk], [])
    assert outcome.sent == [dead.pk, unleased.pk]
    assert broker.sent() == [
        ("leads.tasks.rescore_leads", [dead.pk]),
        ("leads.tasks.rescore_leads", [unleased.pk]),
    ]
    dead.refresh_from_db()
    assert (dead.state, dead.worker, dead.lease_expires_at) == ("pending", "", None)
    assert (dead.done, dead.attempts, dead.params["after_id"]) == (40, 1, 40)
    assert dead.result == {"scored": 40, "changed": 3, "became_mql": 1}
    assert dead.sent_at is not None
    alive.refresh_from_db()
    assert (alive.state, alive.worker) == ("running", "host-b:202:alive")

    # a second sweep (or a second sweeper) finds nothing to do
    assert jobs.sweep().to_dict() == {"requeued": 0, "given_up": 0, "sent": 0, "unsent": 0}
    assert len(broker.sent()) == 2


@pytest.mark.postgres
def test_the_sweeper_leaves_a_job_whose_run_lock_a_live_session_holds(broker):
    job = jobs.start(Job.Kind.RESCORE, enqueue=False)
    claimed = jobs.claim(job.pk, kind=Job.Kind.RESCORE)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=ago(1))  # late: a long step

    assert jobs.sweep().requeued == []

    jobs.release(claimed)  # its session let go: now it is a dead worker's job
    assert jobs.sweep(now=timezone.now() + timedelta(seconds=1)).requeued == [job.pk]


def test_the_sweeper_gives_up_after_the_last_attempt_and_the_page_says_why(
    broker, client, marketer, settings
):
    settings.JOB_MAX_ATTEMPTS = 2
    job = running_job(attempts=2, lease_expires_at=ago(1), created_by=marketer)

    outcome = jobs.sweep()

    assert (outcome.requeued, outcome.given_up, broker.sent()) == ([], [job.pk], [])
    job.refresh_from_db()
    assert (job.state, job.worker, job.lease_expires_at) == ("failed", "", None)
    assert job.result["message"] == jobs.GAVE_UP
    assert job.finished_at is not None
    client.force_login(marketer)
    url = reverse("leads:job_detail", args=[job.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Given up: the worker running this job stopped before finishing it" in page
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已放弃" in page
    assert "Given up" not in page


def test_a_job_claimed_the_last_allowed_time_is_not_claimed_again(settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = running_job(attempts=2, state=Job.State.PENDING, worker="", lease_expires_at=None)

    assert jobs.claim(job.pk, kind=Job.Kind.RESCORE) is None

    job.refresh_from_db()
    assert (job.state, job.result["message"], job.attempts) == ("failed", jobs.GAVE_UP, 2)


def test_the_sweeper_sends_queued_jobs_never_sent_or_sent_long_ago(broker, settings):
    settings.JOB_RESEND_AFTER_SECONDS = 300

    def pending(**fields) -> Job:
        job = Job.objects.create(kind=Job.Kind.PREDICTIVE, state=Job.State.PENDING)
        Job.objects.filter(pk=job.pk).update(updated_at=ago(60), **fields)
        return job

    never_sent = pending(sent_at=None)
    sent_long_ago = pending(sent_at=ago(301))
    pending(sent_at=ago(60))  # its message is still waiting in the queue
    Job.objects.create(kind=Job.Kind.RESCORE, state=Job.State.PENDING)  # run inline, now
    draft = pending(state=Job.State.DRAFT)  # an import waiting for its mapping
    Job.objects.filter(pk=draft.pk).update(kind=Job.Kind.IMPORT)

    outcome = jobs.sweep()

    assert outcome.sent == [never_sent.pk, sent_long_ago.pk]
    assert broker.sent() == [
        ("leads.tasks.predictive_refresh", [never_sent.pk]),
        ("leads.tasks.predictive_refresh", [sent_long_ago.pk]),
    ]
    never_sent.refresh_from_db()
    assert never_sent.sent_at > ago(5)


def test_with_the_broker_down_the_sweeper_keeps_the_jobs_for_its_next_round(caplog):
    first = running_job(lease_expires_at=ago(1))
    second = running_job(lease_expires_at=ago(1))

    with celery_app_on(DEAD_BROKER), caplog.at_level(logging.WARNING, logger="leads.jobs"):
        outcome = jobs.sweep()

    assert (outcome.requeued, outcome.sent, outcome.unsent) == (
        [first.pk, second.pk],
        [],
        [first.pk],
    )
    assert "could not send job" in caplog.text
    assert list(
        Job.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", "sent_at")
    ) == [
        ("pending", None),
        ("pending", None),
    ]


def test_a_job_started_while_the_broker_is_down_is_recorded_and_not_sent(
    django_capture_on_commit_callbacks, marketer
):
    with celery_app_on(DEAD_BROKER), django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(Job.Kind.PREDICTIVE, created_by=marketer)

    job.refresh_from_db()
    assert (job.state, job.sent_at) == ("pending", None)


def test_a_job_started_while_the_broker_is_up_records_when_it_was_sent(
    broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start(Job.Kind.PREDICTIVE)

    job.refresh_from_db()
    assert job.sent_at is not None
    assert broker.sent() == [("leads.tasks.predictive_refresh", [job.pk])]


def test_beats_sweep_task_sweeps(broker):
    dead = running_job(lease_expires_at=ago(1))

    assert jobs_sweep() == {"requeued": 1, "given_up": 0, "sent": 1, "unsent": 0}
    assert broker.sent() == [("leads.tasks.rescore_leads", [dead.pk])]


def test_the_sweeper_runs_every_thirty_seconds_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["jobs-sweep"]
    assert (entry["task"], entry["schedule"]) == ("leads.tasks.jobs_sweep", 30.0)
    assert entry["options"]["expires"] < 30  # a missed sweep is not run late


# ------------------------------------------------------------ the job's page


def test_the_page_says_when_a_job_waits_for_a_worker_or_for_the_queue(client, sdr):
    client.force_login(sdr)
    stalled = running_job(lease_expires_at=ago(1))
    unsent = Job.objects.create(kind=Job.Kind.PREDICTIVE, state=Job.State.PENDING)
    Job.objects.filter(pk=unsent.pk).update(updated_at=ago(60))
    working = running_job(lease_expires_at=ago(-30))

    def note(job: Job) -> str:
        return client.get(reverse("leads:job_progress", args=[job.pk])).json()["status_note"]

    assert note(stalled).startswith("The worker running this job stopped.")
    assert note(unsent).startswith("The task queue could not be reached.")
    assert note(working) == ""
    page = client.get(reverse("leads:job_detail", args=[stalled.pk])).content.decode()
    assert "The worker running this job stopped." in page
    page = client.get(
        reverse("leads:job_detail", args=[unsent.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "无法连接任务队列" in page


# ------------------------------------------- failures a person can read


def test_a_rescore_that_hits_an_unexpected_error_fails_saying_so(client, marketer, caplog):
    LeadFactory.create_batch(3)
    draft = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    version, job = scoring_model_publish(version=draft, user=marketer, enqueue=False)
    # the stored definition is damaged (say, by a hand-made SQL fix): the engine raises
    type(version).objects.filter(pk=version.pk).update(definition={"rules": "?"})

    with caplog.at_level(logging.ERROR, logger="leads.jobs"):
        finished = rescore_job_run(job_id=job.pk)

    assert finished.state == Job.State.FAILED  # not left "running" for ever
    assert finished.result["message"] == RESCORE_FAILED
    assert finished.errors == [RESCORE_FAILED]
    assert (finished.worker, finished.lease_expires_at) == ("", None)
    assert "Traceback" in caplog.text  # the details are in the log
    client.force_login(marketer)
    page = client.get(reverse("leads:job_detail", args=[job.pk])).content.decode()
    assert "The re-score stopped on an unexpected error" in page
    assert page.count("The re-score stopped on an unexpected error") == 1


def test_a_failed_predictive_refresh_says_why_on_its_page(client, marketer):
    # a refresh asked for with a min_count no longer allowed (queued by an older version)
    job = jobs.start(Job.Kind.PREDICTIVE, params={"min_count": 10**9}, enqueue=False)

    failed = predictive_refresh_run(job_id=job.pk)

    assert failed.state == Job.State.FAILED
    assert failed.result["message"] == "must be between 0 and 1000000"
    client.force_login(marketer)
    page = client.get(reverse("leads:job_detail", args=[job.pk])).content.decode()
    assert "The job stopped with an error." in page
    assert "must be between 0 and 1000000" in page
