"""Testing a draft before publishing it: evaluation jobs and calibration drafts.

The services behind the evaluation and calibration pages and API; the maths is
``leads.scoring.evaluation`` (and its docs say what every number means), the
reads are ``leads.scoring.history``.

Evaluation runs as a ``Job`` (kind ``evaluation``; a Celery task, it is heavy on
100,000 leads). Reading and starting are apart: reading never creates work.

- ``evaluation_latest`` (a page's or the API's GET, any role that reads scoring)
  returns the newest job for the parameters in whatever state it is, or None when
  none was started; it writes nothing.
- ``evaluation_get_or_start`` (a POST, marketing managers and admins) returns the
  job for the parameters, reusing one when it can, else starts one:

  - its key is (model id + updated_at + a digest of its definition, the same for
    the baseline, months, the window's last month end): editing either model, a
    new month or another window is another key;
  - a pending or running job with the key is returned as is (no second job),
    unless it has not moved for ``STALLED_AFTER`` (30 min: its worker died and the
    message is gone; a running job records progress every chunk of leads);
  - a finished one is reused while it is fresh: finished less than
    ``EVALUATION_FRESH_FOR`` (24 h) ago — outcomes move every day, so a day-old
    answer is recomputed;
  - a failed one is not reused: starting again starts a new job.
  Concurrent starts for the same model are serialised on the model's row, so
  they share one job.

The job's ``result`` holds ``Evaluation.result()`` plus the two versions and the
months (the API's ``EvaluationOut`` documents it); its progress (``done`` /
``total``) counts the leads of the window read so far.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leads import jobs
from leads.models import Job, ScoringModelVersion
from leads.scoring.definitions import ScoringModelInvalid, parse_definition
from leads.scoring.engine import ScoringModel
from leads.scoring.evaluation import (
    CALIBRATION_MONTHS_DEFAULT,
    MIN_LEADS_DEFAULT,
    MONTHS_DEFAULT,
    MONTHS_MAX,
    Calibration,
    Evaluation,
    calibrate,
    calibrated_model,
    month_ends,
    months_back,
)
from leads.scoring.history import calibration_counts, history_count, history_leads
from leads.scoring.selectors import scoring_model_published
from leads.scoring.services import scoring_model_create_draft

logger = logging.getLogger(__name__)

EVALUATION_FRESH_FOR = timedelta(hours=24)
STALLED_AFTER = timedelta(minutes=30)
OPEN_STATES = jobs.RUNNABLE

jobs.register(Job.Kind.EVALUATION, task="leads.tasks.scoring_evaluation")


class AnalysisInputError(ValueError):
    """Bad input for an evaluation or a calibration; ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _model(version: ScoringModelVersion, *, field: str) -> ScoringModel:
    try:
        return parse_definition(definition=version.definition, number=version.number)
    except ScoringModelInvalid as exc:
        raise AnalysisInputError(
            field,
            _("Version %(number)d cannot be scored: %(problems)s")
            % {"number": version.number, "problems": str(exc)},
        ) from exc


def version_summary(version: ScoringModelVersion) -> dict[str, Any]:
    return {
        "id": version.pk,
        "number": version.number,
        "name": version.name,
        "status": version.status,
    }


# ------------------------------------------------------------------ evaluation


def evaluation_baseline(
    *, version: ScoringModelVersion, against: ScoringModelVersion | None
) -> ScoringModelVersion:
    """The version to compare ``version`` with: ``against``, else the published one."""
    if against is None:
        against = scoring_model_published()
        if against is None:
            raise AnalysisInputError(
                "against", _("No model is published: choose a version to compare against.")
            )
        if against.pk == version.pk:
            raise AnalysisInputError(
                "against",
                _("This is the published model: choose another version to compare it with."),
            )
    elif against.pk == version.pk:
        raise AnalysisInputError("against", _("A version cannot be compared with itself."))
    return against


