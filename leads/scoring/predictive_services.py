"""Writes for the predictive score: train a snapshot, store every open lead's
chance of winning, count a lead that just closed.

The probability advises; the published rules decide (nothing here moves a
stage or touches the rule score). The rows come from
``leads.scoring.predictive_selectors`` (which leads count as won and lost, the
stage a lead counts on, its team and fields are documented there).

Training (``predictive_train``)
    - **Held out**: a deterministic 20 % of the closed leads, chosen by a hash of
      the lead id (``is_held_out``), so a lead always falls on the same side and
      two refreshes measure like with like. Counts trained on the other 80 % are
      scored on them (``predictive.evaluate``: accuracy, AUC, Brier, base rate).
    - **The model in use** is then trained on *all* closed leads: the held-out
      figures measure the method on leads it had not seen; throwing a fifth of
      the history away for the model that predicts would only make it worse.
      ``trained_rows`` counts all of them, ``held_out_rows`` the fifth, and
      ``params["evaluation_trained_rows"]`` the rows the evaluation learned from.
    - **min_count** (a value seen fewer times is ignored) comes from the job's
      parameters, else ``settings.PREDICTIVE_MIN_COUNT`` (20). Odoo's 50 suits a
      CRM with thousands of closed leads; the demo company closes about three
      hundred in a year (most of them disqualified), where 50 would silence
      every country, industry and most activities. At 20 a value must still
      have been seen on about twenty closed leads — with a base rate of a few
      percent that is the least that can hold a win or two — before it moves
      anyone's odds. A team's own counts need as many closed leads.
    - **Shrinkage and temperature** (``leads.scoring.predictive``): every value's
      win rate is pulled toward the average by ``settings.PREDICTIVE_PRIOR_WEIGHT``
      (5) leads' weight, and the fields' summed log odds are divided by a
      temperature fitted leave-one-out on the leads trained on (the evaluation's
      model fits its own on the 80 %, so the held-out figures stay honest).
      Without them the demo's 16 won leads made "Industry: Healthcare" divide the
      odds by 20 and put hot grade-A leads at 0.0 %.
    - Nothing is stored without at least one won and one lost lead.

Storing probabilities (``predictive_predict_open``)
    Every open lead, in chunks by id: on PostgreSQL the chunk is COPYed into a
    temporary table and written with one ``UPDATE … FROM``; elsewhere
    ``bulk_update``. Only ``win_probability`` and ``predicted_at`` change (not
    ``updated_at``: the lead itself did not change).

A lead that just closed (``predictive_lead_closed``)
    Adds it to the snapshot in use (``add_closed_lead``: its team's counts and
    the global ones) under ``select_for_update``, so two leads closing at once
    both count; a lead already added is not counted twice. Then the lead is
    predicted again with the new counts, at the last funnel stage it reached,
    and stored: what the model now says about a lead like it. The nightly
    refresh recounts everything from the database anyway.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from leads import jobs, periods
from leads.models import Job, Lead, PredictiveSnapshot
from leads.scoring.predictive import Prediction, PredictiveModel, add_closed_lead, evaluate, train
from leads.scoring.predictive_selectors import (
    CLOSED_STAGES,
    FUNNEL,
    OPEN_STAGES,
    owner_teams,
    predict_row,
    predictive_open_rows,
    predictive_snapshot_current,
    predictive_training_rows,
    snapshot_model,
)

logger = logging.getLogger(__name__)

HELD_OUT_PERCENT = 20
CHUNK_SIZE = 2000
MAX_MIN_COUNT = 1_000_000
# A refresh asked for while another is queued or running (and younger than this)
# returns that one instead of queueing a second.
REFRESH_REUSE_WINDOW = timedelta(minutes=30)
NOT_ENOUGH_HISTORY = "not_enough_history"

jobs.register(Job.Kind.PREDICTIVE, task="leads.tasks.predictive_refresh")


def is_held_out(lead_id: int, *, percent: int = HELD_OUT_PERCENT) -> bool:
    """True for the deterministic ``percent`` of lead ids kept out of training."""
    digest = hashlib.blake2b(str(lead_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100 < percent


def clean_min_count(value: Any) -> int:
    """``value`` as a min_count, or ``ValueError`` saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise ValueError("must be a whole number")
    if not 0 <= value <= MAX_MIN_COUNT:
        raise ValueError(f"must be between 0 and {MAX_MIN_COUNT}")
    return value


def _default_min_count() -> int:
    return settings.PREDICTIVE_MIN_COUNT


