"""Celery tasks of intake: thin, by id, re-runnable. The name stays
``leads.tasks.…`` wherever the task is written (``leads.jobs`` sends it by name)."""

from celery import shared_task

from leads.intake.importing import import_job_run


@shared_task(name="leads.tasks.import_leads", ignore_result=True, acks_late=True)
def import_leads_task(job_id: int) -> None:
    """Run (or resume after a crash) the import job ``job_id``; see leads.intake.importing."""
    import_job_run(job_id=job_id)
