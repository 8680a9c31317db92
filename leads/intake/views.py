"""Spreadsheet import pages: upload → map columns → preview → import → result.

Thin: each view parses the request, calls leads.intake.importing and renders. Only
marketing managers and admins import (others get 403); a user sees only their
own import jobs (admins see all), anyone else's is a 404.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from leads.intake import importing
from leads.intake.forms import ColumnMappingForm, ImportUploadForm
from leads.intake.importing import FIELD_LABELS, ImportFileError
from leads.jobs import is_finished
from leads.models import Job, Seniority, SourceChannel
from leads.people import roles

IMPORT_ROLES = (roles.MARKETING, roles.ADMIN)
RECENT_JOBS = 10
MAPPING_SAMPLES = 3
# The preview shows a choice's label, not its code.
CHOICE_LABELS = {
    "source_channel": dict(SourceChannel.choices),
    "seniority": dict(Seniority.choices),
}


def importer_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not roles.has_role(request.user, *IMPORT_ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _job(request, pk: int) -> Job:
    return get_object_or_404(importing.import_jobs_visible_to(user=request.user), pk=pk)


def _draft(request, pk: int):
    """``(job, table, None)`` for a draft whose file can be read, else ``(job, None, redirect)``.

    A job past the draft step goes to its result page; a draft whose file can no
    longer be read goes back to the upload page with a message.
    """
    job = _job(request, pk)
    if job.state != Job.State.DRAFT:
        return job, None, redirect("leads:import_detail", pk=job.pk)
    try:
        return job, importing.job_table(job=job), None
    except (ImportFileError, OSError) as exc:
        messages.error(request, str(exc))
        return job, None, redirect("leads:import_start")


def _time_zone_note() -> str:
    return _(
        "Times without a time zone are read in %(zone)s (the TIME_ZONE setting); "
        "write e.g. 2025-03-01 09:30+08:00 to give another zone."
    ) % {"zone": settings.TIME_ZONE}


@importer_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_start(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.import_job_create(upload=form.cleaned_data["file"], user=request.user)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("leads:import_map", pk=job.pk)
    jobs = importing.import_jobs_visible_to(user=request.user)[:RECENT_JOBS]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "leads/import_start.html",
        {"form": form, "jobs": jobs, "step": 1, "time_zone_note": _time_zone_note()},
        status=status,
    )


@importer_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_map(request, pk: int):
    job, table, elsewhere = _draft(request, pk)
    if elsewhere is not None:
        return elsewhere
    samples = []
    for row in table.rows():
        samples.append(["" if v is None else str(v) for v in row.values])
        if len(samples) >= MAPPING_SAMPLES:
            break
    initial = {f"col_{i}": target for i, target in enumerate(job.params.get("mapping", []))}
    initial["default_source_channel"] = (job.params.get("defaults") or {}).get("source_channel", "")
    form = ColumnMappingForm(
        request.POST or None, initial=initial, headers=table.headers, samples=samples
    )
    if request.method == "POST" and form.is_valid():
        importing.import_job_set_mapping(job=job, mapping=form.mapping(), defaults=form.defaults())
        return redirect("leads:import_preview", pk=job.pk)
    return render(
        request,
        "leads/import_map.html",
        {"job": job, "table": table, "form": form, "step": 2},
        status=400 if request.method == "POST" else 200,
    )


@importer_required
@require_safe
def import_preview(request, pk: int):
    job, table, elsewhere = _draft(request, pk)
    if elsewhere is not None:
        return elsewhere
    mapping = job.params["mapping"]
    defaults = job.params.get("defaults") or {}
    rows = importing.import_preview(
        table=table,
        mapping=mapping,
        defaults=defaults,
        source_system=job.params.get("source_system") or importing.DEFAULT_SOURCE_SYSTEM,
        actor_user=request.user,
    )
    columns = [FIELD_LABELS[target] for target in mapping if target]
    labels = [CHOICE_LABELS.get(target, {}) for target in mapping if target]
    for row in rows:
        row.cells = [
            labels[i].get(cell, cell) if isinstance(cell, str) else cell
            for i, cell in enumerate(row.cells)
        ]
    return render(
        request,
        "leads/import_preview.html",
        {
            "job": job,
            "table": table,
            "rows": rows,
            "columns": columns,
            "defaults": [
                (FIELD_LABELS[k], CHOICE_LABELS.get(k, {}).get(v, v)) for k, v in defaults.items()
            ],
            "rejected_in_preview": sum(1 for row in rows if row.status == "rejected"),
            "time_zone": settings.TIME_ZONE,
            "time_zone_note": _time_zone_note(),
            "runs_in_background": job.total > settings.IMPORT_INLINE_MAX_ROWS,
            "step": 3,
        },
    )


@importer_required
@require_POST
def import_run(request, pk: int):
    job = _job(request, pk)
    if job.state == Job.State.DRAFT:
        importing.import_job_start(job=job)
    return redirect("leads:import_detail", pk=job.pk)


@importer_required
@require_safe
def import_detail(request, pk: int):
    job = _job(request, pk)
    if job.state == Job.State.DRAFT:
        return redirect("leads:import_map", pk=job.pk)
    return render(
        request,
        "leads/import_detail.html",
        {"job": job, "step": 4, "errors_shown": job.errors[:20] if job.errors else []},
    )


@importer_required
@require_safe
def import_progress(request, pk: int):
    job = _job(request, pk)
    result = job.result or {}
    return JsonResponse(
        {
            "id": job.pk,
            "state": job.state,
            "state_label": job.get_state_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "created": result.get("created", 0),
            "updated": result.get("updated", 0),
            "rejected": result.get("rejected", 0),
            "finished": is_finished(job),
            "status_note": job.status_note,
            "url": reverse("leads:import_detail", args=[job.pk]),
        }
    )


@importer_required
@require_safe
def import_report(request, pk: int):
    job = _job(request, pk)
    if not job.report:
        raise Http404(_("This import has no rejected rows."))
    return FileResponse(
        job.report.open("rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-rejected.csv",
        content_type="text/csv; charset=utf-8",
    )