# -------------------------------------------------------------------- training


def predictive_train(
    *, min_count: int | None = None, job: Job | None = None
) -> PredictiveSnapshot | None:
    """Train on every closed lead, measure on the held-out ones, store and return
    the snapshot; None (nothing stored) without at least one won and one lost lead."""
    min_count = _default_min_count() if min_count is None else clean_min_count(min_count)
    rows = predictive_training_rows()
    training = [r.training_row() for r in rows]
    won = sum(1 for r in rows if r.won)
    if not won or won == len(rows):
        return None
    options = {
        "stages": FUNNEL,
        "min_count": min_count,
        "min_team_rows": max(1, min_count),
        "prior_weight": settings.PREDICTIVE_PRIOR_WEIGHT,
        "fit_temperature": True,
    }
    held_out = [r.training_row() for r in rows if is_held_out(r.id)]
    learn = [r.training_row() for r in rows if not is_held_out(r.id)]
    evaluation: dict[str, Any] = {}
    if held_out and learn:
        evaluation = evaluate(train(rows=learn, **options), held_out).to_dict()
    model = train(rows=training, **options)
    names = {r.team: r.team_name for r in rows if r.team}
    return PredictiveSnapshot.objects.create(
        model=model.to_dict(),
        evaluation=evaluation,
        params={
            "min_count": min_count,
            "held_out_percent": HELD_OUT_PERCENT,
            "evaluation_trained_rows": len(learn),
            "synthetic_rows": sum(1 for r in rows if r.synthetic),
            "team_names": names,
            "added_lead_ids": [],
        },
        trained_rows=len(rows),
        held_out_rows=len(held_out),
        job=job,
    )


# ----------------------------------------------------------------- predictions


def _store_postgres(rows: Sequence[tuple[int, float]], *, now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE _predictive_stage (id bigint, p double precision) ON COMMIT DROP"
        )
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy("COPY _predictive_stage (id, p) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            "UPDATE leads_lead AS t SET win_probability = s.p, predicted_at = %s"
            " FROM _predictive_stage AS s WHERE t.id = s.id",
            [now],
        )
        cursor.execute("DROP TABLE _predictive_stage")


def predictions_store(*, rows: Sequence[tuple[int, float]], now: datetime) -> None:
    """Write ``(lead id, percent)`` pairs set-based (see the module docs)."""
    if not rows:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _store_postgres(rows, now=now)
            return
        leads = [Lead(pk=pk, win_probability=p, predicted_at=now) for pk, p in rows]
        Lead.objects.bulk_update(leads, ["win_probability", "predicted_at"], batch_size=500)


def predictive_predict_open(
    *,
    snapshot: PredictiveSnapshot,
    after_id: int = 0,
    now: datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[int, int], None] | None = None,
) -> int:
    """Predict and store every open lead with id above ``after_id``; returns how
    many. ``on_chunk(count, last id)`` runs after each stored chunk."""
    now = now or timezone.now()
    model = snapshot_model(snapshot)
    teams = owner_teams()
    predicted = 0
    while True:
        rows = predictive_open_rows(after_id=after_id, limit=chunk_size, now=now, teams=teams)
        if not rows:
            return predicted
        predictions_store(
            rows=[(row.id, predict_row(model, row).probability) for row in rows], now=now
        )
        predicted += len(rows)
        after_id = rows[-1].id
        if on_chunk is not None:
            on_chunk(len(rows), after_id)


# ---------------------------------------------------------------- the refresh job


