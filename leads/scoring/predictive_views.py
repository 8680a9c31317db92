"""The predictive score's page: how it was trained, how accurate it is on
held-out leads, what moves the odds most, and "Refresh now".

Everyone with a role reads it; only marketing managers and admins refresh (403
for anyone else, nothing queued). Thin: ``leads.scoring.predictive_selectors``
gives the figures, ``leads.scoring.predictive_services`` queues the job.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from leads.models import Job
from leads.people import roles
from leads.scoring.predictive_selectors import predictive_snapshot_current, predictive_summary
from leads.scoring.predictive_services import NOT_ENOUGH_HISTORY, predictive_refresh_start


def _may_refresh(user) -> bool:
    return roles.has_role(user, *roles.SCORING_CHANGE_ROLES)


@require_safe
@login_required
def scoring_predictive(request):
    user = request.user
    if not roles.has_role(user, *roles.SCORING_READ_ROLES):
        raise PermissionDenied
    snapshot = predictive_snapshot_current()
    job = Job.objects.filter(kind=Job.Kind.PREDICTIVE).order_by("-created_at", "-id").first()
    running = job is not None and job.state in (Job.State.PENDING, Job.State.RUNNING)
    return render(
        request,
        "scoring/predictive.html",
        {
            "summary": predictive_summary(snapshot=snapshot, factors=10) if snapshot else None,
            "job": job,
            "job_running": running,
            "not_enough_history": job is not None
            and job.state == Job.State.DONE
            and (job.result or {}).get("message") == NOT_ENOUGH_HISTORY,
            "can_refresh": _may_refresh(user),
        },
    )


@require_POST
@login_required
def scoring_predictive_refresh(request):
    if not _may_refresh(request.user):
        raise PermissionDenied
    job, created = predictive_refresh_start(user=request.user)
    if created:
        messages.success(request, _("Refresh queued: the predictive score is being retrained."))
    else:
        messages.info(request, _("A refresh is already under way; follow it below."))
    return redirect("leads:scoring_predictive")
