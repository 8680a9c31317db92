"""Set-based re-scoring: many leads, one read, one write.

``leads_rescore(lead_ids=...)`` is what every path uses — one lead after an edit,
the leads of an intake batch, the activities' leads, a chunk of the re-score job
after a publish and the nightly run:

1. one query reads the leads with their account's fields, one reads their
   activities (type, time);
2. the pure engine scores each lead (``leads.scoring.engine``);
3. one set-based write stores the scores (PostgreSQL: COPY into a temporary table
   and one ``UPDATE … FROM``; elsewhere ``bulk_update``), and the ``score_change``
   events go in with one COPY / ``bulk_create``;
4. leads the score makes MQLs move inquiry/nurture → mql with a guarded UPDATE
   (``WHERE stage IN (inquiry, nurture)``, rows locked first) so two concurrent
   re-scores never promote a lead twice (nor an opted-out one); each gets its stage
   event and the ``leads.hooks.MQL_HOOKS`` seam is called (see
   ``leads.scoring.services`` for the rule: scoring never demotes).

The re-score job (``rescore_job_start`` / ``rescore_job_run``) walks the open
leads in id order, one chunk per transaction, recording the last id done in
``Job.params["after_id"]`` in the same transaction as the chunk: a run that dies
is resumed by running the job again (``leads.jobs``: the dead worker's lease expires
and the sweeper sends the job to another worker), and no lead of a finished chunk
is scored twice. Each chunk first checks, under the job row's lock, that this worker
still holds the job (``jobs.lock_held``), so a worker that stood still past its lease
never writes a chunk the new one writes too. Were a chunk scored twice all the
same, it would do no harm: scoring is a pure function of the lead, its activities,
the version and the time, a ``score_change`` event is written only when the score
changes, and the MQL promotion is a guarded UPDATE — the second pass finds nothing
to change.

An unexpected error ends the job ``failed`` with ``RESCORE_FAILED`` (what a person
can act on), the traceback in the log; leads the job had not reached keep their
score until the next re-score (the nightly one, or a publish).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from leads import hooks, jobs, periods
from leads.intake.services import row_store
from leads.models import SCORE_COLUMNS, Activity, Job, Lead, LeadEvent, ScoringModelVersion, Stage
from leads.scoring.definitions import compiled_model
from leads.scoring.engine import ActivityFact, ScoreResult, score_lead
from leads.scoring.selectors import scoring_model_published

logger = logging.getLogger(__name__)

jobs.register(Job.Kind.RESCORE, task="leads.tasks.rescore_leads")

# Stages whose leads are re-scored after a publish and nightly. Closed leads keep the
# score they had when they closed (the evaluation and the predictive score read history).
OPEN_STAGES = (
    Stage.INQUIRY,
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.RETURNED,
    Stage.NURTURE,
)
PROMOTABLE_STAGES = (Stage.INQUIRY, Stage.NURTURE)
CHUNK_SIZE = 2000
# Stored untranslated on the job, shown translated (``Job.failure_reasons``).
RESCORE_FAILED = gettext_noop(
    "The re-score stopped on an unexpected error; the details are in the server's log."
    " Leads it had not reached keep their score until the next re-score (nightly, or"
    " when a model is published)."
)

# (facts key, values_list path) — what ``lead_score_facts`` flattens, read in one query.
_FACT_COLUMNS = (
    ("employees", "account__employees"),
    ("annual_revenue", "account__annual_revenue"),
    ("industry", "account__industry"),
    ("region", "account__region"),
    ("country", "account__country"),
    ("account_name", "account__name"),
    ("domain", "account__domain"),
    ("company_name", "company_name"),
    ("seniority", "seniority"),
    ("title", "title"),
    ("source_channel", "source_channel"),
    ("campaign", "campaign"),
    ("source_system", "source_system"),
    ("language", "language"),
    ("do_not_contact", "do_not_contact"),
)


ACCOUNT_FACTS = ("employees", "annual_revenue", "industry", "region", "country", "domain")
LEAD_FACTS = (
    "seniority",
    "title",
    "source_channel",
    "campaign",
    "source_system",
    "language",
    "do_not_contact",
)


def score_facts(*, account: Mapping[str, Any], lead: Mapping[str, Any]) -> dict[str, Any]:
    """The flat mapping the engine scores, from the account's and the lead's values
    (``company`` is the account's name, else the company name the lead gave)."""
    facts = {name: account.get(name) for name in ACCOUNT_FACTS}
    facts.update((name, lead.get(name)) for name in LEAD_FACTS)
    facts["company"] = account.get("name") or lead.get("company_name")
    return facts


@dataclass
class RescoreSummary:
    scored: int = 0
    changed: int = 0  # total, grade or quadrant changed (a score_change event each)
    became_mql: list[int] = field(default_factory=list)
    results: dict[int, ScoreResult] = field(default_factory=dict)  # with keep_results

    def add(self, other: RescoreSummary) -> None:
        self.scored += other.scored
        self.changed += other.changed
        self.became_mql.extend(other.became_mql)

    def to_dict(self) -> dict[str, int]:
        return {"scored": self.scored, "changed": self.changed, "became_mql": len(self.became_mql)}


def _facts(row: tuple) -> dict[str, Any]:
    facts = dict(zip((name for name, _path in _FACT_COLUMNS), row, strict=True))
    account_name = facts.pop("account_name")
    company_name = facts.pop("company_name")
    facts["company"] = account_name or company_name
    return facts


def leads_rescore(
    *,
    lead_ids: Iterable[int],
    version: ScoringModelVersion | None = None,
    now: datetime | None = None,
    keep_results: bool = False,
) -> RescoreSummary:
    """Score the leads ``lead_ids`` with ``version`` (default: the published one) as of
    ``now`` and store the results; see the module docs. Nothing happens (an empty
    summary) when no model is published. Runs in one transaction (joins the caller's)."""
    ids = sorted(set(lead_ids))
    summary = RescoreSummary()
    version = version or scoring_model_published()
    if version is None or not ids:
        return summary
    now = now or timezone.now()
    compiled = compiled_model(version)
    actor = f"scoring model v{version.number}"
    with transaction.atomic():
        rows = (
            Lead.objects.filter(pk__in=ids)
            .order_by()
            .values_list(
                "id",
                "stage",
                "score_total",
                "score_grade",
                "score_quadrant",
                *(path for _name, path in _FACT_COLUMNS),
            )
        )
        activities: dict[int, list[ActivityFact]] = {}
        for lead_id, kind, at in (
            Activity.objects.filter(lead_id__in=ids)
            .order_by()
            .values_list("lead_id", "type", "occurred_at")
        ):
            activities.setdefault(lead_id, []).append(ActivityFact(type=kind, occurred_at=at))
        updates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        promote: dict[int, dict[str, Any]] = {}  # lead id → the MQL event's data
        for lead_id, stage, old_total, old_grade, old_quadrant, *fact_values in rows:
            result = score_lead(
                lead=_facts(fact_values),
                activities=activities.get(lead_id, ()),
                model=compiled,
                now=now,
            )
            updates.append(
                {
                    "id": lead_id,
                    "score_fit": result.fit_points,
                    "score_grade": result.grade,
                    "score_interest": result.interest_points,
                    "score_total": result.total,
                    "score_quadrant": result.quadrant,
                    "score_breakdown": result.to_dict(),
                    "score_model_id": version.pk,
                    "scored_at": now,
                    "updated_at": now,
                }
            )
            old = {"total": old_total, "grade": old_grade, "quadrant": old_quadrant}
            new = {"total": result.total, "grade": result.grade, "quadrant": result.quadrant}
            if old != new:
                events.append(
                    {
                        "lead_id": lead_id,
                        "kind": LeadEvent.Kind.SCORE_CHANGE.value,
                        "from_stage": None,
                        "to_stage": None,
                        "actor_user_id": None,
                        "actor_system": actor,
                        "data": {"old": old, "new": new, "model_version": version.number},
                    }
                )
            if result.is_mql and stage in PROMOTABLE_STAGES:
                promote[lead_id] = {"total": result.total, "grade": result.grade}
            if keep_results:
                summary.results[lead_id] = result
        store = row_store()
        try:
            store.update_rows(Lead, (*SCORE_COLUMNS, "updated_at"), updates)
            store.insert_events(events, now=now)
        finally:
            store.close()
        summary.scored = len(updates)
        summary.changed = len(events)
        if promote:
            summary.became_mql = _promote(promote, now=now, actor=actor)
            new_mqls = Lead.objects.filter(pk__in=summary.became_mql).select_related("account")
            with hooks.batch():
                hooks.on_events_written(summary.became_mql)
                for lead in new_mqls:
                    hooks.on_lead_became_mql(lead)
    return summary


def _promote(candidates: dict[int, dict[str, Any]], *, now: datetime, actor: str) -> list[int]:
    """inquiry/nurture → mql for the candidates still in those stages (rows locked,
    so a concurrent re-score finds them promoted already and does nothing). A lead
    whose person opted out (``do_not_contact``) is never promoted, whatever its score
    (``leads.consent``): it would enter a queue."""
    locked = list(
        Lead.objects.select_for_update()
        .filter(pk__in=candidates, stage__in=PROMOTABLE_STAGES, do_not_contact=False)
        .order_by("pk")
        .values_list("pk", "stage")
    )
    if not locked:
        return []
    promoted = [pk for pk, _stage in locked]
    Lead.objects.filter(pk__in=promoted).update(
        stage=Stage.MQL, stage_changed_at=now, mql_at=now, updated_at=now
    )
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead_id=pk,
                kind=LeadEvent.Kind.STAGE_CHANGE,
                from_stage=stage,
                to_stage=Stage.MQL,
                actor_system=actor,
                data=candidates[pk],
                at=now,
            )
            for pk, stage in locked
        ]
    )
    return promoted