def predictive_refresh_start(*, user: Any = None, min_count: int | None = None) -> tuple[Job, bool]:
    """Queue a refresh (``leads.tasks.predictive_refresh`` after commit); returns
    (job, created). A refresh already queued or running (for less than
    ``REFRESH_REUSE_WINDOW``) is returned instead of queueing another."""
    if min_count is not None:
        min_count = clean_min_count(min_count)
    with transaction.atomic():
        running = (
            Job.objects.select_for_update()
            .filter(
                kind=Job.Kind.PREDICTIVE,
                state__in=(Job.State.PENDING, Job.State.RUNNING),
                created_at__gte=timezone.now() - REFRESH_REUSE_WINDOW,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if running is not None:
            return running, False
        params = {} if min_count is None else {"min_count": min_count}
        job = jobs.start(Job.Kind.PREDICTIVE, params=params, created_by=user)
    return job, True


def predictive_refresh_nightly(*, now: datetime | None = None) -> Job | None:
    """The nightly refresh, once per night: the night's job (``Job.period``, the
    company's date, ``leads.periods``) is created by the first send and run here; a
    second send the same night finds it and hands it to the runner, which does
    nothing when it is finished or being run (and resumes it when its worker died)."""
    period = periods.night(now or timezone.now(), timezone.get_default_timezone())
    job, created = jobs.start_once(Job.Kind.PREDICTIVE, period=period, enqueue=False)
    if not created:
        logger.info("the predictive refresh of the night %s is job %s already", period, job.pk)
    return predictive_refresh_run(job_id=job.pk)


def predictive_refresh_run(*, job_id: int) -> Job | None:
    """Run (or resume) the refresh job ``job_id``: train and store a snapshot
    (once per job), then predict the open leads chunk by chunk, reporting progress
    in ``done`` / ``total``. Quietly nothing if the job is gone or finished."""
    with jobs.claimed(job_id, kind=Job.Kind.PREDICTIVE) as job:
        if job is None:
            return None
        return _predictive_refresh_run(job)


def _predictive_refresh_run(job: Job) -> Job:
    try:
        closed = Lead.objects.filter(stage__in=CLOSED_STAGES).count()
        open_leads = Lead.objects.filter(stage__in=OPEN_STAGES).count()
        snapshot = PredictiveSnapshot.objects.filter(job=job).order_by("-id").first()
        result = dict(job.result or {})
        if snapshot is None:
            jobs.progress(job, total=closed + open_leads, done=0)
            snapshot = predictive_train(min_count=job.params.get("min_count"), job=job)
            if snapshot is None:
                job.refresh_from_db()
                job.result = {"message": NOT_ENOUGH_HISTORY, "closed": closed}
                job.total = job.done = closed
                return jobs.finish(job)
            # The resume point (the last open lead predicted) is kept in the result.
            result = {"snapshot": snapshot.pk, "last_id": 0, "predicted": 0}
            jobs.progress(job, done=snapshot.trained_rows, result=result)
        done = Job.objects.values_list("done", flat=True).get(pk=job.pk)

        def progress(count: int, last_id: int) -> None:
            nonlocal done
            done += count
            result["last_id"] = last_id
            result["predicted"] = result.get("predicted", 0) + count
            jobs.progress(job, done=done, result=result)

        predictive_predict_open(
            snapshot=snapshot,
            after_id=result.get("last_id", 0),
            chunk_size=int(job.params.get("chunk_size") or CHUNK_SIZE),
            on_chunk=progress,
        )
        job.refresh_from_db()
        job.result = {
            **result,
            "trained_rows": snapshot.trained_rows,
            "held_out_rows": snapshot.held_out_rows,
            "accuracy": snapshot.evaluation.get("accuracy"),
            "auc": snapshot.evaluation.get("auc"),
        }
        job.done = job.total = max(job.total, job.done)
        return jobs.finish(job)
    except Exception as exc:
        return jobs.fail(job, exc, in_errors=False)


# ------------------------------------------------------------ a lead that closed


def predictive_lead_closed(*, lead: Lead) -> Prediction | None:
    """Count ``lead`` (just won, lost or disqualified) in the snapshot in use, then
    predict it again with the new counts and store that. None when the lead is not
    closed or there is no snapshot yet. Idempotent per lead and snapshot."""
    with transaction.atomic():
        current = predictive_snapshot_current()
        if current is None:
            return None
        snapshot = PredictiveSnapshot.objects.select_for_update().get(pk=current.pk)
        rows = predictive_training_rows(lead_ids=[lead.pk])
        if not rows:
            return None
        [row] = rows
        params = dict(snapshot.params)
        added = list(params.get("added_lead_ids", []))
        model = PredictiveModel.from_dict(snapshot.model)  # our own copy, under the lock
        if lead.pk not in added:
            add_closed_lead(model, row.training_row())
            added.append(lead.pk)
            if row.team:
                params["team_names"] = {**params.get("team_names", {}), row.team: row.team_name}
            params["added_lead_ids"] = added
            snapshot.model = model.to_dict()
            snapshot.params = params
            snapshot.trained_rows += 1
            snapshot.save(update_fields=["model", "params", "trained_rows", "updated_at"])
        # As at the last funnel stage it reached (its row's funnel_stage).
        prediction = predict_row(model, row)
        now = timezone.now()
        Lead.objects.filter(pk=lead.pk).update(
            win_probability=prediction.probability, predicted_at=now
        )
    lead.win_probability = prediction.probability
    lead.predicted_at = now
    return prediction
