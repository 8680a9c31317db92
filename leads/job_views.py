"""A long job's page (any kind: re-score, evaluation, predictive refresh) and its
progress as JSON for the page's progress bar. Imports keep their own pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from leads import jobs
from leads.models import Job


@login_required
@require_safe
def job_detail(request, pk: int):
    job = get_object_or_404(jobs.visible_to(viewer=request.user), pk=pk)
    if job.kind == Job.Kind.IMPORT:
        return redirect("leads:import_detail", pk=job.pk)
    return render(request, "leads/job_detail.html", {"job": job, "finished": jobs.is_finished(job)})


@login_required
@require_safe
def job_progress(request, pk: int):
    job = get_object_or_404(jobs.visible_to(viewer=request.user), pk=pk)
    return JsonResponse(
        {
            "id": job.pk,
            "kind": job.kind,
            "state": job.state,
            "state_label": job.get_state_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "finished": jobs.is_finished(job),
            "status_note": job.status_note,
            "result": job.result,
        }
    )
