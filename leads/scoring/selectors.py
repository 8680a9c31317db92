"""Read-only queries over scoring model versions."""

from __future__ import annotations

from django.db.models import QuerySet

from leads.models import ScoringModelVersion


def scoring_model_published() -> ScoringModelVersion | None:
    """The one published version, or None when nothing is published yet."""
    return ScoringModelVersion.objects.filter(status=ScoringModelVersion.Status.PUBLISHED).first()


def scoring_model_versions() -> QuerySet[ScoringModelVersion]:
    """Every version, newest number first."""
    return ScoringModelVersion.objects.select_related("created_by").order_by("-number")
