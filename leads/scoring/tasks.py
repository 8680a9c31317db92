"""Celery tasks of scoring: thin, by id, re-runnable. The names stay
``leads.tasks.…`` wherever the tasks are written (``leads.jobs`` sends a job's task
by name; beat's schedule in settings names the nightly ones)."""

from celery import shared_task

from leads.scoring.analysis import evaluation_job_run
from leads.scoring.predictive_services import predictive_refresh_nightly, predictive_refresh_run
from leads.scoring.rescore import rescore_job_run, rescore_nightly


@shared_task(name="leads.tasks.rescore_leads", ignore_result=True, acks_late=True)
def rescore_leads(job_id: int) -> None:
    """Run (or resume) the re-score job ``job_id``; see leads.scoring.rescore."""
    rescore_job_run(job_id=job_id)


@shared_task(name="leads.tasks.rescore_open_leads_nightly", ignore_result=True)
def rescore_open_leads_nightly() -> None:
    """Re-score every open lead with the published model: decay moves scores with time.
    Once per night, whoever sends it (see ``rescore_nightly``)."""
    rescore_nightly()


@shared_task(name="leads.tasks.scoring_evaluation", ignore_result=True, acks_late=True)
def scoring_evaluation(job_id: int) -> None:
    """Evaluate a scoring model against history (job ``job_id``); see leads.scoring.analysis."""
    evaluation_job_run(job_id=job_id)


@shared_task(name="leads.tasks.predictive_refresh", ignore_result=True, acks_late=True)
def predictive_refresh(job_id: int | None = None) -> None:
    """Retrain the predictive score and re-predict every open lead (job ``job_id``;
    beat's nightly run passes none and gets the night's job: once per night)."""
    if job_id is None:
        predictive_refresh_nightly()
    else:
        predictive_refresh_run(job_id=job_id)