class IntakeScorer:
    """Scores a lead intake is about to create, in memory (it has no activity yet),
    so the score goes in with the lead's own INSERT/COPY — no second write."""

    def __init__(self, version: ScoringModelVersion, now: datetime) -> None:
        self.version = version
        self.now = now
        self.model = compiled_model(version)

    @classmethod
    def published(cls, *, now: datetime) -> IntakeScorer | None:
        version = scoring_model_published()
        return None if version is None else cls(version, now)

    def fill(self, lead: dict[str, Any], account: dict[str, Any] | None) -> bool:
        """Put the score columns into ``lead`` (a row of intake's insert); True when
        the score alone makes it an MQL (intake then promotes it through
        ``leads_rescore``)."""
        facts = score_facts(account=account or {}, lead=lead)
        result = score_lead(lead=facts, activities=(), model=self.model, now=self.now)
        lead["score_fit"] = result.fit_points
        lead["score_grade"] = result.grade
        lead["score_interest"] = result.interest_points
        lead["score_total"] = result.total
        lead["score_quadrant"] = result.quadrant
        lead["score_breakdown"] = result.to_dict()
        lead["score_model_id"] = self.version.pk
        lead["scored_at"] = self.now
        return result.is_mql


def open_lead_ids() -> Any:
    """The open leads (``OPEN_STAGES``), a queryset of ids."""
    return Lead.objects.filter(stage__in=OPEN_STAGES).order_by().values_list("pk", flat=True)