def evaluation_window(*, months: int, now: datetime | None = None) -> tuple[datetime, ...]:
    if not 1 <= months <= MONTHS_MAX:
        raise AnalysisInputError("months", _("Choose 1 to %(max)d months.") % {"max": MONTHS_MAX})
    now = now or timezone.now()
    return month_ends(as_of=now, months=months, tz=timezone.get_default_timezone())


def _fingerprint(version: ScoringModelVersion) -> str:
    """The version's id, last change and a digest of its definition (an edit within
    the same microsecond still changes the digest)."""
    canonical = json.dumps(version.definition, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return f"{version.pk}@{version.updated_at.isoformat()}#{digest}"


def _key(
    version: ScoringModelVersion, against: ScoringModelVersion, months: int, end: datetime
) -> str:
    return f"{_fingerprint(version)}|{_fingerprint(against)}|{months}|{end.isoformat()}"


def _evaluation_key(
    *,
    version: ScoringModelVersion,
    against: ScoringModelVersion | None,
    months: int,
    now: datetime,
) -> tuple[ScoringModelVersion, tuple[datetime, ...], str]:
    """The baseline, the window's month ends and the key of an evaluation; bad
    parameters raise ``AnalysisInputError`` naming them."""
    ends = evaluation_window(months=months, now=now)
    baseline = evaluation_baseline(version=version, against=against)
    _model(version, field="model")
    _model(baseline, field="against")
    return baseline, ends, _key(version, baseline, months, ends[-1])


def evaluation_latest(
    *,
    version: ScoringModelVersion,
    against: ScoringModelVersion | None = None,
    months: int = MONTHS_DEFAULT,
    now: datetime | None = None,
) -> Job | None:
    """The newest evaluation job for these parameters, in whatever state, or None
    when none was started. Reads only: a GET never starts work (module docs)."""
    _baseline, _ends, key = _evaluation_key(
        version=version, against=against, months=months, now=now or timezone.now()
    )
    return (
        Job.objects.filter(kind=Job.Kind.EVALUATION, params__key=key)
        .order_by("-created_at", "-id")
        .first()
    )


def evaluation_get_or_start(
    *,
    version: ScoringModelVersion,
    against: ScoringModelVersion | None = None,
    months: int = MONTHS_DEFAULT,
    user: Any = None,
    now: datetime | None = None,
) -> Job:
    """The evaluation job for these parameters: a running or fresh one, else a new
    job queued for the Celery task (on commit). See the module docs; for a POST by
    someone allowed to start evaluations (``SCORING_CHANGE_ROLES``)."""
    now = now or timezone.now()
    baseline, ends, key = _evaluation_key(version=version, against=against, months=months, now=now)
    with transaction.atomic():
        # One start at a time per model: concurrent requests share the job.
        ScoringModelVersion.objects.select_for_update().filter(pk=version.pk).first()
        same_key = Job.objects.filter(kind=Job.Kind.EVALUATION, params__key=key).order_by(
            "-created_at", "-id"
        )
        for job in same_key:
            if job.state in OPEN_STATES and job.updated_at >= now - STALLED_AFTER:
                return job
            if (
                job.state == Job.State.DONE
                and job.finished_at is not None
                and job.finished_at >= now - EVALUATION_FRESH_FOR
            ):
                return job
        job = jobs.start(
            Job.Kind.EVALUATION,
            total=history_count(ends=ends),  # known now, so the progress reads "0 / N"
            created_by=user,
            params={
                "key": key,
                "model": version.pk,
                "against": baseline.pk,
                "months": months,
                "as_of": now.isoformat(),
            },
        )
    return job


def evaluation_job_run(*, job_id: int, chunk_size: int | None = None) -> Job | None:
    """Run (or re-run after a crash) the evaluation job ``job_id``; quietly nothing
    when it is gone or already finished."""
    # An evaluation adds up every lead of the window in memory: a crash loses the
    # sums, so a claimed job starts again from its first lead.
    with jobs.claimed(job_id, kind=Job.Kind.EVALUATION, restart=True) as job:
        if job is None:
            return None
        return _evaluation_job_run(job, chunk_size=chunk_size)


def _evaluation_job_run(job: Job, *, chunk_size: int | None) -> Job:
    params = job.params
    try:
        version = ScoringModelVersion.objects.get(pk=params["model"])
        against = ScoringModelVersion.objects.get(pk=params["against"])
        as_of = datetime.fromisoformat(params["as_of"])
        ends = month_ends(
            as_of=as_of, months=int(params["months"]), tz=timezone.get_default_timezone()
        )
        evaluation = Evaluation(
            models={
                "model": _model(version, field="model"),
                "against": _model(against, field="against"),
            },
            ends=ends,
            as_of=as_of,
        )
        total = history_count(ends=ends)
        jobs.progress(job, total=total)
        done = 0
        sizing = {"chunk_size": chunk_size} if chunk_size else {}
        for chunk in history_leads(ends=ends, as_of=as_of, **sizing):
            evaluation.add_all(chunk)
            done += len(chunk)
            jobs.progress(job, done=min(done, total))
        result = evaluation.result()
        job.refresh_from_db()
        job.result = {
            "model": version_summary(version),
            "against": version_summary(against),
            "months": int(params["months"]),
            **result,
        }
        job.total = max(job.total, done)
        job.done = job.total
        return jobs.finish(job)
    except Exception as exc:
        return jobs.fail(job, exc)


# ----------------------------------------------------------------- calibration


@dataclass(frozen=True)
class CalibrationReport:
    calibration: Calibration
    published: ScoringModelVersion | None
    months: int
    start: datetime
    end: datetime
    synthetic: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "published": version_summary(self.published) if self.published else None,
            "synthetic": self.synthetic,
            **self.calibration.to_dict(),
        }


