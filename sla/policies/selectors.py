"""Reading the SLA's terms versions."""

from __future__ import annotations

from django.db.models import QuerySet

from sla import terms as sla_terms
from sla.models import BusinessCalendar, TermSet


def term_sets() -> QuerySet[TermSet]:
    """Every version, newest first, with its author."""
    return TermSet.objects.select_related("created_by").order_by("-number")


def calendar_names() -> dict[int, str]:
    return dict(BusinessCalendar.objects.values_list("pk", "name"))


def min_attempts_in_force() -> int:
    """The touch attempts an SDR makes before giving up on a lead, as the published
    version says (``period.min_attempts``; product.md's 6 for a version without a period
    section, or when nothing is published). ``leads.hooks.MIN_ATTEMPTS`` (the queue's
    gate): one small query on each call — only the ``period`` part of the definition —
    so a publication counts from its commit on, in every process, with nothing to
    invalidate."""
    given = (
        TermSet.objects.filter(status=TermSet.Status.PUBLISHED)
        .order_by("-published_at", "-number")
        .values_list("definition__period", flat=True)
        .first()
    )
    return int(sla_terms.period({"period": given})["min_attempts"])
