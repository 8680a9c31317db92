"""Scoring with the database: model versions (draft → published → retired) and
re-scoring one lead.

The pure engine (``leads.scoring.engine``) decides every number; this module only
loads what it needs, stores the result on the lead and writes the event log.

MQL rule (documented choice)
    A lead becomes an MQL when a score says ``is_mql`` and its stage is
    ``inquiry`` or ``nurture`` (a recycled lead earns its way back). Leads in any
    other stage (already MQL, or owned by sales: SAL, SQL, …) are never moved by
    scoring. Falling below the threshold NEVER demotes a lead: the score fields
    change and a ``score_change`` event is written, but the stage, ``mql_at`` and
    ownership stay as they are — only a person (return / disqualify) moves it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from leads.models import SCORE_COLUMNS, Job, Lead, ScoringModelVersion
from leads.scoring.definitions import parse_definition
from leads.scoring.engine import (
    ScoreResult,
    default_model,
)
from leads.scoring.rescore import (
    ACCOUNT_FACTS,
    LEAD_FACTS,
    leads_rescore,
    rescore_job_start,
    score_facts,
)


class ScoringModelNotEditable(Exception):
    """Only drafts can be edited (the API answers 409)."""


class ScoringModelAlreadyPublished(Exception):
    """The version is already the published one."""


def _next_number() -> int:
    return (ScoringModelVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1


def scoring_model_create_draft(
    *, definition: dict[str, Any], user: Any, name: str = ""
) -> ScoringModelVersion:
    """A new draft version holding ``definition``; nothing is saved when it is invalid."""
    with transaction.atomic():
        number = _next_number()
        model = parse_definition(definition=definition, number=number)
        return ScoringModelVersion.objects.create(
            number=number,
            name=name or model.label,
            status=ScoringModelVersion.Status.DRAFT,
            definition=model.to_dict(),
            created_by=user,
        )


def scoring_model_update_draft(
    *, version: ScoringModelVersion, definition: dict[str, Any], user: Any
) -> ScoringModelVersion:
    """Replace a draft's definition. Published and retired versions are frozen:
    ``ScoringModelNotEditable`` (editing one means creating a new draft)."""
    with transaction.atomic():
        locked = ScoringModelVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != ScoringModelVersion.Status.DRAFT:
            raise ScoringModelNotEditable(f"version {locked.number} is {locked.status}")
        model = parse_definition(definition=definition, number=locked.number)
        locked.definition = model.to_dict()
        locked.save(update_fields=["definition", "updated_at"])
    version.refresh_from_db()
    return version


def scoring_model_rename_draft(*, version: ScoringModelVersion, name: str) -> ScoringModelVersion:
    """Rename a draft; published and retired versions are frozen: ``ScoringModelNotEditable``."""
    with transaction.atomic():
        locked = ScoringModelVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != ScoringModelVersion.Status.DRAFT:
            raise ScoringModelNotEditable(f"version {locked.number} is {locked.status}")
        locked.name = name
        locked.save(update_fields=["name", "updated_at"])
    version.refresh_from_db()
    return version


def scoring_model_publish(
    *, version: ScoringModelVersion, user: Any, enqueue: bool = True
) -> tuple[ScoringModelVersion, Job]:
    """Publish a draft or a retired version (rollback); the one published before is
    retired, in one transaction, and a re-score job of every open lead starts when
    it commits (``leads.scoring.rescore``). Returns the version and that job.
    ``ScoringModelAlreadyPublished`` when it is the published one already."""
    now = timezone.now()
    with transaction.atomic():
        locked = ScoringModelVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status == ScoringModelVersion.Status.PUBLISHED:
            raise ScoringModelAlreadyPublished(f"version {locked.number} is already published")
        parse_definition(definition=locked.definition, number=locked.number)
        current = list(
            ScoringModelVersion.objects.select_for_update().filter(
                status=ScoringModelVersion.Status.PUBLISHED
            )
        )
        for old in current:  # retire first: the one-published constraint is not deferred
            old.status = ScoringModelVersion.Status.RETIRED
            old.retired_at = now
            old.save(update_fields=["status", "retired_at", "updated_at"])
        locked.status = ScoringModelVersion.Status.PUBLISHED
        locked.published_at = now
        locked.retired_at = None
        locked.save(update_fields=["status", "published_at", "retired_at", "updated_at"])
        job = rescore_job_start(version=locked, user=user, reason="publish", enqueue=enqueue)
    version.refresh_from_db()
    return version, job


def ensure_default_model(
    *, user: Any = None, enqueue: bool = True
) -> tuple[ScoringModelVersion, Job] | None:
    """Create and publish the seed's ``default_model()`` as version 1 when no version
    exists yet (returns it and its re-score job; ``enqueue=False``: the caller runs
    the job); otherwise do nothing, None."""
    with transaction.atomic():
        if ScoringModelVersion.objects.exists():
            return None
        draft = scoring_model_create_draft(
            definition=default_model(1).to_dict(), user=user, name=default_model(1).label
        )
        return scoring_model_publish(version=draft, user=user, enqueue=enqueue)


# ---------------------------------------------------------------------- scoring


def lead_score_facts(*, lead: Lead) -> dict[str, Any]:
    """The flat mapping the engine scores: the lead's fields and its account's."""
    account = lead.account
    return score_facts(
        account={n: getattr(account, n) for n in (*ACCOUNT_FACTS, "name")} if account else {},
        lead={n: getattr(lead, n) for n in (*LEAD_FACTS, "company_name")},
    )


def lead_rescore(
    *, lead: Lead, now: datetime | None = None, version: ScoringModelVersion | None = None
) -> ScoreResult | None:
    """Score one lead with ``version`` (default: the published one) as of ``now``, store
    the result and refresh ``lead``'s score and stage fields; None (and nothing
    changed) when no model is published. ``leads.scoring.rescore.leads_rescore`` does
    the work (a ``score_change`` event when the total, grade or quadrant changed;
    inquiry/nurture → MQL when the score says so — scoring never demotes)."""
    summary = leads_rescore(lead_ids=[lead.pk], version=version, now=now, keep_results=True)
    result = summary.results.get(lead.pk)
    if result is not None:
        lead.refresh_from_db(fields=[*SCORE_COLUMNS, "stage", "stage_changed_at", "mql_at"])
    return result