def _check_calibration_input(months: int, min_leads: int) -> None:
    if not 1 <= months <= MONTHS_MAX:
        raise AnalysisInputError("months", _("Choose 1 to %(max)d months.") % {"max": MONTHS_MAX})
    if min_leads < 1:
        raise AnalysisInputError("min_leads", _("The minimum sample must be at least 1 lead."))


def calibration_report(
    *,
    months: int = CALIBRATION_MONTHS_DEFAULT,
    min_leads: int = MIN_LEADS_DEFAULT,
    now: datetime | None = None,
) -> CalibrationReport:
    """The calibration table over the leads closed in the last ``months`` months
    (from the same date ``months`` months ago until now), on the published
    model's scale."""
    _check_calibration_input(months, min_leads)
    now = now or timezone.now()
    start = months_back(now, months)
    counts, closed, won, synthetic = calibration_counts(start=start, end=now)
    published = scoring_model_published()
    model = _model(published, field="model") if published is not None else None
    calibration = calibrate(counts=counts, closed=closed, won=won, model=model, min_leads=min_leads)
    return CalibrationReport(
        calibration=calibration,
        published=published,
        months=months,
        start=start,
        end=now,
        synthetic=synthetic,
    )


def calibration_draft_create(
    *,
    user: Any,
    months: int = CALIBRATION_MONTHS_DEFAULT,
    min_leads: int = MIN_LEADS_DEFAULT,
    now: datetime | None = None,
) -> ScoringModelVersion:
    """A new draft: the published model with the calibration's suggested interest
    points (``calibrated_model``). Who may call it is the caller's business."""
    report = calibration_report(months=months, min_leads=min_leads, now=now)
    if report.published is None:
        raise AnalysisInputError(
            "model", _("No model is published: there is nothing to calibrate.")
        )
    suggestion = report.calibration.suggestion
    if not suggestion:
        raise AnalysisInputError(
            "months",
            _(
                "No suggestion: no activity type was done by enough closed leads that won "
                "in the last %(months)d months."
            )
            % {"months": months},
        )
    name = _("v%(number)d calibrated on %(months)d months of closed leads") % {
        "number": report.published.number,
        "months": months,
    }
    model = calibrated_model(
        model=_model(report.published, field="model"), suggestion=suggestion, label=name
    )
    return scoring_model_create_draft(definition=model.to_dict(), user=user, name=name)