# -------------------------------------------------------------------------- the job


def rescore_job_start(
    *, version: ScoringModelVersion, user: Any, reason: str, enqueue: bool = True
) -> Job:
    """A re-score job of every open lead with ``version``; the Celery task is queued
    when the caller's transaction commits (``enqueue=False``: the caller runs it,
    e.g. the demo seed, with ``rescore_job_run``)."""
    return jobs.start(
        Job.Kind.RESCORE,
        created_by=user,
        params={
            "version": version.pk,
            "number": version.number,
            "reason": reason,
            "after_id": 0,
        },
        enqueue=enqueue,
    )


def rescore_job_run(
    *, job_id: int, chunk_size: int | None = None, now: datetime | None = None
) -> Job | None:
    """Run (or resume) the re-score job ``job_id``; see the module docs.

    A job whose version is no longer the published one when a chunk starts stops
    there as done, with ``result["superseded"] = True`` (the newer publish started
    its own job). ``chunk_size``: leads per chunk (default: the job's
    ``params["chunk_size"]``, else ``CHUNK_SIZE``). ``now``: score as of this time
    (default: each chunk's own now)."""
    with jobs.claimed(job_id, kind=Job.Kind.RESCORE) as job:
        if job is None:  # finished, run by another worker, or gone: nothing to do
            job = Job.objects.filter(pk=job_id).first()
            if job is None:  # deleted (or a message from another database)
                logger.warning("re-score job %s does not exist", job_id)
            return job
        size = chunk_size or int(job.params.get("chunk_size") or CHUNK_SIZE)
        try:
            return _rescore_job_run(job, chunk_size=size, now=now)
        except Exception as exc:  # never left "running": failed, the traceback logged
            return jobs.fail(job, exc, reason=RESCORE_FAILED)


