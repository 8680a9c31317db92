"""Reading the SLA's terms versions."""

from __future__ import annotations

from django.db.models import QuerySet

from sla.models import BusinessCalendar, TermSet


def term_sets() -> QuerySet[TermSet]:
    """Every version, newest first, with its author."""
    return TermSet.objects.select_related("created_by").order_by("-number")


def calendar_names() -> dict[int, str]:
    return dict(BusinessCalendar.objects.values_list("pk", "name"))