def _rescore_job_run(job: Job, *, chunk_size: int, now: datetime | None) -> Job:
    version = ScoringModelVersion.objects.filter(pk=job.params.get("version")).first()
    if version is None:
        return jobs.fail(job, "the model version is gone", in_result=False)
    if not job.total:
        jobs.progress(job, total=open_lead_ids().count())
    totals = RescoreSummary(
        scored=int(job.result.get("scored", 0)), changed=int(job.result.get("changed", 0))
    )
    became = int(job.result.get("became_mql", 0))
    while True:
        with transaction.atomic():
            locked = jobs.lock_held(job)
            if locked is None:  # no longer this worker's (or no longer running)
                return Job.objects.get(pk=job.pk)
            if version.status != ScoringModelVersion.Status.PUBLISHED:
                version.refresh_from_db(fields=["status"])
                if version.status != ScoringModelVersion.Status.PUBLISHED:
                    return jobs.finish(
                        locked,
                        result={**totals.to_dict(), "became_mql": became, "superseded": True},
                    )
            after = int(locked.params.get("after_id", 0))
            ids = list(open_lead_ids().filter(pk__gt=after).order_by("pk")[:chunk_size])
            if not ids:
                return jobs.finish(locked, result={**totals.to_dict(), "became_mql": became})
            chunk = leads_rescore(lead_ids=ids, version=version, now=now)
            totals.add(chunk)
            became += len(chunk.became_mql)
            # The resume point goes in with the chunk's scores: one transaction.
            jobs.progress(
                locked,
                params={**locked.params, "after_id": ids[-1]},
                done=locked.done + len(ids),
                total=max(locked.total, locked.done + len(ids)),  # leads opened since the count
                result={**totals.to_dict(), "became_mql": became},
            )


def rescore_nightly(*, now: datetime | None = None) -> Job | None:
    """Re-score every open lead with the published model (decay moves scores with
    time), once per night: the night's job (``Job.period``, the company's date, see
    ``leads.periods``) is created by the first send and run here; a second send the
    same night — a second beat, a re-delivered message, a person — finds it and
    hands it to the runner, which does nothing when it is finished or being run and
    resumes it when its worker died. None when nothing is published."""
    version = scoring_model_published()
    if version is None:
        return None
    period = periods.night(now or timezone.now(), timezone.get_default_timezone())
    job, created = jobs.start_once(
        Job.Kind.RESCORE,
        period=period,
        params={
            "version": version.pk,
            "number": version.number,
            "reason": "nightly",
            "after_id": 0,
        },
        enqueue=False,
    )
    if not created:
        logger.info("the re-score of the night %s is job %s already", period, job.pk)
    return rescore_job_run(job_id=job.pk)


def register() -> None:
    """Fill intake's scoring seam (``leads.hooks.SCORING``; ``LeadsConfig.ready``)."""
    hooks.SCORING.intake_scorer = IntakeScorer.published
    hooks.SCORING.rescore_leads = leads_rescore
    hooks.SCORING.open_lead_ids = open_lead_ids
